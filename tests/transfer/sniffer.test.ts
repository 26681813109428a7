// csv.Sniffer: the outcomes pgmonkey (Python) gets, including its quirks.
import { strictEqual, throws } from "node:assert/strict";
import { hasHeader, isPyComplex, sniff, SnifferError } from "../../src/transfer/sniffer.ts";

Deno.test("sniff finds the delimiter by frequency and by quotes", () => {
  strictEqual(sniff("id,name\n1,Alice\n2,Bob\n").delimiter, ",");
  strictEqual(sniff("id;name;amount\n1;Alice;3.5\n2;Bob;4\n").delimiter, ";");
  strictEqual(sniff("a|b|c\n1|2|3\n4|5|6\n").delimiter, "|");
  strictEqual(sniff("id\tname\n1\tAlice\n2\tBob\n").delimiter, "\t");
  strictEqual(sniff("hello world\nfoo bar\n").delimiter, " ");
  const quoted = sniff('"id","name, full","note"\n"1","Smith, John","x"\n');
  strictEqual(quoted.delimiter, ",");
  strictEqual(quoted.quotechar, '"');
  strictEqual(sniff("a;'x;y';b\n1;'2';3\n").quotechar, "'");
  strictEqual(sniff('a,"b ""c"" d",e\n').doublequote, true);
});

Deno.test("sniff fails as Python's does: single column, empty sample", () => {
  for (const sample of ["name\nAlice\nBob\n", "", "\n\n"]) {
    throws(() => sniff(sample), SnifferError, JSON.stringify(sample));
  }
});

Deno.test("has_header: Python's votes, with its known quirks", () => {
  strictEqual(hasHeader("id,name\n1,Alice\n2,Bob\n"), true);
  strictEqual(hasHeader("1,Alice,10\n2,Bob,20\n3,Carol,30\n"), false);
  strictEqual(hasHeader("id,name\n"), true); // one line: every column votes "header"
  strictEqual(hasHeader("id,name\n1,José\n"), false); // 'name' and 'José' have the same length
  strictEqual(hasHeader("\n\nid,name\n1,a\n"), false); // the blank first row is the "header"
});

Deno.test("Python's complex(): what counts as a number column", () => {
  for (
    const s of [
      "1",
      "-2.5",
      " 3 ",
      "1e5",
      "1_000",
      ".5",
      "5.",
      "2j",
      "1+2j",
      "(1-2j)",
      "inf",
      "NaN",
      "-Infinity",
      "j",
      "١٢",
    ]
  ) {
    strictEqual(isPyComplex(s), true, s);
  }
  for (const s of ["", " ", "abc", "1 + 2j", "1__0", "_1", "1e", "0x10", "1,5", "in"]) {
    strictEqual(isPyComplex(s), false, s);
  }
});
