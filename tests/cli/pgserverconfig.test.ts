// `pgmonkey pgserverconfig [--audit]`: recommendations match pgmonkey (Python)'s
// captured output (tests/fixtures/cli/serverconfig, copied from
// reference/golden/serverconfig); the audit reads the live server read-only
// and falls back when it cannot.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  CONFIG_NOT_AVAILABLE,
  formatRecommendations,
  recommend,
} from "../../src/server/recommend.ts";
import {
  formatAudit,
  type HbaFileRuleRow,
  PG_HBA_FILE_RULES_SQL,
  PG_SETTINGS_SQL,
  type PgSettingRow,
} from "../../src/server/audit.ts";
import { adminSql, freshDatabase } from "../support/db.ts";
import { withoutClientCert } from "../server/_differences.ts";
import { cli, deadPort, FIXTURES, lines, show, tempDir, writeConfig } from "./_helpers.ts";

const db0 = await freshDatabase("cli serverconfig");
const dir = await tempDir("serverconfig");
const GOLDEN = join(FIXTURES, "serverconfig");

/** A golden input copied to the temp dir under the name the capture used. */
async function golden(name: string): Promise<{ path: string; stdout: string; rc: number }> {
  const path = join(dir, `${name}.yaml`);
  await Deno.copyFile(join(GOLDEN, `${name}.yaml.in`), path);
  const out = await Deno.readTextFile(join(GOLDEN, `${name}.out`));
  const m = /(?:^|\n)rc=(\d+)\n?$/.exec(out)!;
  const stdout = out.slice(0, m.index + (m[0].startsWith("\n") ? 1 : 0));
  return { path, stdout: withoutClientCert(stdout), rc: +m[1] };
}

const MATCHING = [
  "c01_disable_ipv4",
  "c02_verifyfull",
  "c03_verifyca_ipv6",
  "c04_nopool_require",
  "c05_strmax_allow",
  "c06_nosslmode",
  "c07_oldformat",
];

Deno.test("golden c01–c07: stdout matches pgmonkey (Python) line for line, exit 0", async () => {
  await Promise.all(MATCHING.map(async (name) => {
    const g = await golden(name);
    const r = await cli(["pgserverconfig", "--filepath", g.path]);
    strictEqual(r.code, g.rc, `${name}\n${show(r)}`);
    deepStrictEqual(r.stdout.split("\n"), g.stdout.split("\n"), name);
    if (name === "c07_oldformat") ok(r.stderr.startsWith("pgmonkey: warning: "), show(r));
    else strictEqual(r.stderr, "", `${name}\n${show(r)}`);
  }));
});

Deno.test("golden c08–c10: no host, empty file, invalid YAML exit 1 with one error line", async () => {
  const [noHost, empty, invalid] = await Promise.all(
    ["c08_nohost", "c09_empty", "c10_invalid"].map(async (name) => {
      const g = await golden(name);
      return { g, r: await cli(["pgserverconfig", "--filepath", g.path]) };
    }),
  );
  // c08: upstream crashes with a KeyError traceback (exit 1).
  strictEqual(noHost.r.code, 1, show(noHost.r));
  strictEqual(noHost.r.stdout, "");
  strictEqual(
    noHost.r.stderr,
    "pgmonkey: error: connection_settings.host is required to recommend pg_hba.conf entries\n",
  );
  // c09: same stdout as upstream; exit 1 (upstream 0): there is nothing to recommend from.
  strictEqual(empty.r.stdout, empty.g.stdout);
  strictEqual(empty.r.code, 1, show(empty.r));
  strictEqual(lines(empty.r.stderr).length, 1, show(empty.r));
  // c10: upstream prints PyYAML's message on stdout, then the 'not available' line (exit 0).
  strictEqual(invalid.r.stdout, `${CONFIG_NOT_AVAILABLE}\n`);
  strictEqual(lines(invalid.g.stdout).pop(), CONFIG_NOT_AVAILABLE);
  strictEqual(invalid.r.code, 1, show(invalid.r));
  ok(invalid.r.stderr.startsWith("pgmonkey: error: "), show(invalid.r));
  ok(invalid.r.stderr.includes("invalid YAML at line"), show(invalid.r));
});

Deno.test("missing file: error on stderr, 'not available' on stdout, exit 1", async () => {
  const path = join(dir, "nope.yaml");
  const r = await cli(["pgserverconfig", "--filepath", path]);
  strictEqual(r.code, 1, show(r));
  strictEqual(r.stdout, `${CONFIG_NOT_AVAILABLE}\n`);
  strictEqual(r.stderr, `pgmonkey: error: config file not found: ${path}\n`);
});

Deno.test("--resolve-env interpolates the file (upstream never does)", async () => {
  const path = await writeConfig(join(dir, "env.yaml"), {
    connection_settings: { host: "${PGM_CLI_SC_HOST}", sslmode: "verify-full" },
    pool_settings: { max_size: 20 },
  });
  const env = { PGM_CLI_SC_HOST: "10.20.30.40" };
  const [resolved, literal] = await Promise.all([
    cli(["pgserverconfig", "--filepath", path, "--resolve-env"], { env }),
    cli(["pgserverconfig", "--filepath", path], { env }),
  ]);
  strictEqual(resolved.code, 0, show(resolved));
  strictEqual(resolved.stderr, "");
  ok(resolved.stdout.includes("hostssl all     all   10.20.30.0/24    scram-sha-256\n"));
  ok(resolved.stdout.includes("max_connections = 22\n"));
  strictEqual(literal.code, 0, show(literal));
  ok(literal.stdout.includes("hostssl all     all   ${PGM_CLI_SC_HOST}    scram-sha-256"));
});

Deno.test("validation: references are checked once resolved, left alone without --resolve-env", async () => {
  const path = await writeConfig(join(dir, "refs.yaml"), {
    connection_settings: {
      host: "10.1.2.3",
      port: "${PGM_CLI_SC_PORT}",
      password: { from_env: "PGM_CLI_SC_PW" },
      sslmode: "require",
    },
    pool_settings: { max_size: 10 },
  });
  const env = { PGM_CLI_SC_PORT: "abc", PGM_CLI_SC_PW: "pw" };
  const [literal, resolved] = await Promise.all([
    cli(["pgserverconfig", "--filepath", path], { env }),
    cli(["pgserverconfig", "--filepath", path, "--resolve-env"], { env }),
  ]);
  strictEqual(literal.code, 0, show(literal));
  ok(literal.stdout.includes("max_connections = 11\n"), show(literal));
  strictEqual(resolved.code, 1, show(resolved));
  strictEqual(resolved.stdout, `${CONFIG_NOT_AVAILABLE}\n`);
  strictEqual(
    resolved.stderr,
    `pgmonkey: error: ${path}: connection_settings.port: expected an integer from 1 to 65535, ` +
      "got 'abc'\n",
  );
});

Deno.test("--audit as superuser: the comparison table and the server's pg_hba rules", async () => {
  const config = {
    connection_type: "pool",
    connection_settings: { ...db0.settings, sslmode: "require" },
    pool_settings: { min_size: 1, max_size: 10 },
  };
  const path = await writeConfig(join(dir, "audit.yaml"), config);
  const r = await cli(["pgserverconfig", "--filepath", path, "--audit"]);
  strictEqual(r.code, 0, show(r));
  strictEqual(r.stderr, "");
  // The same report, built from what the server says to the test's own admin connection.
  const settings = await db0.admin.unsafe(PG_SETTINGS_SQL) as unknown as PgSettingRow[];
  const hbaRules = await db0.admin.unsafe(PG_HBA_FILE_RULES_SQL) as unknown as HbaFileRuleRow[];
  const expected = formatAudit({ recommendations: recommend(config)!, settings, hbaRules });
  deepStrictEqual(r.stdout.split("\n"), expected.split("\n"));
  ok(r.stdout.includes("   max_connections  11 "), show(r));
  ok(r.stdout.includes("Current server rules:"));
  ok(r.stdout.includes("   Recommended entries:"));
});

Deno.test("--audit with a role that may not read pg_hba_file_rules: recommendations for pg_hba", async () => {
  const role = `pgm_cli_low_${crypto.randomUUID().slice(0, 8)}`;
  const password = `low-${crypto.randomUUID()}`;
  const root = adminSql();
  try {
    await root.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    const path = await writeConfig(join(dir, "low.yaml"), {
      connection_settings: { ...db0.settings, user: role, password, sslmode: "prefer" },
    });
    const r = await cli(["pgserverconfig", "--filepath", path, "--audit"]);
    strictEqual(r.code, 0, show(r));
    ok(r.stdout.startsWith("1) Database type detected: PostgreSQL\n\n2) Server settings audit:\n"));
    ok(
      r.stdout.includes(
        "   (pg_hba_file_rules not available or insufficient privileges - showing " +
          "recommendations only)\n\n   Recommended pg_hba.conf entries:\n",
      ),
      show(r),
    );
    ok(r.stdout.includes("   ssl              on "), show(r));
  } finally {
    await root.unsafe(`DROP ROLE IF EXISTS ${role}`);
    await root.end();
  }
});

Deno.test("--audit against a dead port: one line on stderr, the plain recommendations on stdout; exit 1", async () => {
  const port = deadPort();
  const config = {
    connection_settings: { ...db0.settings, port, sslmode: "require" },
    async_pool_settings: { max_size: 8 },
  };
  const path = await writeConfig(join(dir, "dead.yaml"), config);
  const r = await cli(["pgserverconfig", "--filepath", path, "--audit"]);
  strictEqual(r.code, 1, show(r));
  const reason =
    `could not connect to postgres@127.0.0.1:${port}/${db0.dbname}: connection refused`;
  strictEqual(r.stdout, formatRecommendations(recommend(config)));
  strictEqual(
    r.stderr,
    "pgmonkey: error: could not connect to the server for the audit, showing the " +
      `recommendations only: ${reason}\n`,
  );
});

Deno.test("--connconfig is accepted like in every other command", async () => {
  const path = await writeConfig(join(dir, "alias.yaml"), {
    connection_settings: { host: "10.0.0.5", sslmode: "require" },
  });
  const [viaFilepath, viaConnconfig] = await Promise.all([
    cli(["pgserverconfig", "--filepath", path]),
    cli(["pgserverconfig", "--connconfig", path]),
  ]);
  strictEqual(viaConnconfig.code, 0, show(viaConnconfig));
  strictEqual(viaConnconfig.stdout, viaFilepath.stdout);
  ok(viaConnconfig.stdout.includes("hostssl all     all   10.0.0.0/24    scram-sha-256\n"));
});

Deno.test("--audit --strict: exit 1 with one stderr line on MISMATCH, 0 when nothing mismatches", async () => {
  const settings = { ...db0.settings, sslmode: "require" };
  const [tooSmall, fine] = await Promise.all([
    // max_size 1000 asks for max_connections = 1100: more than the test server has.
    writeConfig(join(dir, "strict_bad.yaml"), {
      connection_settings: settings,
      pool_settings: { min_size: 1, max_size: 1000 },
    }),
    writeConfig(join(dir, "strict_ok.yaml"), {
      connection_settings: settings,
      pool_settings: { min_size: 1, max_size: 2 },
    }),
  ]);
  const [bad, badLenient, ok1] = await Promise.all([
    cli(["pgserverconfig", "--filepath", tooSmall, "--audit", "--strict"]),
    cli(["pgserverconfig", "--filepath", tooSmall, "--audit"]),
    cli(["pgserverconfig", "--filepath", fine, "--audit", "--strict"]),
  ]);
  strictEqual(bad.code, 1, show(bad));
  ok(bad.stdout.includes("MISMATCH"), show(bad));
  strictEqual(bad.stdout, badLenient.stdout, "the same report");
  strictEqual(bad.stderr, "pgmonkey: audit failed (--strict): MISMATCH for max_connections\n");
  strictEqual(badLenient.code, 0, show(badLenient));
  strictEqual(ok1.code, 0, show(ok1));
  strictEqual(ok1.stderr, "");
  ok(!ok1.stdout.includes("MISMATCH"), show(ok1));
});

Deno.test("--strict without --audit is a usage error (exit 2)", async () => {
  const path = await writeConfig(join(dir, "strict_only.yaml"), {
    connection_settings: { host: "localhost" },
  });
  const r = await cli(["pgserverconfig", "--filepath", path, "--strict"]);
  strictEqual(r.code, 2, show(r));
  ok(r.stderr.endsWith("pgmonkey pgserverconfig: error: argument --strict: only with --audit\n"));
});

Deno.test("a ${VAR} without --resolve-env: a one-line hint on stderr, the reference used as written", async () => {
  const path = await writeConfig(join(dir, "hint.yaml"), {
    connection_settings: { host: "${PGM_CLI_SC_HOST_HINT:-10.9.8.7}", sslmode: "require" },
  });
  const r = await cli(["pgserverconfig", "--filepath", path]);
  strictEqual(r.code, 0, show(r));
  strictEqual(
    r.stderr,
    `pgmonkey: hint: ${path}: connection_settings.host holds a \${VAR}, from_env or from_file ` +
      "reference, used as written; pass --resolve-env to resolve it\n",
  );
});

Deno.test("teardown: drop temp dir, close the admin connection", async () => {
  await Deno.remove(dir, { recursive: true });
  await db0.close();
});
