// File names, table names and column names.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  checkTableName,
  defaultExportFile,
  pyPathStr,
  splitTableName,
  withSuffix,
} from "../../src/transfer/paths.ts";
import {
  columnsFromHeader,
  describeColumnMismatch,
  generatedColumns,
  pyStrip,
} from "../../src/transfer/columns.ts";
import { columnStructure } from "../../src/transfer/header.ts";
import { TransferError } from "../../src/transfer/errors.ts";

Deno.test("paths as Python's pathlib writes them", () => {
  strictEqual(withSuffix("data.csv", ".yaml"), "data.yaml");
  strictEqual(withSuffix("tab.tsv", ".yaml"), "tab.yaml");
  strictEqual(withSuffix("data", ".yaml"), "data.yaml");
  strictEqual(withSuffix("a.b.csv", ".yaml"), "a.b.yaml");
  strictEqual(withSuffix("./dir//x.csv", ".yaml"), "dir/x.yaml");
  strictEqual(withSuffix(".hidden", ".yaml"), ".hidden.yaml");
  strictEqual(pyPathStr("/tmp/./a/"), "/tmp/a");
});

Deno.test("table names split on the first dot; the export file drops the schema", () => {
  deepStrictEqual(splitTableName("users"), { schema: "public", table: "users" });
  deepStrictEqual(splitTableName("s1.Weird Name"), { schema: "s1", table: "Weird Name" });
  deepStrictEqual(splitTableName("a.b.c"), { schema: "a", table: "b.c" });
  strictEqual(defaultExportFile("public.users"), "users.csv");
  strictEqual(defaultExportFile("users"), "users.csv");
  strictEqual(defaultExportFile("s.v1.2"), "v1.2.csv");
  strictEqual(defaultExportFile("s.a/b"), "a_b.csv");
});

Deno.test("column names: sanitised as pgmonkey does, or kept with enforce_lowercase: false", () => {
  const header = ["Name", "", "E-Mail Address", "Zip Code", " "];
  deepStrictEqual(columnsFromHeader(header, true, "f.csv"), {
    names: ["name", "e_mail_address", "zip_code"],
    keep: [0, 2, 3],
    fields: 5,
  });
  deepStrictEqual(columnsFromHeader(header, false, "f.csv").names, [
    "Name",
    "E-Mail Address",
    "Zip Code",
  ]);
  deepStrictEqual(columnsFromHeader(["name, full", "\ufeffid"], true, "f.csv").names, [
    "name__full",
    "_id",
  ]);
  deepStrictEqual(generatedColumns(3).names, ["column_1", "column_2", "column_3"]);
  strictEqual(pyStrip(" \t\x1c x \u3000"), "x");
});

Deno.test("bad headers fail before anything touches the database", () => {
  const fails = (header: string[], lower: boolean, message: RegExp) =>
    throws(
      () => columnsFromHeader(header, lower, "f.csv"),
      (e) => e instanceof TransferError && message.test(e.message),
    );
  fails(["1st", "name"], true, /^f\.csv: Invalid column name '1st' \(from the header '1st'\)/);
  fails(["", " "], true, /No valid columns detected after filtering empty headers/);
  fails(
    ["Name", "name"],
    true,
    /duplicate column name 'name' \(from the headers 'Name' and 'name'\)/,
  );
  fails(["x".repeat(64)], false, /longer than 63 bytes/);
  deepStrictEqual(columnsFromHeader(["Name", "name"], false, "f.csv").names, ["Name", "name"]);
  deepStrictEqual(columnsFromHeader(["1st"], false, "f.csv").names, ["1st"]);
});

Deno.test("existing table columns: exactly which differ", () => {
  strictEqual(describeColumnMismatch(["id", "name"], ["id", "name"]), undefined);
  strictEqual(
    describeColumnMismatch(["id", "name", "city"], ["id", "fullname", "city"]),
    "column 2 is 'name' in the table but 'fullname' in the file",
  );
  strictEqual(
    describeColumnMismatch(["id"], ["id", "x", "y"]),
    "the file has 2 more: ['x', 'y']",
  );
  strictEqual(
    describeColumnMismatch(["a", "b"], ["b"]),
    "column 1 is 'a' in the table but 'b' in the file; the table has 1 more: ['b']",
  );
});

Deno.test("the column structure line of pgmonkey (Python)", () => {
  deepStrictEqual(columnStructure("Col A,Col-B,,c\n1,2,3,4\n5,6\n\n,,,\n7,8\n", ","), [4, 4, 2]);
  deepStrictEqual(columnStructure("id,name\n", ","), [2]);
  deepStrictEqual(columnStructure("", ","), []);
});

Deno.test("checkTableName: names PostgreSQL would cut or cannot hold are refused", () => {
  deepStrictEqual(checkTableName("s.t"), { schema: "s", table: "t" });
  deepStrictEqual(checkTableName("é".repeat(31)), { schema: "public", table: "é".repeat(31) });
  const refused = (name: string, message: RegExp) =>
    throws(
      () => checkTableName(name),
      (e) => e instanceof TransferError && message.test(e.message),
    );
  refused("", /^invalid table name ''$/);
  refused("s.", /^invalid table name 's\.'$/);
  refused("a\0b", /^invalid table name 'a\\x00b'$/);
  refused("é".repeat(32), /the table name is 64 bytes, PostgreSQL's limit is 63/);
  refused(`${"s".repeat(64)}.t`, /the schema name is 64 bytes/);
  // A very long name is shortened in the message.
  refused("x".repeat(5000), /^invalid table name 'x{77}\.\.\.': the table name is 5000 bytes/);
});
