// `pgmonkey pgconfig test`: real connections of all four types against the test
// server, with TLS; failures are one line on stderr and exit 1.
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { freshDatabase, testCertPaths } from "../support/db.ts";
import { resolveEnvHint } from "../../src/cli/config_file.ts";
import { cli, deadPort, lines, show, tempDir, writeConfig } from "./_helpers.ts";

const db0 = await freshDatabase("cli pgconfig test");
const dir = await tempDir("test");
const TYPES = ["normal", "pool", "async", "async_pool"] as const;

/** A config for the fresh database; TLS verified against the test CA. */
function config(settings: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    connection_type: "normal",
    connection_settings: {
      ...db0.settings,
      host: "localhost",
      sslmode: "verify-full",
      sslrootcert: testCertPaths().ca,
      application_name: "pgm-cli-test",
      ...settings,
    },
    sync_settings: { statement_timeout: "30000" },
    async_settings: { lock_timeout: "10000" },
    pool_settings: { min_size: 2, max_size: 5, timeout: 5 },
    async_pool_settings: { min_size: 1, max_size: 3, timeout: 5 },
    ...extra,
  };
}

const tls = await writeConfig(join(dir, "tls.yaml"), config());
const plain = await writeConfig(join(dir, "plain.yaml"), config({ sslmode: "disable" }));

/** One line, the standard prefix, exit 1. */
function assertFailedOneLine(r: { code: number; stderr: string }, reason: RegExp): void {
  strictEqual(r.code, 1, JSON.stringify(r));
  strictEqual(lines(r.stderr).length, 1, r.stderr);
  ok(r.stderr.startsWith("pgmonkey: connection test failed: "), r.stderr);
  match(r.stderr, reason);
  ok(!r.stderr.includes("    at "), "no stack trace");
}

Deno.test("all four types connect over TLS, run SELECT 1 and report version, type, TLS, time", async () => {
  const results = await Promise.all(
    TYPES.map((t) => cli(["pgconfig", "test", "--connconfig", tls, "--connection-type", t])),
  );
  TYPES.forEach((type, i) => {
    const r = results[i];
    strictEqual(r.code, 0, show(r));
    strictEqual(r.stderr, "", show(r));
    const out = lines(r.stdout);
    strictEqual(out[0], "postgresql database config file has been detected...");
    strictEqual(out[1], `Connection type: ${type}`);
    match(out[2], /^Server version: PostgreSQL 18\.\d+/);
    match(out[3], /^TLS in use: yes \(TLSv1\.[23]\)$/);
    const pooled = type === "pool" || type === "async_pool";
    if (pooled) {
      strictEqual(
        out[4],
        type === "pool"
          ? "Connections held at once: 3 (min_size 2, max_size 5)"
          : "Connections held at once: 2 (min_size 1, max_size 3)",
      );
    }
    match(out[pooled ? 5 : 4], /^Time taken: \d+ ms$/);
    strictEqual(
      out.at(-1),
      `${type.startsWith("async") ? "Async" : "Sync"} connection test completed successfully.`,
    );
  });
});

Deno.test("without --connection-type the file's connection_type is used; plain TCP says TLS no", async () => {
  const pool = await writeConfig(join(dir, "pool.yaml"), {
    ...config({ sslmode: "disable" }),
    connection_type: "async_pool",
  });
  const [fromFile, noTls] = await Promise.all([
    cli(["pgconfig", "test", "--filepath", pool]),
    cli(["pgconfig", "test", "--filepath", plain]),
  ]);
  strictEqual(fromFile.code, 0, show(fromFile));
  ok(fromFile.stdout.includes("Connection type: async_pool\n"), show(fromFile));
  ok(fromFile.stdout.endsWith("Async connection test completed successfully.\n"));
  strictEqual(noTls.code, 0, show(noTls));
  ok(noTls.stdout.includes("Connection type: normal\nServer version: PostgreSQL 18"));
  ok(noTls.stdout.includes("TLS in use: no\n"), show(noTls));
});

Deno.test("pool connections are really held at once (server sees them), then all closed", async () => {
  const app = `pgm-cli-held-${crypto.randomUUID().slice(0, 8)}`;
  const path = await writeConfig(
    join(dir, "held.yaml"),
    config({ sslmode: "disable", application_name: app }, {
      pool_settings: { min_size: 3, max_size: 4 },
    }),
  );
  const r = await cli(["pgconfig", "test", "--filepath", path, "--connection-type", "pool"]);
  strictEqual(r.code, 0, show(r));
  ok(r.stdout.includes("Connections held at once: 4 (min_size 3, max_size 4)"), show(r));
  const [{ n }] = await db0.admin`
    SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${app}`;
  strictEqual(n, 0, "the CLI closed every connection");
});

Deno.test("wrong password: one line on stderr, exit 1, never 'completed successfully'", async () => {
  const path = await writeConfig(join(dir, "badpw.yaml"), config({ password: "not-the-password" }));
  const results = await Promise.all(
    TYPES.map((t) => cli(["pgconfig", "test", "--connconfig", path, "--connection-type", t])),
  );
  for (const r of results) {
    assertFailedOneLine(r, /password authentication failed for user "postgres"/);
    ok(!r.stdout.includes("completed successfully"), show(r));
  }
});

Deno.test("unreachable port: one line, exit 1, quickly (also for pools)", async () => {
  const port = deadPort();
  const path = await writeConfig(join(dir, "dead.yaml"), config({ host: "127.0.0.1", port }));
  const started = Date.now();
  const results = await Promise.all(
    TYPES.map((t) => cli(["pgconfig", "test", "--connconfig", path, "--connection-type", t])),
  );
  for (const r of results) {
    assertFailedOneLine(r, new RegExp(`127\\.0\\.0\\.1:${port}.*connection refused`));
  }
  ok(Date.now() - started < 20_000, "no pool timeout wait");
});

Deno.test("bad --connection-type is a usage error (2); a bad connection_type in the file is 1", async () => {
  const bogus = await writeConfig(join(dir, "bogus.yaml"), {
    ...config(),
    connection_type: "bogus",
  });
  const [flag, file] = await Promise.all([
    cli(["pgconfig", "test", "--connconfig", tls, "--connection-type", "bogus"]),
    cli(["pgconfig", "test", "--connconfig", bogus]),
  ]);
  strictEqual(flag.code, 2, show(flag));
  ok(flag.stderr.includes("argument --connection-type: invalid choice: 'bogus'"), show(flag));
  assertFailedOneLine(
    file,
    /connection_type: Unsupported connection type: 'bogus'\. Valid types: normal, pool, async, async_pool$/m,
  );
});

Deno.test("missing file, invalid YAML and invalid settings: one line, exit 1", async () => {
  const invalid = join(dir, "invalid.yaml");
  await Deno.writeTextFile(invalid, "connection_settings: [unclosed\n");
  const badPort = await writeConfig(join(dir, "badport.yaml"), config({ port: "abc" }));
  const noConn = await writeConfig(join(dir, "noconn.yaml"), { connection_type: "normal" });
  const [missing, yaml, port, none] = await Promise.all([
    cli(["pgconfig", "test", "--connconfig", join(dir, "nope.yaml")]),
    cli(["pgconfig", "test", "--connconfig", invalid]),
    cli(["pgconfig", "test", "--connconfig", badPort]),
    cli(["pgconfig", "test", "--connconfig", noConn]),
  ]);
  assertFailedOneLine(missing, /config file not found: .*nope\.yaml/);
  strictEqual(missing.stdout, "");
  assertFailedOneLine(yaml, /invalid\.yaml: invalid YAML/);
  assertFailedOneLine(port, /connection_settings\.port: expected .*'abc'/);
  strictEqual(none.code, 1, show(none));
  strictEqual(lines(none.stderr).length, 1, show(none));
});

Deno.test("--resolve-env: ${VAR} and connection_type from the environment; unset var fails", async () => {
  const path = await writeConfig(join(dir, "env.yaml"), {
    ...config({ password: "${PGM_CLI_TEST_PW}" }),
    connection_type: "${PGM_CLI_TEST_TYPE:-pool}",
  });
  const env = { PGM_CLI_TEST_PW: String(db0.settings.password), PGM_CLI_TEST_TYPE: "async" };
  const [set, defaultType, unset, noResolve] = await Promise.all([
    cli(["pgconfig", "test", "--connconfig", path, "--resolve-env"], { env }),
    cli(["pgconfig", "test", "--connconfig", path, "--resolve-env"], {
      env: { PGM_CLI_TEST_PW: env.PGM_CLI_TEST_PW },
    }),
    cli(["pgconfig", "test", "--connconfig", path, "--resolve-env", "--connection-type", "normal"]),
    cli(["pgconfig", "test", "--connconfig", path, "--connection-type", "normal"], { env }),
  ]);
  strictEqual(set.code, 0, show(set));
  ok(set.stdout.includes("Connection type: async\n"), show(set));
  ok(set.stdout.endsWith("Async connection test completed successfully.\n"));
  strictEqual(defaultType.code, 0, show(defaultType));
  ok(defaultType.stdout.includes("Connection type: pool\n"), show(defaultType));
  assertFailedOneLine(
    unset,
    /Environment variable 'PGM_CLI_TEST_PW' is not set and no default was provided \(referenced by config key 'connection_settings\.password'\)\./,
  );
  // Without --resolve-env the reference is sent as the password itself, after a one-line hint.
  const [hint, ...rest] = noResolve.stderr.split(/(?<=\n)/);
  strictEqual(hint, resolveEnvHint(path, "connection_type"));
  assertFailedOneLine({ ...noResolve, stderr: rest.join("") }, /password authentication failed/);
});

Deno.test("--allow-sensitive-defaults permits ${VAR:-default} on the password", async () => {
  const path = await writeConfig(join(dir, "sensdef.yaml"), {
    ...config({ password: `\${PGM_CLI_UNSET_PW:-${db0.settings.password}}`, sslmode: "disable" }),
  });
  const [refused, allowed] = await Promise.all([
    cli(["pgconfig", "test", "--connconfig", path, "--resolve-env"]),
    cli(["pgconfig", "test", "--connconfig", path, "--resolve-env", "--allow-sensitive-defaults"]),
  ]);
  assertFailedOneLine(
    refused,
    /Default values are not allowed for sensitive key 'connection_settings\.password'/,
  );
  strictEqual(allowed.code, 0, show(allowed));
  ok(allowed.stdout.endsWith("Sync connection test completed successfully.\n"));
});

Deno.test("config warnings go to stderr, the test still passes", async () => {
  const path = await writeConfig(join(dir, "warn.yaml"), {
    ...config({ sslmode: "disable", hosst: "typo" }),
  });
  const r = await cli(["pgconfig", "test", "--connconfig", path]);
  strictEqual(r.code, 0, show(r));
  ok(r.stderr.startsWith("pgmonkey: warning: "), show(r));
  ok(r.stderr.includes("hosst"), show(r));
  ok(!r.stdout.includes("warning"));
});

Deno.test("PGMONKEY_DEBUG=1 adds the stack trace after the one-line error", async () => {
  const path = join(dir, "nope.yaml");
  const [quiet, debug] = await Promise.all([
    cli(["pgconfig", "test", "--connconfig", path]),
    cli(["pgconfig", "test", "--connconfig", path], { env: { PGMONKEY_DEBUG: "1" } }),
  ]);
  strictEqual(lines(quiet.stderr).length, 1);
  strictEqual(debug.code, 1);
  deepStrictEqual(lines(debug.stderr)[0], lines(quiet.stderr)[0]);
  ok(debug.stderr.includes("    at "), show(debug));
});

Deno.test("teardown: drop temp dir, close the admin connection", async () => {
  await Deno.remove(dir, { recursive: true });
  await db0.close();
});
