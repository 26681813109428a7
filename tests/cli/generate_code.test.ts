// `pgmonkey pgconfig generate-code`: each of the 8 programs (4 types × 2
// libraries) printed by the CLI really runs against the test server and prints
// the server version.
import { match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  CONFIG_DETECTED_LINE,
  formatGeneratedCode,
  rewriteImportsForLocalRun,
} from "../../src/codegen/generate.ts";
import { freshDatabase, testCertPaths } from "../support/db.ts";
import { cli, MOD_URL, runProgram, show, tempDir, writeConfig } from "./_helpers.ts";

const db0 = await freshDatabase("cli generate code");
const dir = await tempDir("codegen");
const TYPES = ["normal", "pool", "async", "async_pool"] as const;
const LIBRARIES = ["pgmonkey", "postgres"] as const;

const cfg = await writeConfig(join(dir, "cfg.yaml"), {
  connection_type: "normal",
  connection_settings: {
    ...db0.settings,
    host: "localhost",
    sslmode: "verify-full",
    sslrootcert: testCertPaths().ca,
    application_name: "pgm-cli-codegen",
  },
  sync_settings: { statement_timeout: "30000" },
  async_settings: { lock_timeout: "10000" },
  pool_settings: { min_size: 1, max_size: 3 },
  async_pool_settings: { min_size: 1, max_size: 2 },
});

/** The program part of the CLI output: after the detected line, the header and a blank line. */
function program(stdout: string): string {
  const lines = stdout.split("\n");
  strictEqual(lines[0], CONFIG_DETECTED_LINE);
  match(lines[1], /^Generated .* connection code using (pgmonkey|postgres\.js):$/);
  strictEqual(lines[2], "");
  return lines.slice(3).join("\n");
}

Deno.test("the 8 generated programs run with Deno against the server and print its version", async () => {
  const cases = LIBRARIES.flatMap((library) => TYPES.map((type) => ({ library, type })));
  await Promise.all(cases.map(async ({ library, type }) => {
    const label = `${library} ${type}`;
    const r = await cli([
      "pgconfig",
      "generate-code",
      "--filepath",
      cfg,
      "--connection-type",
      type,
      "--library",
      library,
    ]);
    strictEqual(r.code, 0, show(r));
    strictEqual(
      r.stdout,
      `${CONFIG_DETECTED_LINE}\n${
        formatGeneratedCode({ configPath: cfg, connectionType: type, library })
      }`,
      label,
    );
    const path = join(dir, `${library}_${type}.ts`);
    await Deno.writeTextFile(path, rewriteImportsForLocalRun(program(r.stdout), MOD_URL));
    const run = await runProgram(path);
    strictEqual(run.code, 0, `${label}\n${show(run)}`);
    match(run.stdout, /^PostgreSQL 18\.\d+/, `${label}\n${show(run)}`);
  }));
});

Deno.test("default type is the file's connection_type; psycopg is an alias of postgres", async () => {
  const [byDefault, psycopg, postgres] = await Promise.all([
    cli(["pgconfig", "generate-code", "--filepath", cfg]),
    cli(["pgconfig", "generate-code", "--connconfig", cfg, "--library", "psycopg"]),
    cli(["pgconfig", "generate-code", "--connconfig", cfg, "--library", "postgres"]),
  ]);
  strictEqual(byDefault.code, 0, show(byDefault));
  ok(byDefault.stdout.includes("\nGenerated normal synchronous connection code using pgmonkey:\n"));
  strictEqual(psycopg.code, 0, show(psycopg));
  strictEqual(psycopg.stdout, postgres.stdout);
  ok(psycopg.stdout.includes("using postgres.js:"));
});

Deno.test("--resolve-env reads connection_type from the environment", async () => {
  const path = await writeConfig(join(dir, "envtype.yaml"), {
    connection_type: "${PGM_CLI_GEN_TYPE}",
    connection_settings: { host: "localhost" },
  });
  const [resolved, unset] = await Promise.all([
    cli(["pgconfig", "generate-code", "--filepath", path, "--resolve-env"], {
      env: { PGM_CLI_GEN_TYPE: "async_pool" },
    }),
    cli(["pgconfig", "generate-code", "--filepath", path, "--resolve-env"]),
  ]);
  strictEqual(resolved.code, 0, show(resolved));
  ok(resolved.stdout.includes("Generated asynchronous pooled connection code using pgmonkey:"));
  strictEqual(unset.code, 1, show(unset));
  ok(unset.stderr.includes("Environment variable 'PGM_CLI_GEN_TYPE' is not set"), show(unset));
});

Deno.test("missing or empty config file: one clear line, exit 1", async () => {
  const empty = join(dir, "empty.yaml");
  await Deno.writeTextFile(empty, "# nothing here\n");
  const [missing, none] = await Promise.all([
    cli(["pgconfig", "generate-code", "--filepath", join(dir, "o'brien", "cfg.yaml")]),
    cli(["pgconfig", "generate-code", "--filepath", empty]),
  ]);
  strictEqual(missing.code, 1, show(missing));
  strictEqual(missing.stdout, "");
  strictEqual(
    missing.stderr,
    `pgmonkey: error: config file not found: ${join(dir, "o'brien", "cfg.yaml")}\n`,
  );
  strictEqual(none.code, 1, show(none));
  ok(none.stderr.includes("expected a mapping of config sections"), show(none));
});

Deno.test("teardown: drop temp dir, close the admin connection", async () => {
  await Deno.remove(dir, { recursive: true });
  await db0.close();
});
