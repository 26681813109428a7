// Reading settings files: pgmonkey (Python)'s, hand-edited ones, bad ones.
import { deepStrictEqual, rejects } from "node:assert/strict";
import { join } from "node:path";
import { readExportSettings, readImportSettings } from "../../src/transfer/settings.ts";
import { TransferError } from "../../src/transfer/errors.ts";
import { FIXTURES, tempDir } from "./_helpers.ts";

Deno.test("every import settings file written by pgmonkey (Python) is read", async () => {
  const expected: Record<string, [string, string, boolean]> = {
    "ascii": [",", "ascii", true],
    "cp1252": [",", "Windows-1252", true],
    "latin1": [",", "ISO-8859-1", true],
    "semicolon": [";", "ascii", true],
    "tab": ["\t", "ascii", true],
    "pipe": ["|", "ascii", true],
    "utf16": [",", "utf-16-le", false],
    "utf8bom": [",", "utf-8-sig", false],
    "empty": [",", "utf-8", true],
  };
  for (const [name, [delimiter, encoding, hasHeaders]] of Object.entries(expected)) {
    const s = await readImportSettings(join(FIXTURES, "importcfg", `${name}.yaml.golden`));
    deepStrictEqual(
      s,
      {
        hasHeaders,
        autoCreateTable: true,
        enforceLowercase: true,
        delimiter,
        quotechar: '"',
        encoding,
        jobs: 1,
      },
      name,
    );
  }
  const dup = await readImportSettings(join(FIXTURES, "imp", "dup.yaml.golden"));
  deepStrictEqual(dup.enforceLowercase, false);
  const utf8 = await readImportSettings(join(FIXTURES, "imp", "utf8.yaml.golden"));
  deepStrictEqual(utf8.autoCreateTable, false);
});

Deno.test("export settings: pgmonkey's file, and the literal '\\t' means a tab", async () => {
  deepStrictEqual(await readExportSettings(join(FIXTURES, "exp", "exp_t.yaml.golden")), {
    delimiter: ",",
    quotechar: '"',
    encoding: "utf-8",
  });
  deepStrictEqual(await readExportSettings(join(FIXTURES, "exp", "tabbed.yaml.golden")), {
    delimiter: "\t",
    quotechar: '"',
    encoding: "latin1",
  });
});

Deno.test("import settings: '\\t' means a tab; missing keys take pgmonkey's defaults", async () => {
  const dir = await tempDir("settings");
  const path = join(dir, "a.yaml");
  await Deno.writeTextFile(path, "delimiter: '\\t'\n");
  deepStrictEqual(await readImportSettings(path), {
    hasHeaders: true,
    autoCreateTable: true,
    enforceLowercase: true,
    delimiter: "\t",
    quotechar: '"',
    encoding: "utf-8",
    jobs: 1,
  });
  await Deno.writeTextFile(path, "jobs: 4\n");
  deepStrictEqual((await readImportSettings(path)).jobs, 4);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bad settings files fail with one line naming the file and key", async () => {
  const dir = await tempDir("settings-bad");
  const cases: [string, RegExp][] = [
    ["", /a\.yaml is empty; delete it/],
    ["delimiter: ',,'\n", /a\.yaml: delimiter must be a single character, not ',,'/],
    ["delimiter: 5\n", /a\.yaml: delimiter must be a single character, not 5/],
    ["has_headers: 'maybe'\n", /a\.yaml: has_headers must be true or false, not 'maybe'/],
    ["quotechar: ','\n", /a\.yaml: delimiter and quotechar must differ/],
    ["- a\n", /must be a mapping/],
    ["a: [\n", /is not valid YAML/],
    ["jobs: 0\n", /a\.yaml: jobs must be an integer from 1 to 64, not 0/],
    ["jobs: two\n", /a\.yaml: jobs must be an integer from 1 to 64, not 'two'/],
    ["jobs: 1.5\n", /a\.yaml: jobs must be an integer from 1 to 64, not 1\.5/],
  ];
  for (const [text, message] of cases) {
    const path = join(dir, "a.yaml");
    await Deno.writeTextFile(path, text);
    await rejects(readImportSettings(path), (e) => {
      return e instanceof TransferError && message.test(e.message) && !e.message.includes("\n");
    }, text);
  }
  await Deno.remove(dir, { recursive: true });
});
