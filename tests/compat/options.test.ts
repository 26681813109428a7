// How the postgres.js adapter maps postgres.js options onto a pgmonkey config: from options
// parsed by postgres.js itself (URL, defaults), without connecting.
import assert from "node:assert/strict";
import postgres from "postgres";
import { ConfigError } from "../../mod.ts";
import {
  checkCompatOptions,
  type ParsedPostgresOptions,
  planCompat,
} from "../../src/compat/options.ts";
import { validateConfig } from "../../src/config/validate.ts";
import { loadConfigFromObject } from "../../src/config/load.ts";

/** postgres.js's own parse of `(a, b)` (a postgres.js instance connects lazily: never here). */
function parsed(a?: string | Record<string, unknown>, b?: Record<string, unknown>) {
  const sql = typeof a === "string" ? postgres(a, b) : postgres(a);
  return sql.options as unknown as ParsedPostgresOptions;
}

function settingsOf(plan: ReturnType<typeof planCompat>): Record<string, unknown> {
  return plan.config.connection_settings as Record<string, unknown>;
}

Deno.test("max: 1 opens a normal connection; more a pool with max_size and min_size 0", () => {
  const one = planCompat(parsed({ host: "db", max: 1, idle_timeout: 5 }), undefined);
  assert.equal(one.connectionType, "normal");
  assert.equal(one.config.pool_settings, undefined);
  const many = planCompat(parsed({ host: "db", idle_timeout: 5, max_lifetime: 60 }), undefined);
  assert.equal(many.connectionType, "pool");
  assert.deepEqual(many.config.pool_settings, {
    max_size: 10,
    min_size: 0,
    max_idle: 5,
    max_lifetime: 60,
  });
});

Deno.test("the pgmonkey option adds pool settings; unknown ones are refused", () => {
  const plan = planCompat(parsed({ max: 4 }), undefined, { timeout: 3, check_on_checkout: true });
  const pool = plan.config.pool_settings as Record<string, unknown>;
  // postgres.js's default max_lifetime: 30-60 minutes, drawn at random.
  const lifetime = pool.max_lifetime as number;
  assert.ok(lifetime >= 1800 && lifetime <= 3600, `max_lifetime ${lifetime}`);
  assert.deepEqual(pool, {
    max_size: 4,
    min_size: 0,
    timeout: 3,
    check_on_checkout: true,
    max_lifetime: lifetime,
  });
  assert.throws(
    () => checkCompatOptions({ pgmonkey: { max_size: 3 } }),
    (e) =>
      e instanceof ConfigError && e.key === "postgres.pgmonkey.max_size" &&
      /unknown pool setting "max_size"/.test(e.message),
  );
});

Deno.test("a URL with a host list, user, password and libpq query parameters", () => {
  const o = parsed(
    "postgres://app:s%40cret@db1:5433,db2:5434/shop?sslmode=verify-ca&sslrootcert=/ca.pem" +
      "&application_name=api&search_path=s1",
  );
  const plan = planCompat(o, (o as unknown as { pass: string }).pass);
  const s = settingsOf(plan);
  assert.equal(s.host, "db1,db2");
  assert.equal(s.port, "5433,5434");
  assert.equal(s.user, "app");
  assert.equal(s.password, "s@cret");
  assert.equal(s.dbname, "shop");
  assert.equal(s.sslmode, "verify-ca");
  assert.equal(s.sslrootcert, "/ca.pem");
  assert.equal(s.application_name, "api");
  // Not a libpq setting: a startup parameter, as in postgres.js.
  assert.deepEqual(plan.postgres.connection, { search_path: "s1" });
  // The result is a valid pgmonkey config.
  const valid = validateConfig(loadConfigFromObject(plan.config));
  assert.deepEqual(valid.connection_settings.portList, [5433, 5434]);
});

Deno.test("ssl: postgres.js values become libpq sslmodes", () => {
  const mode = (ssl: unknown) => settingsOf(planCompat(parsed({ ssl }), undefined));
  assert.equal(mode(false).sslmode, "disable");
  assert.equal(mode("prefer").sslmode, "prefer");
  assert.equal(mode("require").sslmode, "require");
  assert.equal(mode({ rejectUnauthorized: false }).sslmode, "require");
  assert.deepEqual(
    [mode(true).sslmode, mode(true).sslrootcert],
    ["verify-full", "system"],
  );
  assert.deepEqual(
    [mode("verify-full").sslmode, mode("verify-full").sslrootcert],
    ["verify-full", "system"],
  );
  const own = settingsOf(
    planCompat(parsed("postgres://h/db?sslmode=verify-full&sslrootcert=/my.pem"), undefined),
  );
  assert.deepEqual([own.sslmode, own.sslrootcert], ["verify-full", "/my.pem"]);
  assert.throws(
    () => checkCompatOptions({ ssl: { ca: "-----BEGIN CERTIFICATE-----" } }),
    (e) =>
      e instanceof ConfigError && e.key === "postgres.ssl" && /TLS options \(ca\)/.test(e.message),
  );
  assert.throws(() => checkCompatOptions({ ssl: "sometimes" }), /expected false, true/);
});

Deno.test("onclose is refused with one line naming the option; socket is accepted", () => {
  assert.throws(
    () => checkCompatOptions({ onclose: () => {} }),
    (e) =>
      e instanceof ConfigError && e.key === "postgres.onclose" &&
      e.message.split("\n").length === 1,
  );
  checkCompatOptions({ socket: () => {} });
});

Deno.test("a Unix socket: host directory or path, with its port", () => {
  const dir = settingsOf(planCompat(parsed({ host: "/run/pg", port: 5433 }), undefined));
  assert.deepEqual([dir.host, dir.port], ["/run/pg", 5433]);
  const path = settingsOf(planCompat(parsed({ path: "/tmp/.s.PGSQL.6000" }), undefined));
  assert.deepEqual([path.host, path.port], ["/tmp", 6000]);
  assert.throws(
    () => planCompat(parsed({ path: "/tmp/socket" }), undefined),
    (e) => e instanceof ConfigError && e.key === "postgres.path",
  );
});

Deno.test("timers and keepalives: seconds, functions, valueOf objects; 0 and null mean never", () => {
  const p = planCompat(
    parsed({ connect_timeout: { valueOf: () => 0.25 }, keep_alive: null, idle_timeout: 0 }),
    undefined,
  );
  assert.equal(p.connectTimeout, 0.25);
  assert.equal(settingsOf(p).keepalives, false);
  assert.equal((p.config.pool_settings as Record<string, unknown>).max_idle, undefined);
  const q = planCompat(parsed({ keep_alive: 30, max_lifetime: null }), undefined);
  assert.equal(settingsOf(q).keepalives_idle, 30);
  assert.equal((q.config.pool_settings as Record<string, unknown>).max_lifetime, undefined);
  // The URL's own libpq keepalive settings win.
  const r = planCompat(parsed("postgres://h/db?keepalives=0"), undefined);
  assert.equal(settingsOf(r).keepalives, "0");
  assert.equal(settingsOf(r).keepalives_idle, undefined);
});

Deno.test("postgres.js options pass through; NOTICEs go to console.log by default", () => {
  const transform = postgres.camel;
  const onparameter = () => {};
  const plan = planCompat(
    parsed({ transform, onparameter, prepare: false, fetch_types: false, max_pipeline: 7 }),
    undefined,
  );
  const p = plan.postgres as Record<string, unknown>;
  assert.equal(p.onparameter, onparameter);
  assert.equal(p.prepare, false);
  assert.equal(p.fetch_types, false);
  assert.equal(p.max_pipeline, 7);
  assert.equal(typeof (p.transform as { column: { from: unknown } }).column.from, "function");
  const logged: unknown[] = [];
  const log = console.log;
  console.log = (x: unknown) => logged.push(x);
  try {
    (p.onnotice as (n: unknown) => void)({ severity: "NOTICE" });
  } finally {
    console.log = log;
  }
  assert.deepEqual(logged, [{ severity: "NOTICE" }]);
  const own = () => {};
  assert.equal(planCompat(parsed({ onnotice: own }), undefined).postgres.onnotice, own);
});

Deno.test("a user whose toString throws fails when the handle opens, not before", () => {
  const o = parsed({
    user: {
      toString: () => {
        throw new Error("wat");
      },
    },
    database: "db",
  });
  assert.throws(() => planCompat(o, undefined), /wat/);
});
