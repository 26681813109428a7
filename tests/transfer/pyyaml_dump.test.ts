// PyYAML's scalar styles for every one-character delimiter, and byte-identical
// settings files.
import { strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { dumpMapping, dumpString } from "../../src/transfer/pyyaml_dump.ts";
import { formatExportSettings, formatImportSettings } from "../../src/transfer/settings.ts";
import { FIXTURES } from "./_helpers.ts";

Deno.test("one-character scalars use PyYAML's plain / single / double style", () => {
  // Verified table (reference §11).
  for (const ch of "$()+./;<\\^_abcXYZ") strictEqual(dumpString(ch), ch, ch);
  for (const ch of ' 0123456789`!"#%&*,-:=>?@[]{|}~') {
    strictEqual(dumpString(ch), `'${ch}'`, ch);
  }
  strictEqual(dumpString("'"), "''''");
  strictEqual(dumpString("\t"), '"\\t"');
  strictEqual(dumpString("\0"), '"\\0"');
  strictEqual(dumpString("\x07"), '"\\a"');
  strictEqual(dumpString("\b"), '"\\b"');
  strictEqual(dumpString("\v"), '"\\v"');
  strictEqual(dumpString("\f"), '"\\f"');
  strictEqual(dumpString("\r"), '"\\r"');
  strictEqual(dumpString("\x1b"), '"\\e"');
  strictEqual(dumpString("\x01"), '"\\x01"');
  strictEqual(dumpString("\x0e"), '"\\x0E"');
  strictEqual(dumpString("\x7f"), '"\\x7F"');
  strictEqual(dumpString("\n"), "'\n\n  '");
});

Deno.test("non-ASCII and YAML-ambiguous strings are quoted as PyYAML quotes them", () => {
  strictEqual(dumpString("é"), '"\\xE9"');
  strictEqual(dumpString("\u00a0"), '"\\_"');
  strictEqual(dumpString("€"), '"\\u20AC"');
  strictEqual(dumpString("utf-8"), "utf-8");
  strictEqual(dumpString("ISO-8859-1"), "ISO-8859-1");
  strictEqual(dumpString("Windows-1252"), "Windows-1252");
  strictEqual(dumpString("utf-8-sig"), "utf-8-sig");
  for (const s of ["yes", "null", "123", "", "1.5", "~", "2024-01-02", "<<"]) {
    strictEqual(dumpString(s), `'${s}'`, s);
  }
});

Deno.test("dumpMapping sorts keys and writes booleans as true/false", () => {
  strictEqual(
    dumpMapping({ quotechar: '"', has_headers: false, delimiter: "|" }),
    "delimiter: '|'\nhas_headers: false\nquotechar: '\"'\n",
  );
});

Deno.test("generated settings files are byte-identical to the reference's", async () => {
  const read = (name: string) => Deno.readTextFile(join(FIXTURES, "templates", name));
  strictEqual(
    formatImportSettings({ delimiter: ",", encoding: "ascii", hasHeaders: true }),
    await read("import_config_generated_ascii.yaml.golden"),
  );
  strictEqual(
    formatImportSettings({ delimiter: "\t", encoding: "ascii", hasHeaders: true }),
    await read("import_config_generated_tab.yaml.golden"),
  );
  strictEqual(formatExportSettings("UTF8"), await read("export_config_generated.yaml.golden"));
});
