// The CLI surface: --help for every command lists every flag, --version, usage
// errors exit 2 with argparse-style texts, placeholders for pgimport/pgexport.
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import type { CommandSpec } from "../../src/cli/args.ts";
import {
  PGCONFIG,
  PGCONFIG_CREATE,
  PGCONFIG_GENERATE_CODE,
  PGCONFIG_TEST,
  PGEXPORT,
  PGIMPORT,
  PGMONKEY,
  PGSERVERCONFIG,
} from "../../src/cli/commands.ts";
import { join } from "node:path";
import { cli, type CliResult, lines, REPO_DIR, show, tempDir } from "./_helpers.ts";

const dir = await tempDir("usage");

const COMMANDS: [string[], CommandSpec][] = [
  [[], PGMONKEY],
  [["pgconfig"], PGCONFIG],
  [["pgconfig", "create"], PGCONFIG_CREATE],
  [["pgconfig", "test"], PGCONFIG_TEST],
  [["pgconfig", "generate-code"], PGCONFIG_GENERATE_CODE],
  [["pgserverconfig"], PGSERVERCONFIG],
  [["pgimport"], PGIMPORT],
  [["pgexport"], PGEXPORT],
];

/** Exit 2, usage line(s) of `prog`, then one `<prog>: error: …` line. */
function assertUsageError(r: CliResult, prog: string, error: string | RegExp): void {
  strictEqual(r.code, 2, show(r));
  strictEqual(r.stdout, "", show(r));
  ok(r.stderr.startsWith(`usage: ${prog} [-h]`), show(r));
  const last = lines(r.stderr).pop()!;
  ok(last.startsWith(`${prog}: error: `), show(r));
  const message = last.slice(`${prog}: error: `.length);
  if (typeof error === "string") strictEqual(message, error);
  else match(message, error);
}

Deno.test("--help and -h of every command and subcommand list every flag, exit 0", async () => {
  const results = await Promise.all(
    COMMANDS.flatMap(([words]) => [cli([...words, "--help"]), cli([...words, "-h"])]),
  );
  COMMANDS.forEach(([_, spec], i) => {
    const [long, short] = [results[2 * i], results[2 * i + 1]];
    for (const r of [long, short]) {
      strictEqual(r.code, 0, show(r));
      strictEqual(r.stderr, "", show(r));
      ok(r.stdout.startsWith(`usage: ${spec.prog} [-h]`), show(r));
      ok(r.stdout.includes("\noptions:\n  -h, --help "), show(r));
    }
    strictEqual(short.stdout, long.stdout);
    for (const option of spec.options) {
      for (const name of [option.name, ...(option.aliases ?? [])]) {
        ok(long.stdout.includes(`--${name}`), `${spec.prog} --help lists --${name}`);
      }
      for (const choice of option.choices ?? []) ok(long.stdout.includes(choice), choice);
    }
    for (const sub of spec.commands ?? []) {
      ok(long.stdout.includes(`    ${sub.name}`), `${spec.prog} --help lists ${sub.name}`);
    }
  });
});

Deno.test("help texts: psycopg alias documented, argparse layout kept", async () => {
  const gen = await cli(["pgconfig", "generate-code", "--help"]);
  match(gen.stdout, /"psycopg"\s+is\s+accepted\s+as\s+an\s+alias\s+of\s+"postgres"/);
  ok(gen.stdout.includes("--library {pgmonkey,postgres}"));
  const top = await cli(["--help"]);
  ok(top.stdout.includes("pgmonkey: A tool to assist with database connections and manage data."));
  ok(
    top.stdout.includes("    pgserverconfig      Generate suggested server configuration entries"),
  );
  const test = await cli(["pgconfig", "test", "--help"]);
  ok(test.stdout.includes("  --filepath FILEPATH, --connconfig FILEPATH\n"), test.stdout);
  ok(test.stdout.includes("[--connection-type {normal,pool,async,async_pool}]"));
  for (const line of test.stdout.split("\n")) ok(line.length <= 82, line);
});

Deno.test("--version prints the version of deno.json", async () => {
  const r = await cli(["--version"]);
  deepStrictEqual([r.code, r.stdout, r.stderr], [0, `pgmonkey ${denoJson.version}\n`, ""]);
});

Deno.test("the @pgmonkey/cli package runs the same CLI", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_DIR, "packages", "cli", "mod.ts"), "--version"],
    cwd: REPO_DIR,
    stdout: "piped",
    stderr: "piped",
  }).output();
  strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
  strictEqual(new TextDecoder().decode(out.stdout), `pgmonkey ${denoJson.version}\n`);
});

Deno.test("no command: help on stderr, exit 2; a group without subcommand too", async () => {
  const [none, group] = await Promise.all([cli([]), cli(["pgconfig"])]);
  strictEqual(none.code, 2);
  strictEqual(none.stdout, "");
  ok(none.stderr.startsWith("usage: pgmonkey [-h] [--version]"), show(none));
  strictEqual(lines(none.stderr).pop(), "pgmonkey: error: a command is required");
  strictEqual(group.code, 2);
  ok(group.stderr.startsWith("usage: pgmonkey pgconfig [-h] {create,test,generate-code} ..."));
});

Deno.test("usage errors exit 2 with the usage line and an argparse-style message", async () => {
  const cfg = `${dir}/c.yaml`;
  const [bogus, flag, missing, choice, importMissing, extra, noValue, ambiguous, explicit, lib] =
    await Promise.all([
      cli(["bogus"]),
      cli(["pgconfig", "test", "--filepath", cfg, "--bogus"]),
      cli(["pgconfig", "test"]),
      cli(["pgconfig", "test", "--connconfig", cfg, "--connection-type", "bad"]),
      cli(["pgimport", "--table", "t"]),
      cli(["pgserverconfig", "--filepath", cfg, "extra"]),
      cli(["pgconfig", "create", "--filepath"]),
      cli(["pgconfig", "test", "--conn", cfg]),
      cli(["pgconfig", "test", "--filepath", cfg, "--resolve-env=yes"]),
      cli(["pgconfig", "generate-code", "--filepath", cfg, "--library", "psycopg2"]),
    ]);
  assertUsageError(
    bogus,
    "pgmonkey",
    "argument command: invalid choice: 'bogus' (choose from 'pgconfig', 'pgserverconfig', " +
      "'pgimport', 'pgexport')",
  );
  assertUsageError(flag, "pgmonkey pgconfig test", "unrecognized arguments: --bogus");
  assertUsageError(
    missing,
    "pgmonkey pgconfig test",
    "the following arguments are required: --filepath/--connconfig",
  );
  assertUsageError(
    choice,
    "pgmonkey pgconfig test",
    "argument --connection-type: invalid choice: 'bad' (choose from 'normal', 'pool', " +
      "'async', 'async_pool')",
  );
  assertUsageError(
    importMissing,
    "pgmonkey pgimport",
    "the following arguments are required: --import_file, --connconfig",
  );
  assertUsageError(extra, "pgmonkey pgserverconfig", "unrecognized arguments: extra");
  assertUsageError(
    noValue,
    "pgmonkey pgconfig create",
    "argument --filepath/--connconfig: expected one argument",
  );
  assertUsageError(
    ambiguous,
    "pgmonkey pgconfig test",
    "ambiguous option: --conn could match --connconfig, --connection-type",
  );
  assertUsageError(
    explicit,
    "pgmonkey pgconfig test",
    "argument --resolve-env: ignored explicit argument 'yes'",
  );
  assertUsageError(lib, "pgmonkey pgconfig generate-code", /invalid choice: 'psycopg2'/);
});

Deno.test("unambiguous prefixes of long options work, as in argparse; --help wins over errors", async () => {
  const path = `${dir}/prefix/config.yaml`;
  const [created, help] = await Promise.all([
    cli(["pgconfig", "create", "--file", path]),
    cli(["pgconfig", "test", "--bogus", "--he"]),
  ]);
  strictEqual(created.code, 0, show(created));
  strictEqual(created.stdout, `New configuration template created: ${path}\n`);
  strictEqual(help.code, 0, show(help));
  ok(help.stdout.startsWith("usage: pgmonkey pgconfig test"));
});

Deno.test("pgimport and pgexport report a missing file in one line and exit 1", async () => {
  const [imp, exp] = await Promise.all([
    cli(["pgimport", "--table", "t", "--connconfig", "c.yaml", "--import_file", "d.csv"]),
    cli(["pgexport", "--table", "t", "--connconfig", "c.yaml", "--resolve-env"]),
  ]);
  strictEqual(imp.code, 1, show(imp));
  strictEqual(imp.stdout, "");
  strictEqual(imp.stderr, "pgmonkey: pgimport failed: Import file not found: d.csv\n");
  strictEqual(exp.code, 1, show(exp));
  strictEqual(exp.stderr, "pgmonkey: pgexport failed: Connection config file not found: c.yaml\n");
});

Deno.test("teardown: remove the temp dir", () => Deno.remove(dir, { recursive: true }));
