// The text reader follows Python's csv.reader (default dialect, strict=False).
import { deepStrictEqual, throws } from "node:assert/strict";
import { CsvReader, readCsvText } from "../../src/transfer/csv_reader.ts";
import { TransferError } from "../../src/transfer/errors.ts";

const D = { delimiter: ",", quotechar: '"' };

Deno.test("rows as Python's csv.reader returns them", () => {
  const cases: [string, string[][]][] = [
    ["a,b\n1,2\n", [["a", "b"], ["1", "2"]]],
    ["a,b\r\n1,2\r\n", [["a", "b"], ["1", "2"]]],
    ["a,b\r1,2", [["a", "b"], ["1", "2"]]],
    ["\n\na\n", [[], [], ["a"]]],
    ["a,\n", [["a", ""]]],
    [",,\n", [["", "", ""]]],
    ['"a,b","c""d"\n', [["a,b", 'c"d']]],
    ['"x\ny",z\n', [["x\ny", "z"]]],
    ['"x\r\ny"\n', [["x\r\ny"]]],
    ['ab"c,d\n', [['ab"c', "d"]]], // a quote inside an unquoted field is ordinary
    ['"ab"cd,e\n', [["abcd", "e"]]], // text after the closing quote is kept
    ['"",""\n', [["", ""]]],
    ["a", [["a"]]],
    ['"open', [["open"]]], // Python (strict=False) returns the partial field
  ];
  for (const [text, rows] of cases) {
    deepStrictEqual(readCsvText(text, D), rows, JSON.stringify(text));
  }
});

Deno.test("doublequote=false and skipinitialspace, as the Sniffer may ask", () => {
  deepStrictEqual(
    readCsvText('"a"b, "c"\n', { ...D, doublequote: false, skipinitialspace: true }),
    [["ab", "c"]],
  );
});

Deno.test("chunk boundaries do not change the rows (fed one character at a time)", () => {
  const text = 'id,"note"\r\n1,"a\r\nb"\r\n\r\n2,"x""y"\r3,z';
  const reader = new CsvReader(D);
  const rows = [...text].flatMap((c) => reader.push(c)).concat(reader.end());
  deepStrictEqual(rows.map((r) => r.fields), readCsvText(text, D));
  deepStrictEqual(rows.map((r) => r.line), [1, 2, 4, 5, 6]);
});

Deno.test("rejectUnclosedQuote names the line of the opening quote", () => {
  const reader = new CsvReader(D, { rejectUnclosedQuote: true, file: "f.csv" });
  reader.push('a,b\n1,2\n3,"never\nclosed\n');
  throws(
    () => reader.end(),
    (e) =>
      e instanceof TransferError &&
      e.message ===
        'f.csv: line 3: a quoted field is not closed (no closing " before the end of the file)',
  );
});
