import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { CONFIG_TEMPLATE } from "../../src/config/template.ts";
import { CONFIG_SCHEMA_URL } from "../../src/config/schema.ts";
import { parseYaml } from "../../src/config/yaml.ts";
import { validateConfig } from "../../src/config/validate.ts";

// Verbatim copy of upstream's src/pgmonkey/common/templates/postgres.yaml
// (reference/golden/templates/pgconfig_create_template.yaml, md5 c1af703c…).
const GOLDEN = `# Default connection type used when none is specified in the API call.
# Options: 'normal', 'pool', 'async', 'async_pool'
# You can override this per-call:
#   manager.get_database_connection('config.yaml', 'pool')
connection_type: 'normal'

connection_settings:
  user: 'postgres'
  password: 'password'
  host: 'localhost'
  port: '5432'
  dbname: 'mydatabase'
  sslmode: 'prefer'  # Options: disable, allow, prefer, require, verify-ca, verify-full
  sslcert: ''  # Path to the client SSL certificate, if needed
  sslkey: ''  # Path to the client SSL key, if needed
  sslrootcert: ''  # Path to the root SSL certificate, if needed
  connect_timeout: '10'  # Maximum wait for connection, in seconds
  application_name: 'myapp'
  keepalives: '1'  # Enable TCP keepalives (1=on, 0=off)
  keepalives_idle: '60'  # Seconds before sending a keepalive probe
  keepalives_interval: '15'  # Seconds between keepalive probes
  keepalives_count: '5'  # Max keepalive probes before closing the connection
  # autocommit: false  # Enable autocommit mode (required for DDL like CREATE DATABASE, VACUUM, etc.)

# Session-level GUC settings for 'normal' and 'pool' connection types.
# For 'normal': applied via SET commands after connect.
# For 'pool': applied via psycopg_pool's configure callback on each checkout.
sync_settings:
  # statement_timeout: '30000'  # Cancel statements exceeding this time (ms)
  # lock_timeout: '10000'  # Timeout for acquiring locks (ms)
  # idle_in_transaction_session_timeout: '5000'  # Timeout for idle in transaction (ms)
  # work_mem: '256MB'  # Memory for sort operations and more

# Settings for 'pool' connection type
pool_settings:
  min_size: 5
  max_size: 20
  timeout: 30  # Seconds to wait for a connection from the pool before raising an error
  max_idle: 300  # Seconds a connection can remain idle before being closed
  max_lifetime: 3600  # Seconds a connection can be reused
  check_on_checkout: false  # Validate connections with SELECT 1 before handing to caller
  # max_waiting: 0  # Max clients queued waiting for a connection (0 = unlimited)
  # reconnect_timeout: 300  # Seconds to keep trying to reconnect failed connections (0 = forever)
  # num_workers: 3  # Number of background workers maintaining pool connections

# Session-level GUC settings for 'async' and 'async_pool' connection types.
# For 'async': applied via SET commands after connect.
# For 'async_pool': applied via psycopg_pool's configure callback on each checkout.
async_settings:
  idle_in_transaction_session_timeout: '5000'  # Timeout for idle in transaction (ms)
  statement_timeout: '30000'  # Cancel statements exceeding this time (ms)
  lock_timeout: '10000'  # Timeout for acquiring locks (ms)
  # work_mem: '256MB'  # Memory for sort operations and more

# Settings for 'async_pool' connection type
async_pool_settings:
  min_size: 5
  max_size: 20
  timeout: 30  # Seconds to wait for a connection from the pool before raising an error
  max_idle: 300
  max_lifetime: 3600
  check_on_checkout: false  # Validate connections with SELECT 1 before handing to caller
  # max_waiting: 0  # Max clients queued waiting for a connection (0 = unlimited)
  # reconnect_timeout: 300  # Seconds to keep trying to reconnect failed connections (0 = forever)
  # num_workers: 3  # Number of background workers maintaining pool connections

# -- Advanced: environment variable interpolation (opt-in) --
# By default, pgmonkey uses the literal values above as-is.
# If you need to inject secrets at runtime instead of hardcoding them,
# enable interpolation with resolve_env=True in Python or --resolve-env on the CLI.
#
#   Inline syntax:
#     host: '\${PGHOST:-localhost}'     # uses env var, falls back to 'localhost'
#     password: '\${PGPASSWORD}'        # required - error if not set
#
#   Structured syntax (recommended for secrets):
#     password:
#       from_env: PGMONKEY_DB_PASSWORD       # reads env var
#     password:
#       from_file: /var/run/secrets/db/pass   # reads file, trims trailing newline
#
# Sensitive keys (password, sslkey, sslcert, sslrootcert) do not allow
# defaults in \${VAR:-default} by default, to prevent accidental fallbacks.
`;

Deno.test("CONFIG_TEMPLATE: parses to exactly what upstream's template parses to", () => {
  deepStrictEqual(parseYaml(CONFIG_TEMPLATE), parseYaml(GOLDEN));
  deepStrictEqual(parseYaml(GOLDEN), {
    connection_type: "normal",
    connection_settings: {
      user: "postgres",
      password: "password",
      host: "localhost",
      port: "5432",
      dbname: "mydatabase",
      sslmode: "prefer",
      sslcert: "",
      sslkey: "",
      sslrootcert: "",
      connect_timeout: "10",
      application_name: "myapp",
      keepalives: "1",
      keepalives_idle: "60",
      keepalives_interval: "15",
      keepalives_count: "5",
    },
    sync_settings: null,
    pool_settings: {
      min_size: 5,
      max_size: 20,
      timeout: 30,
      max_idle: 300,
      max_lifetime: 3600,
      check_on_checkout: false,
    },
    async_settings: {
      idle_in_transaction_session_timeout: "5000",
      statement_timeout: "30000",
      lock_timeout: "10000",
    },
    async_pool_settings: {
      min_size: 5,
      max_size: 20,
      timeout: 30,
      max_idle: 300,
      max_lifetime: 3600,
      check_on_checkout: false,
    },
  });
});

Deno.test("CONFIG_TEMPLATE: the schema line, then upstream's layout (83 lines, same blank and comment lines) with our commented js_settings block", () => {
  const [schemaLine, ...ours] = CONFIG_TEMPLATE.split("\n");
  strictEqual(schemaLine, `# yaml-language-server: $schema=${CONFIG_SCHEMA_URL}`);
  // Our own section, commented out (so the template parses exactly as upstream's): 8 lines.
  const js = ours.indexOf(
    "# Settings of pgmonkey for Deno/Node only (pgmonkey (Python) ignores this section).",
  );
  ok(js > 0);
  const block = ours.splice(js, 8);
  strictEqual(block[1], "# js_settings:");
  ok(block.slice(0, 7).every((l) => l.startsWith("#")) && block[7] === "");
  const theirs = GOLDEN.split("\n");
  strictEqual(ours.length, theirs.length);
  strictEqual(ours.length - 1, 83);
  ok(CONFIG_TEMPLATE.endsWith("\n"));
  for (let i = 0; i < ours.length; i++) {
    const kind = (l: string) =>
      l === ""
        ? "blank"
        : l.trimStart().startsWith("#")
        ? "comment"
        : l.replace(/#.*$/, "").trimEnd();
    strictEqual(kind(ours[i]), kind(theirs[i]), `line ${i + 1}`);
  }
});

Deno.test("CONFIG_TEMPLATE: TypeScript wording, no Python API names", () => {
  ok(CONFIG_TEMPLATE.includes('manager.getDatabaseConnection("config.yaml", "pool")'));
  ok(CONFIG_TEMPLATE.includes("resolveEnv: true in TypeScript"));
  ok(!CONFIG_TEMPLATE.includes("get_database_connection"));
  ok(!CONFIG_TEMPLATE.includes("resolve_env=True"));
  ok(!CONFIG_TEMPLATE.includes("psycopg_pool"));
});

Deno.test("CONFIG_TEMPLATE: validates without warnings", () => {
  const seen: string[] = [];
  {
    const cfg = validateConfig(parseYaml(CONFIG_TEMPLATE), { onWarning: (m) => seen.push(m) });
    deepStrictEqual(cfg, {
      connection_type: "normal",
      connection_settings: {
        user: "postgres",
        password: "password",
        host: "localhost",
        port: 5432,
        dbname: "mydatabase",
        sslmode: "prefer",
        connect_timeout: 10,
        application_name: "myapp",
        keepalives: true,
        keepalives_idle: 60,
        keepalives_interval: 15,
        keepalives_count: 5,
        emptyKeys: ["sslcert", "sslkey", "sslrootcert"],
      },
      sync_settings: {},
      pool_settings: {
        min_size: 5,
        max_size: 20,
        timeout: 30,
        max_idle: 300,
        max_lifetime: 3600,
        check_on_checkout: false,
      },
      async_settings: {
        idle_in_transaction_session_timeout: "5000",
        statement_timeout: "30000",
        lock_timeout: "10000",
      },
      js_settings: {},
      async_pool_settings: {
        min_size: 5,
        max_size: 20,
        timeout: 30,
        max_idle: 300,
        max_lifetime: 3600,
        check_on_checkout: false,
      },
    });
  }
  deepStrictEqual(seen, []);
});
