// The same file means the same thing in pgmonkey (Python): every key this library added lives
// where Python ignores it. Python passes pool_settings keys verbatim to psycopg_pool (an unknown
// key is a TypeError at pool creation), drops unknown connection_settings keys with a warning,
// and ignores unknown top-level sections. So: no new pool key; our connection_settings
// extras are libpq keywords Python drops with its warning (documented, the env vars are the
// portable way); everything else is in the top-level js_settings section.
import { deepStrictEqual, ok } from "node:assert/strict";
import { POOL_SETTING_KEYS, validateConfig } from "../../src/config/validate.ts";
import {
  CONNECTION_SETTING_KEYS,
  JS_SETTING_KEYS,
  LIBPQ_EXTRA_SETTING_KEYS,
} from "../../src/config/types.ts";
import { parseYaml } from "../../src/config/yaml.ts";
import { CONFIG_TEMPLATE } from "../../src/config/template.ts";

// psycopg_pool 3.2's ConnectionPool/AsyncConnectionPool keyword arguments (pgmonkey maps
// check_on_checkout onto `check`); reference: shared/reference/pgmonkey-behaviour.md §2.
const PSYCOPG_POOL_KWARGS = [
  "min_size",
  "max_size",
  "timeout",
  "max_idle",
  "max_lifetime",
  "max_waiting",
  "reconnect_timeout",
  "num_workers",
  "name",
];

// Python pgmonkey's VALID_CONNECTION_KEYS, in its order.
const PYTHON_CONNECTION_KEYS = [
  "user",
  "password",
  "host",
  "port",
  "dbname",
  "sslmode",
  "sslcert",
  "sslkey",
  "sslrootcert",
  "connect_timeout",
  "application_name",
  "keepalives",
  "keepalives_idle",
  "keepalives_interval",
  "keepalives_count",
  "autocommit",
];

Deno.test("no pool_settings key of ours would be a TypeError in psycopg_pool", () => {
  for (const key of POOL_SETTING_KEYS) {
    ok(key === "check_on_checkout" || PSYCOPG_POOL_KWARGS.includes(key), key);
  }
});

Deno.test("connection_settings: Python's 16 keys unchanged; our extras are libpq keywords Python drops", () => {
  deepStrictEqual([...CONNECTION_SETTING_KEYS], PYTHON_CONNECTION_KEYS);
  deepStrictEqual([...LIBPQ_EXTRA_SETTING_KEYS].sort(), [
    "hostaddr",
    "load_balance_hosts",
    "options",
    "passfile",
    "service",
    "sslnegotiation",
    "target_session_attrs",
  ]);
});

Deno.test("our own settings are a top-level section (Python ignores it) and change nothing else", () => {
  deepStrictEqual([...JS_SETTING_KEYS], [
    "pgbouncer",
    "notices",
    "leak_detection_threshold",
    "foreign_connections",
    "reread_secrets",
  ]);
  const base = parseYaml(CONFIG_TEMPLATE) as Record<string, unknown>;
  const withOurs = {
    ...base,
    js_settings: {
      pgbouncer: true,
      notices: "all",
      leak_detection_threshold: 30,
      foreign_connections: "reject",
      reread_secrets: true,
    },
  };
  const a = validateConfig(base, { onWarning: () => {} });
  const b = validateConfig(withOurs, { onWarning: () => {} });
  const { js_settings: _a, ...restA } = a;
  const { js_settings: _b, ...restB } = b;
  deepStrictEqual(restB, restA, "every section Python reads means the same with js_settings added");
  // The template Python users get from `pgconfig create` holds our section only as comments.
  deepStrictEqual(Object.keys(base).sort(), [
    "async_pool_settings",
    "async_settings",
    "connection_settings",
    "connection_type",
    "pool_settings",
    "sync_settings",
  ]);
});
