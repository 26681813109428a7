import assert from "node:assert/strict";
import type { PgMonkeyConfig } from "../../src/config/types.ts";
import {
  checkPassthrough,
  connectionOptions,
  planConnection,
  poolPolicy,
  setLocalStatements,
} from "../../src/connect/options.ts";
import { ConfigError } from "../../src/errors.ts";

const base: PgMonkeyConfig = {
  connection_type: "normal",
  connection_settings: {
    host: "db.internal",
    port: 6432,
    user: "app",
    password: "pw",
    dbname: "shop",
    application_name: "api",
    keepalives_idle: 30,
    connect_timeout: 7,
    autocommit: true,
  },
  sync_settings: { statement_timeout: "30000" },
  async_settings: { lock_timeout: "5s" },
  pool_settings: { min_size: 2, max_size: 9, timeout: 3, check_on_checkout: true },
  async_pool_settings: { max_size: 4 },
  js_settings: {},
};

Deno.test("normal and pool use sync_settings, async and async_pool use async_settings", () => {
  assert.deepEqual(planConnection(base, "normal").session, { statement_timeout: "30000" });
  assert.deepEqual(planConnection(base, "pool").session, { statement_timeout: "30000" });
  assert.deepEqual(planConnection(base, "async").session, { lock_timeout: "5s" });
  assert.deepEqual(planConnection(base, "async_pool").session, { lock_timeout: "5s" });
});

Deno.test("autocommit is honoured only by the two dedicated types", () => {
  assert.equal(planConnection(base, "normal").autocommit, true);
  assert.equal(planConnection(base, "async").autocommit, true);
  assert.equal(planConnection(base, "pool").autocommit, false);
  assert.equal(planConnection(base, "async_pool").autocommit, false);
});

Deno.test("pool policy takes its own section, with psycopg_pool's defaults", () => {
  const pool = planConnection(base, "pool").pool;
  assert.deepEqual(
    [pool.minSize, pool.maxSize, pool.timeout, pool.checkOnCheckout],
    [2, 9, 3, true],
  );
  const apool = planConnection(base, "async_pool").pool;
  assert.deepEqual(
    [apool.minSize, apool.maxSize, apool.timeout, apool.maxIdle, apool.maxLifetime],
    [
      4,
      4,
      30,
      600,
      3600,
    ],
  );
  assert.deepEqual([poolPolicy({}).minSize, poolPolicy({}).maxSize], [4, 4]);
  assert.equal(poolPolicy({ min_size: 0 }).maxSize, 1);
  const dedicated = planConnection(base, "normal").pool;
  assert.deepEqual([dedicated.minSize, dedicated.maxSize], [1, 1]);
});

const input = { user: "app", database: "shop", pass: "pw", onnotice: () => {} };

Deno.test("connection options: one connection per instance, startup parameters carry application_name and the GUCs", () => {
  const o = connectionOptions(
    planConnection(base, "pool"),
    { host: "db.internal", port: 6432 },
    input,
  );
  assert.equal(o.host, "db.internal");
  assert.equal(o.port, 6432);
  assert.equal(o.database, "shop");
  assert.equal(o.max, 1);
  assert.deepEqual(o.connection, { application_name: "api", statement_timeout: "30000" });
  assert.equal(o.ssl, false, "TLS is done by our transport");
  assert.equal(o.idle_timeout, 0, "timers are the pool's");
  assert.equal(o.max_lifetime, null);
  assert.equal(o.connect_timeout, 0, "one connect timer: the transport's");
  assert.equal(o.fetch_types, false, "types are fetched by the layer");
  assert.equal(o.target_session_attrs, null);
});

Deno.test("connection options: passthrough options apply, connection params merge over the session", () => {
  const transform = { undefined: null };
  const o = connectionOptions(planConnection(base, "pool"), { host: "h", port: 1 }, {
    ...input,
    passthrough: { transform, prepare: false, connection: { search_path: "app" } },
  });
  assert.equal(o.transform, transform);
  assert.equal(o.prepare, false);
  assert.deepEqual(o.connection, {
    application_name: "api",
    statement_timeout: "30000",
    search_path: "app",
  });
  assert.throws(() => checkPassthrough({ ssl: true }), ConfigError);
  assert.throws(() => checkPassthrough({ bogus: 1 }), /unknown postgres.js option "bogus"/);
  checkPassthrough({ transform, types: {}, debug: true });
});

Deno.test("behind PgBouncer: no named prepared statements, session settings as SET LOCAL", () => {
  const config = { ...base, js_settings: { pgbouncer: true } };
  const plan = planConnection(config, "pool");
  assert.equal(plan.pgbouncer, true);
  const o = connectionOptions(plan, { host: "h", port: 6432 }, input);
  assert.equal(o.prepare, false);
  assert.deepEqual(o.connection, { application_name: "api" }, "only what PgBouncer accepts");
  assert.equal(
    setLocalStatements({ statement_timeout: "30000", 'odd"name': "it's", TimeZone: "UTC" }),
    `SET LOCAL "statement_timeout" TO '30000'; SET LOCAL "odd""name" TO 'it''s'`,
  );
});
