// The byte scanner of the import: COPY text output, Python's parsing rules,
// row checks, and agreement with the text reader on random inputs.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { CsvToCopy, type CsvToCopyOptions } from "../../src/transfer/csv_to_copy.ts";
import { CsvReader } from "../../src/transfer/csv_reader.ts";
import { copyTextRow } from "../../src/transfer/copy_text.ts";
import { TransferError } from "../../src/transfer/errors.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function convert(
  text: string,
  options: Partial<CsvToCopyOptions> & { columns: number },
  chunk = Infinity,
): string {
  const conv = new CsvToCopy({
    delimiter: 0x2c,
    quote: 0x22,
    skipHeader: false,
    countFromHeader: false,
    file: "t.csv",
    ...options,
  });
  const bytes = enc.encode(text);
  let out = "";
  const step = Math.min(chunk, bytes.length || 1);
  for (let i = 0; i < bytes.length; i += step) {
    conv.push(bytes.subarray(i, i + step));
    out += dec.decode(conv.takeOutput());
  }
  conv.finish();
  return out + dec.decode(conv.takeOutput());
}

Deno.test("COPY text escaping: backslash, tab, newline, carriage return; empty stays empty", () => {
  strictEqual(
    convert('a\\b,"t\tx","l1\nl2","c\rr",\n', { columns: 4 + 1 }),
    "a\\\\b\tt\\tx\tl1\\nl2\tc\\rr\t\n",
  );
  strictEqual(convert('\\N,""\n', { columns: 2 }), "\\\\N\t\n");
});

Deno.test("header skipped, blank and all-empty rows skipped, quoted empties kept", () => {
  strictEqual(
    convert('h1,h2\n\n,\n1,2\r\n"",""\n3,4', {
      columns: 2,
      skipHeader: true,
      countFromHeader: true,
    }),
    "1\t2\n\t\n3\t4\n",
  );
});

Deno.test("blank header columns are left out", () => {
  strictEqual(convert("a,,c\n1,x,3\n", { columns: 3, keep: [0, 2] }), "a\tc\n1\t3\n");
  strictEqual(convert("a,b,\n1,2,x\n", { columns: 3, keep: [0, 1] }), "a\tb\n1\t2\n");
});

Deno.test("tab as the delimiter, and rows split across every possible chunk boundary", () => {
  const text = 'id\tnote\r\n1\t"a\r\nb"\r\n2\t"q""x"\r3\tz\\y\n';
  const expected = 'id\tnote\n1\ta\\r\\nb\n2\tq"x\n3\tz\\\\y\n';
  for (const chunk of [1, 2, 3, 5, 7, 1000]) {
    strictEqual(convert(text, { columns: 2, delimiter: 0x09 }, chunk), expected, `chunk ${chunk}`);
  }
});

Deno.test("too many or too few fields: one error naming the file line", () => {
  const check = (text: string, message: string, countFromHeader = true) =>
    throws(
      () => convert(text, { columns: 2, skipHeader: countFromHeader, countFromHeader }),
      (e) => e instanceof TransferError && e.message === message,
      text,
    );
  check("a,b\n1,2\n3\n", "t.csv: line 3: 1 field, expected 2 as in the header row");
  check("a,b\n1,2\n\n3,4,5\n", "t.csv: line 4: 3 fields, expected 2 as in the header row");
  check('a,b\n"x\ny",1,2\n', "t.csv: line 2: 3 fields, expected 2 as in the header row");
  check("1,2\n3", "t.csv: line 2: 1 field, expected 2 as in the first row", false);
});

Deno.test("an unclosed quote is an error naming the line where it opened", () => {
  throws(
    () => convert('a,b\n1,"open\n2,3\n', { columns: 2 }),
    (e) =>
      e instanceof TransferError &&
      e.message ===
        't.csv: line 2: a quoted field is not closed (no closing " before the end of the file)',
  );
});

Deno.test("stopAtRow finds the file line of an output row", () => {
  const conv = new CsvToCopy({
    delimiter: 0x2c,
    quote: 0x22,
    columns: 1,
    skipHeader: true,
    countFromHeader: true,
    file: "t.csv",
    stopAtRow: 3,
  });
  conv.push(enc.encode('h\n\na\n"b\nc"\n\nd\ne\n'));
  strictEqual(conv.foundLine, 7);
});

// Differential test: random CSV from an alphabet of the interesting bytes; the
// scanner's output must equal the text reader's rows written as COPY text.
function reference(text: string, columns: number): string | Error {
  const reader = new CsvReader({ delimiter: ",", quotechar: '"' }, {
    rejectUnclosedQuote: true,
    file: "t.csv",
  });
  let out = "";
  const take = (rows: ReturnType<CsvReader["push"]>) => {
    for (const row of rows) {
      if (!row.quoted && row.fields.every((f) => f === "")) continue;
      if (row.fields.length !== columns) throw new Error(`line ${row.line}`);
      out += copyTextRow(row.fields);
    }
  };
  try {
    take(reader.push(text));
    take(reader.end());
    return out;
  } catch (e) {
    return e as Error;
  }
}

/** A seeded random source and random CSV snippets from the interesting characters. */
function randomCsv(seed: number): { rand: (n: number) => number; text: () => string } {
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = ['"', '"', ",", ",", "\n", "\r", "\r\n", "a", "b", "\\", "\t", "é", " "];
  const text = () =>
    Array.from({ length: rand(30) }, () => alphabet[rand(alphabet.length)]).join("");
  return { rand, text };
}

Deno.test("agrees with the text reader on 3,000 random inputs", () => {
  const { rand, text: randomText } = randomCsv(12345);
  let compared = 0;
  for (let i = 0; i < 3000; i++) {
    const text = randomText();
    const columns = 1 + rand(3);
    const want = reference(text, columns);
    let got: string | Error;
    try {
      got = convert(text, { columns }, 1 + rand(8));
    } catch (e) {
      got = e as Error;
    }
    if (want instanceof Error || got instanceof Error) {
      strictEqual(got instanceof Error, want instanceof Error, JSON.stringify(text));
      const line = (e: Error) => /line (\d+)/.exec(e.message)?.[1];
      strictEqual(line(got as Error), line(want as Error), JSON.stringify(text));
    } else {
      strictEqual(got, want, JSON.stringify(text));
      compared++;
    }
  }
  deepStrictEqual(compared > 300, true);
});

/** Decodes COPY binary tuples of TEXT fields back into COPY text (for comparison). */
function binaryToText(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const fields = view.getInt16(at);
    at += 2;
    const values: string[] = [];
    for (let f = 0; f < fields; f++) {
      const length = view.getInt32(at);
      at += 4;
      values.push(dec.decode(bytes.subarray(at, at + length)));
      at += length;
    }
    rows.push(copyTextRow(values));
  }
  return rows.join("");
}

Deno.test("binary tuples hold the same rows as COPY text (3,000 random inputs, kept columns)", () => {
  const { rand, text: randomText } = randomCsv(54321);
  let compared = 0;
  for (let i = 0; i < 3000; i++) {
    const text = randomText();
    const columns = 1 + rand(3);
    const keep = columns > 1 && rand(2) ? [columns - 1] : undefined;
    const chunk = 1 + rand(8);
    const run = (binary: boolean): Uint8Array | Error => {
      const conv = new CsvToCopy({
        delimiter: 0x2c,
        quote: 0x22,
        columns,
        keep,
        skipHeader: false,
        countFromHeader: false,
        file: "t.csv",
        binary,
      });
      const bytes = enc.encode(text);
      const parts: Uint8Array[] = [];
      try {
        for (let at = 0; at < bytes.length; at += chunk) {
          conv.push(bytes.subarray(at, at + chunk));
          parts.push(conv.takeOutput().slice());
        }
        conv.finish();
        parts.push(conv.takeOutput().slice());
      } catch (e) {
        return e as Error;
      }
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    };
    const textOut = run(false);
    const binaryOut = run(true);
    if (textOut instanceof Error || binaryOut instanceof Error) {
      strictEqual(binaryOut instanceof Error, textOut instanceof Error, JSON.stringify(text));
      strictEqual((binaryOut as Error).message, (textOut as Error).message);
    } else {
      strictEqual(binaryToText(binaryOut), dec.decode(textOut), JSON.stringify(text));
      compared++;
    }
  }
  deepStrictEqual(compared > 300, true);
});
