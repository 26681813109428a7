import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import type { ConfigError } from "../../src/errors.ts";
import { parseBoolean, resolveConnectionType, validateConfig } from "../../src/config/validate.ts";
import type { WarningHandler } from "../../src/config/warn.ts";
import type { PgMonkeyConfig } from "../../src/config/types.ts";

function withWarnings<T>(fn: (onWarning: WarningHandler) => T): [T, string[]] {
  const seen: string[] = [];
  return [fn((m) => void seen.push(m)), seen];
}

const EMPTY_SECTIONS = {
  sync_settings: {},
  async_settings: {},
  pool_settings: {},
  async_pool_settings: {},
  js_settings: {},
};

Deno.test("validateConfig: a minimal config gets every section and type normal", () => {
  const [cfg, warnings] = withWarnings((onWarning) =>
    validateConfig({ connection_settings: { host: "db" } }, { onWarning })
  );
  deepStrictEqual(
    cfg,
    {
      connection_type: "normal",
      connection_settings: { host: "db" },
      ...EMPTY_SECTIONS,
    } satisfies PgMonkeyConfig,
  );
  deepStrictEqual(warnings, []);
});

Deno.test("validateConfig: unknown connection settings: one warning with upstream's text, keys dropped", () => {
  const [cfg, warnings] = withWarnings((onWarning) =>
    validateConfig({ connection_settings: { hosst: "x", host: "db", Port: 1, zzz: null } }, {
      onWarning,
    })
  );
  deepStrictEqual(cfg.connection_settings, { host: "db" });
  deepStrictEqual(warnings, [
    "Unknown connection settings ignored: Port, hosst, zzz. Valid keys: user, password, host, port, dbname, sslmode, sslcert, sslkey, sslrootcert, connect_timeout, application_name, keepalives, keepalives_idle, keepalives_interval, keepalives_count, autocommit",
  ]);
});

Deno.test("validateConfig: null and '' mean unset ('' keys listed in emptyKeys); 0 and false are kept", () => {
  const [cfg] = withWarnings((onWarning) =>
    validateConfig({
      connection_settings: {
        user: null,
        password: "",
        sslcert: "",
        sslmode: null,
        connect_timeout: 0,
        keepalives: 0,
        autocommit: false,
      },
    }, { onWarning })
  );
  deepStrictEqual(cfg.connection_settings, {
    connect_timeout: 0,
    keepalives: false,
    autocommit: false,
    emptyKeys: ["password", "sslcert"],
  });
});

Deno.test("validateConfig: numeric strings, numbers as strings, forgiving booleans", () => {
  const cfg = validateConfig({
    connection_settings: {
      user: "postgres",
      password: 12345678,
      host: "localhost",
      port: "5432",
      dbname: 511,
      sslmode: "verify-full",
      connect_timeout: "10",
      application_name: "myapp",
      keepalives: "1",
      keepalives_idle: "60",
      keepalives_interval: 15.5,
      keepalives_count: "5",
      autocommit: "false",
    },
  });
  deepStrictEqual(cfg.connection_settings, {
    user: "postgres",
    password: "12345678",
    host: "localhost",
    port: 5432,
    dbname: "511",
    sslmode: "verify-full",
    connect_timeout: 10,
    application_name: "myapp",
    keepalives: true,
    keepalives_idle: 60,
    keepalives_interval: 15.5,
    keepalives_count: 5,
    autocommit: false,
  });
});

Deno.test("parseBoolean: booleans, 0/1 and words in any case", () => {
  for (const v of [true, 1, "true", "TRUE", "Yes", "on", "1", " on "]) {
    strictEqual(parseBoolean(v), true, String(v));
  }
  for (const v of [false, 0, "false", "No", "OFF", "0"]) {
    strictEqual(parseBoolean(v), false, String(v));
  }
  for (const v of ["maybe", 2, "", null, [], "y"]) {
    strictEqual(parseBoolean(v), undefined, String(v));
  }
});

Deno.test("validateConfig: session settings use Python str() and drop nulls", () => {
  const cfg = validateConfig({
    connection_settings: {},
    sync_settings: {
      statement_timeout: 30000,
      jit: true,
      enable_seqscan: false,
      x: 1.5,
      search_path: "",
      y: null,
    },
    async_settings: null,
  });
  deepStrictEqual(cfg.sync_settings, {
    statement_timeout: "30000",
    jit: "True",
    enable_seqscan: "False",
    x: "1.5",
    search_path: "",
  });
  deepStrictEqual(cfg.async_settings, {});
});

Deno.test("validateConfig: pool settings: known keys typed, numeric strings accepted, min/max compared as numbers", () => {
  const [cfg, warnings] = withWarnings((onWarning) =>
    validateConfig({
      connection_settings: {},
      pool_settings: {
        min_size: "5",
        max_size: "20", // upstream compares '5' > '20' as strings and fails
        timeout: "2.5",
        max_idle: 300,
        max_lifetime: 3600,
        check_on_checkout: "yes",
        max_waiting: 0,
        reconnect_timeout: 300,
        num_workers: 3,
        name: "main",
      },
      async_pool_settings: { min_size: 1, max_size: 1, kwarg: 1, another: 2, open: true },
    }, { onWarning })
  );
  deepStrictEqual(cfg.pool_settings, {
    min_size: 5,
    max_size: 20,
    timeout: 2.5,
    max_idle: 300,
    max_lifetime: 3600,
    check_on_checkout: true,
    max_waiting: 0,
    reconnect_timeout: 300,
    num_workers: 3,
    name: "main",
  });
  deepStrictEqual(cfg.async_pool_settings, { min_size: 1, max_size: 1 });
  deepStrictEqual(warnings, [
    "Unknown pool settings ignored in async_pool_settings: another, kwarg, open. Valid keys: min_size, max_size, timeout, max_idle, max_lifetime, check_on_checkout, max_waiting, reconnect_timeout, num_workers, name",
  ]);
});

Deno.test("validateConfig: falsy sections are empty, as Python's `or {}`", () => {
  const cfg = validateConfig({
    connection_settings: {},
    sync_settings: "",
    pool_settings: [],
    async_pool_settings: 0,
  });
  deepStrictEqual(cfg, { connection_type: "normal", connection_settings: {}, ...EMPTY_SECTIONS });
});

Deno.test("validateConfig: other top-level keys are ignored silently", () => {
  const [cfg, warnings] = withWarnings((onWarning) =>
    validateConfig({ connection_settings: {}, extra: { anything: [1] }, version: 3 }, { onWarning })
  );
  deepStrictEqual(cfg, { connection_type: "normal", connection_settings: {}, ...EMPTY_SECTIONS });
  deepStrictEqual(warnings, []);
});

Deno.test("validateConfig: an explicit connectionType wins over (and skips checking) the file's", () => {
  const cfg = validateConfig({ connection_type: "bogus", connection_settings: {} }, {
    connectionType: "async_pool",
  });
  strictEqual(cfg.connection_type, "async_pool");
  strictEqual(
    validateConfig({ connection_type: "pool", connection_settings: {} }).connection_type,
    "pool",
  );
});

Deno.test("validateConfig: without a file the message starts with the key", () => {
  throws(() => validateConfig({ connection_settings: { port: "x" } }), {
    name: "ConfigError",
    message: "connection_settings.port: expected an integer from 1 to 65535, got 'x'",
  });
  throws(() => validateConfig(null), {
    name: "ConfigError",
    message: "config is empty; expected a mapping with connection_settings",
  });
});

Deno.test("validateConfig: sensitive values are never shown, whatever the key", () => {
  throws(
    () =>
      validateConfig({
        connection_settings: {},
        sync_settings: { my_secret_guc: { v: "hunter2" } },
      }),
    (e: unknown) => {
      strictEqual(
        (e as ConfigError).message,
        "sync_settings.my_secret_guc: expected a single value (string, number or boolean), got a mapping",
      );
      return true;
    },
  );
  throws(() => validateConfig({ connection_settings: { sslkey: true } }), {
    message:
      "connection_settings.sslkey: expected a string, got a boolean (quote the value in YAML)",
  });
  throws(() => validateConfig({ connection_settings: { password: new Uint8Array([1]) } }), {
    message: "connection_settings.password: expected a string, got a binary value",
  });
});

Deno.test("validateConfig: long and multi-line values are shortened and escaped (one line)", () => {
  throws(() => validateConfig({ connection_settings: { sslmode: "a\nb" } }), {
    message:
      "connection_settings.sslmode: invalid sslmode 'a\\nb'; expected one of: disable, allow, prefer, require, verify-ca, verify-full",
  });
  throws(() => validateConfig({ connection_settings: { port: "9".repeat(100) } }), (e: unknown) => {
    strictEqual(
      (e as Error).message,
      `connection_settings.port: expected an integer from 1 to 65535, got '${"9".repeat(57)}...'`,
    );
    return true;
  });
});

Deno.test("resolveConnectionType: explicit argument, else the config's, else normal", () => {
  strictEqual(resolveConnectionType("pool", { connection_type: "async" }), "pool");
  strictEqual(resolveConnectionType(undefined, { connection_type: "async" }), "async");
  strictEqual(resolveConnectionType("", { connection_type: "async" }), "async");
  strictEqual(resolveConnectionType(null, {}), "normal");
  strictEqual(resolveConnectionType(undefined, null), "normal");
});

Deno.test("resolveConnectionType: upstream's error text", () => {
  throws(() => resolveConnectionType("bogus", {}), {
    name: "ConfigError",
    message: "Unsupported connection type: 'bogus'. Valid types: normal, pool, async, async_pool",
  });
  throws(() => resolveConnectionType(undefined, { connection_type: null }, "c.yaml"), {
    message:
      "c.yaml: connection_type: Unsupported connection type: 'None'. Valid types: normal, pool, async, async_pool",
  });
  throws(() => resolveConnectionType(undefined, { connection_type: true }), {
    message:
      "connection_type: Unsupported connection type: 'True'. Valid types: normal, pool, async, async_pool",
  });
});

Deno.test("validateConfig: allowUnresolved leaves ${VAR} / from_env / from_file unchecked", () => {
  const raw = {
    connection_type: "${PGM_TYPE}",
    connection_settings: {
      host: "db",
      port: "${PGPORT}",
      password: { from_env: "PGPASSWORD" },
      sslkey: { from_file: "/run/secrets/key" },
    },
    pool_settings: { max_size: "${POOL_MAX}" },
    sync_settings: { statement_timeout: "${TIMEOUT:-30s}" },
  };
  const cfg = validateConfig(raw, { allowUnresolved: true });
  deepStrictEqual(cfg.connection_settings, { host: "db" });
  deepStrictEqual(cfg.pool_settings, {});
  deepStrictEqual(cfg.sync_settings, {});
  strictEqual(cfg.connection_type, "normal");
  // Without the option, a reference is checked as the value it is.
  throws(
    () => validateConfig(raw, { file: "c.yaml", connectionType: "normal" }),
    (e: ConfigError) =>
      e.message === "c.yaml: connection_settings.password: expected a string, got a mapping " +
          "(from_env/from_file need resolveEnv: true)",
  );
  throws(
    () => validateConfig({ connection_settings: { port: "${PGPORT}" } }, { file: "c.yaml" }),
    (e: ConfigError) =>
      e.message ===
        "c.yaml: connection_settings.port: expected an integer from 1 to 65535, got '${PGPORT}'",
  );
  // Real values are still checked with the option.
  throws(
    () => validateConfig({ connection_settings: { port: "abc" } }, { allowUnresolved: true }),
    /connection_settings\.port: expected an integer from 1 to 65535, got 'abc'/,
  );
});

Deno.test("validateConfig: js_settings, this library's own section, is checked strictly", () => {
  const cfg = validateConfig({
    connection_settings: { host: "db" },
    js_settings: {
      pgbouncer: "yes",
      notices: "all",
      leak_detection_threshold: "2.5",
      foreign_connections: "reject",
      reread_secrets: true,
    },
  });
  deepStrictEqual(cfg.js_settings, {
    pgbouncer: true,
    notices: "all",
    leak_detection_threshold: 2.5,
    foreign_connections: "reject",
    reread_secrets: true,
  });
  deepStrictEqual(validateConfig({ connection_settings: {}, js_settings: null }).js_settings, {});
  throws(
    () =>
      validateConfig({ connection_settings: {}, js_settings: { pgbouncr: true } }, {
        file: "c.yaml",
      }),
    {
      message: "c.yaml: js_settings.pgbouncr: unknown key; expected one of: pgbouncer, notices, " +
        "leak_detection_threshold, foreign_connections, reread_secrets",
    },
  );
  throws(
    () => validateConfig({ connection_settings: {}, js_settings: { notices: "loud" } }),
    /js_settings\.notices: invalid notices 'loud'; expected one of: warnings, all, none/,
  );
});
