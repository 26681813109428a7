import assert from "node:assert/strict";
import type { PgMonkeyConfig } from "../../src/config/types.ts";
import { driverOptions, planConnection, poolPolicy } from "../../src/connect/options.ts";

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

Deno.test("driver options: startup parameters carry application_name and the GUCs", () => {
  const o = driverOptions(planConnection(base, "pool"));
  assert.equal(o.host, "db.internal");
  assert.equal(o.port, 6432);
  assert.equal(o.database, "shop");
  assert.equal(o.max, 9);
  assert.equal(o.connect_timeout, 7);
  assert.equal(o.keep_alive, 30);
  assert.deepEqual(o.connection, { application_name: "api", statement_timeout: "30000" });
  assert.equal(o.ssl, false, "TLS is done by our transport");
  assert.equal(o.idle_timeout, null);
  assert.equal(o.max_lifetime, null);
});

Deno.test("driver options: libpq defaults and keepalives off", () => {
  const o = driverOptions(planConnection({
    ...base,
    connection_settings: { keepalives: false },
  }, "normal"));
  assert.equal(o.host, "localhost");
  assert.equal(o.port, 5432);
  assert.equal(o.keep_alive, null);
  assert.equal(o.connect_timeout, 30);
  assert.equal(o.max, 1);
});
