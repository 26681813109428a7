// Tests of the npm package as a Node user gets it: run by scripts/build_npm.ts
// with `node --test` in a temp project where the packed tarball is installed,
// against the throwaway PostgreSQL the build starts (PGMONKEY_TEST_*).
//
// Plain JavaScript on purpose (no build step), and not named *.test.mjs so
// that `deno test` leaves it alone. The package name comes from the
// environment, so Deno's module graph never has to resolve it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";

const PKG = required("PGMONKEY_NPM_PACKAGE");
const VERSION = required("PGMONKEY_NPM_VERSION");
const NODE_MAJOR = Number(required("PGMONKEY_NPM_NODE_MAJOR"));
/** README files whose ```js blocks are Node examples, `:`-separated, relative to the project. */
const READMES = required("PGMONKEY_NPM_READMES").split(":");
const server = {
  host: required("PGMONKEY_TEST_HOST"),
  port: Number(required("PGMONKEY_TEST_PORT")),
  user: required("PGMONKEY_TEST_USER"),
  password: required("PGMONKEY_TEST_PASSWORD"),
  certDir: required("PGMONKEY_TEST_CERTDIR"),
};
const TYPES = ["normal", "pool", "async", "async_pool"];
const BIN = join(process.cwd(), "node_modules", ".bin", "pgmonkey");

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through scripts/build_npm.ts`);
  return value;
}

const lib = await import(PKG);
const cli = await import(`${PKG}/cli`);

let dir;
let configPath;
const dbname = `npm_pkg_${Math.random().toString(36).slice(2, 10)}`;

/** `connection_settings` for the fresh database over TLS, chain verified. */
function connectionSettings(extra = {}) {
  return {
    host: server.host,
    port: String(server.port),
    user: server.user,
    password: "${PGMONKEY_NPM_TEST_PASSWORD}",
    dbname,
    sslmode: "verify-ca",
    sslrootcert: join(server.certDir, "ca.crt"),
    application_name: "pgmonkey-npm-test",
    ...extra,
  };
}

function yamlOf(config) {
  // JSON is YAML: no need for a YAML library in the test project.
  return JSON.stringify(config, null, 2) + "\n";
}

/** The admin connection (autocommit, database `postgres`) for CREATE/DROP DATABASE. */
async function withAdmin(fn) {
  const manager = new lib.PGConnectionManager();
  try {
    const db = await manager.getDatabaseConnectionFromConfig({
      connection_settings: {
        host: server.host,
        port: server.port,
        user: server.user,
        password: server.password,
        dbname: "postgres",
        sslmode: "disable",
        autocommit: true,
      },
    }, "normal");
    return await fn(db);
  } finally {
    await manager.clearCache();
  }
}

/** Runs a program with PGMONKEY_NPM_TEST_PASSWORD set; resolves to its exit status and output. */
function runProgram(cmd, args, { cwd = process.cwd(), env = {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, PGMONKEY_NPM_TEST_PASSWORD: server.password, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => stdout += d);
    child.stderr.on("data", (d) => stderr += d);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the installed `pgmonkey` bin. */
function pgmonkey(args) {
  return runProgram(BIN, args);
}

before(async () => {
  process.env.PGMONKEY_NPM_TEST_PASSWORD = server.password;
  await withAdmin((db) => db.sql.unsafe(`CREATE DATABASE "${dbname}"`));
  // Inside the temp project the build made, which it deletes afterwards.
  dir = await mkdtemp(join(process.cwd(), "tmp-"));
  configPath = join(dir, "config.yaml");
  await writeFile(
    configPath,
    yamlOf({
      connection_type: "pool",
      connection_settings: connectionSettings(),
      sync_settings: { statement_timeout: "31000" },
      async_settings: { statement_timeout: "17000" },
      pool_settings: { min_size: 2, max_size: 4, timeout: 5 },
      async_pool_settings: { min_size: 1, max_size: 3, timeout: 5 },
    }),
  );
});

after(async () => {
  await withAdmin((db) => db.sql.unsafe(`DROP DATABASE IF EXISTS "${dbname}" WITH (FORCE)`));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the package exports the library and the CLI, and knows its version", async () => {
  for (
    const name of [
      "PGConnectionManager",
      "loadConfig",
      "validateConfig",
      "redactConfig",
      "ConfigError",
      "ConnectionError",
      "PoolTimeoutError",
    ]
  ) {
    assert.equal(typeof lib[name], "function", name);
  }
  assert.deepEqual([...lib.CONNECTION_TYPES], TYPES);
  assert.equal(typeof cli.main, "function");
  let out = "";
  const status = await cli.main(["--version"], { stdout: (t) => out += t, stderr: () => {} });
  assert.equal(status, 0);
  assert.equal(out, `pgmonkey ${VERSION}\n`);
});

test("loads a config file: env interpolation, validation, redaction, ConfigError", async () => {
  const raw = await lib.loadConfig(configPath, { resolveEnv: true });
  assert.equal(raw.connection_settings.password, server.password);
  const config = lib.validateConfig(raw);
  assert.equal(config.connection_type, "pool");
  assert.equal(config.connection_settings.port, server.port);
  assert.equal(config.connection_settings.sslmode, "verify-ca");
  assert.equal(lib.redactConfig(raw).connection_settings.password, lib.REDACTED);
  // Without resolveEnv the placeholder stays literal.
  const literal = await lib.loadConfig(configPath);
  assert.equal(literal.connection_settings.password, "${PGMONKEY_NPM_TEST_PASSWORD}");
  assert.throws(() => lib.validateConfig(null), lib.ConfigError);
  await assert.rejects(lib.loadConfig(join(dir, "missing.yaml")), lib.ConfigError);
});

test("connects with all four connection types over verified TLS", async () => {
  const manager = new lib.PGConnectionManager();
  try {
    for (const type of TYPES) {
      const db = await manager.getDatabaseConnection(configPath, type, { resolveEnv: true });
      assert.equal(db.connectionType, type);
      const [row] = await db.sql`
        SELECT current_database() AS db, s.ssl, current_setting('statement_timeout') AS st
        FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()`;
      assert.deepEqual(
        { ...row },
        { db: dbname, ssl: true, st: type === "normal" || type === "pool" ? "31s" : "17s" },
        type,
      );
    }
    assert.equal(manager.cacheInfo.size, 4);
    const stats = (await manager.getDatabaseConnection(configPath, "pool", { resolveEnv: true }))
      .stats();
    assert.ok(stats.size >= 2, `pool opened min_size connections: ${JSON.stringify(stats)}`);
  } finally {
    await manager.clearCache();
  }
});

test("a transaction commits on success and rolls back (and rethrows) on error", async () => {
  const manager = new lib.PGConnectionManager();
  try {
    const db = await manager.getDatabaseConnection(configPath, "async_pool", { resolveEnv: true });
    await db.sql`CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL)`;
    const rows = await db.transaction(async (tx) => {
      await tx`INSERT INTO customers ${tx({ name: "Frank" })}`;
      return await tx`SELECT name FROM customers`;
    });
    assert.deepEqual(rows.map((r) => r.name), ["Frank"]);
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx`INSERT INTO customers ${tx({ name: "Ghost" })}`;
        throw new Error("boom");
      }),
      /boom/,
    );
    const names = await db.sql`SELECT name FROM customers ORDER BY id`;
    assert.deepEqual(names.map((r) => r.name), ["Frank"]);
  } finally {
    await manager.clearCache();
  }
});

test("the pgmonkey bin: pgconfig test with every connection type", async () => {
  for (const type of TYPES) {
    const r = await pgmonkey([
      "pgconfig",
      "test",
      "--connconfig",
      configPath,
      "--connection-type",
      type,
      "--resolve-env",
    ]);
    assert.equal(r.code, 0, `${type}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Connection type: ${type}$`, "m"));
    assert.match(r.stdout, /^TLS in use: yes/m);
    const kind = type.startsWith("async") ? "Async" : "Sync";
    assert.match(r.stdout, new RegExp(`${kind} connection test completed successfully\\.\\n$`));
    assert.ok(!r.stdout.includes(server.password) && !r.stderr.includes(server.password));
  }
  const bad = await pgmonkey(["pgconfig", "test", "--connconfig", configPath]);
  assert.equal(bad.code, 1, "without --resolve-env the password is the literal placeholder");
  // A one-line hint at --resolve-env first, then the one-line failure.
  assert.match(
    bad.stderr,
    /^pgmonkey: hint: .*pass --resolve-env to resolve it\npgmonkey: connection test failed: /,
  );
});

test("the pgmonkey bin: pgserverconfig, --version and usage errors", async () => {
  const r = await pgmonkey(["pgserverconfig", "--filepath", configPath]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pg_hba\.conf/);
  assert.match(r.stdout, /^hostssl\s+all\s+all\s/m);
  assert.match(r.stdout, /^ssl = on$/m);
  // --audit connects (superuser: reads pg_settings and pg_hba_file_rules).
  const audit = await pgmonkey([
    "pgserverconfig",
    "--filepath",
    configPath,
    "--audit",
    "--resolve-env",
  ]);
  assert.equal(audit.code, 0, audit.stderr);
  assert.match(audit.stdout, /^\s*ssl\b.*\bOK\b/m);
  const version = await pgmonkey(["--version"]);
  assert.deepEqual([version.code, version.stdout], [0, `pgmonkey ${VERSION}\n`]);
  const usage = await pgmonkey([]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /a command is required/);
});

test("the postgres.js drop-in (/postgres) runs postgres.js code on pgmonkey's pool", async () => {
  const { default: postgres } = await import(`${PKG}/postgres`);
  const sql = postgres({
    host: server.host,
    port: server.port,
    user: server.user,
    pass: server.password,
    database: dbname,
    ssl: "require",
    max: 2,
    transform: postgres.camel,
  });
  try {
    const [{ fooBar, ssl }] = await sql`
      select 1 as foo_bar, ssl from pg_stat_ssl where pid = pg_backend_pid()`;
    assert.deepEqual([fooBar, ssl], [1, true]);
    const result = await sql.begin((tx) => tx`select ${sql.array([1, 2])}::int[] as a`);
    assert.deepEqual(result[0].a, [1, 2]);
    assert.ok(!JSON.stringify(sql.options).includes(server.password));
  } finally {
    await sql.end();
  }
});

test("a script that queries and returns exits by itself", async () => {
  // In the project, so that the package resolves from its node_modules.
  const script = join(process.cwd(), "exits.mjs");
  await writeFile(
    script,
    `import { PGConnectionManager } from ${JSON.stringify(PKG)};
const manager = new PGConnectionManager();
for (const type of ${JSON.stringify(TYPES)}) {
  const db = await manager.getDatabaseConnection(${
      JSON.stringify(configPath)
    }, type, { resolveEnv: true });
  await db.transaction((tx) => tx\`SELECT 1\`);
}
console.log("done");
`,
  );
  const started = Date.now();
  const r = await runProgram(process.execPath, [script], { timeoutMs: 30_000 });
  assert.deepEqual([r.code, r.signal, r.stdout + r.stderr], [0, null, "done\n"]);
  assert.ok(Date.now() - started < 20_000, "exited without waiting for idle timeouts");
});

test("runs on the oldest supported Node, which the package's engines field names", async () => {
  assert.equal(Number(process.versions.node.split(".")[0]), NODE_MAJOR, process.version);
  const pkg = JSON.parse(await readFile(join("node_modules", PKG, "package.json"), "utf8"));
  assert.equal(pkg.engines.node, `>=${NODE_MAJOR}`);
});

/** The ```js blocks of a Markdown file. */
function jsBlocks(markdown) {
  return [...markdown.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

test("the README's Node examples run as written", async (t) => {
  // What the examples expect: config.yaml in the working directory (the
  // password from PGPASSWORD with resolveEnv) and a customers table.
  const examples = join(dir, "examples");
  await mkdir(examples);
  await writeFile(
    join(examples, "config.yaml"),
    yamlOf({
      connection_type: "pool",
      connection_settings: connectionSettings({ password: "${PGPASSWORD}" }),
      pool_settings: { min_size: 1, max_size: 4, timeout: 5 },
    }),
  );
  const manager = new lib.PGConnectionManager();
  try {
    const db = await manager.getDatabaseConnectionFromConfig({
      connection_settings: connectionSettings({ password: server.password }),
    }, "normal");
    await db.sql`CREATE TABLE IF NOT EXISTS customers (id serial PRIMARY KEY, name text)`;
  } finally {
    await manager.clearCache();
  }
  let count = 0;
  for (const readme of READMES) {
    const blocks = jsBlocks(await readFile(readme, "utf8"));
    assert.ok(blocks.length > 0, `${readme} has Node examples`);
    for (const [i, code] of blocks.entries()) {
      const name = `${readme.split("/").pop()} #${i + 1}`;
      await t.test(name, async () => {
        // In the project, so that the package resolves from its node_modules.
        const file = join(examples, `example-${++count}.mjs`);
        await writeFile(file, code);
        const r = await runProgram(process.execPath, [file], {
          cwd: examples,
          env: { PGPASSWORD: server.password },
          timeoutMs: 30_000,
        });
        assert.deepEqual([r.code, r.signal, r.stderr], [0, null, ""], `${name}:\n${code}`);
        assert.ok(!r.stdout.includes(server.password), "no password in the output");
      });
    }
  }
});
