// A network that stalls: a TCP proxy of ours between client and server stops forwarding
// without closing anything, at connect time and mid-query. Callers get errors within their
// bounds: connect_timeout for connects; the pool timeout for checkouts, transaction()'s BEGIN
// and the checkout check; connect_timeout for BEGIN on a dedicated handle; statement_timeout
// + 5 s (the layer's stall limit) for a statement already running. Once the network is back,
// dedicated handles reconnect on their next use and pools serve again (after at most one
// connect_timeout: an attempt begun inside the blackhole lost its bytes). Env: PGM_FAULT_TARGET.
import { type PGConnection, PGConnectionManager, PoolTimeoutError } from "../../../mod.ts";
import { BlackholeProxy } from "../_support/proxy.ts";
import { eventually, type Outcome, Scenario, since, sleep } from "../_support/scenario.ts";
import { adminSql, connectionSettings, faultTarget, idsIn } from "../_support/servers.ts";

const CONNECT_TIMEOUT = 3;
const POOL_TIMEOUT = 2;
const STATEMENT_TIMEOUT_S = 1;
const SLACK_MS = 1500;
const CONNECT_BOUND_MS = CONNECT_TIMEOUT * 1000 + SLACK_MS;
const POOL_BOUND_MS = POOL_TIMEOUT * 1000 + SLACK_MS;
const STALL_BOUND_MS = (STATEMENT_TIMEOUT_S + 5) * 1000 + SLACK_MS;
const TYPES = ["normal", "pool", "async", "async_pool"] as const;

await new Scenario("blackholed network (connect and mid-query)").run(async (s) => {
  const target = faultTarget();
  const table = "acks_blackhole";
  const admin = adminSql(target);
  await admin.unsafe(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
  const proxy = await BlackholeProxy.start(target);
  const m = new PGConnectionManager();
  const session = { statement_timeout: `${STATEMENT_TIMEOUT_S}s` };
  const config = (pool: Record<string, unknown> = {}) => ({
    connection_settings: connectionSettings(target, {
      port: proxy.port,
      connect_timeout: CONNECT_TIMEOUT,
    }),
    sync_settings: session,
    async_settings: session,
    pool_settings: { min_size: 1, max_size: 1, timeout: POOL_TIMEOUT, ...pool },
    async_pool_settings: { min_size: 1, max_size: 1, timeout: POOL_TIMEOUT, ...pool },
  });
  let nextId = 0;
  const write = (db: PGConnection) => {
    const id = ++nextId;
    return async () => {
      await db.transaction((tx) => tx`INSERT INTO acks_blackhole (id) VALUES (${id})`);
      s.ack(id);
    };
  };
  const stalled = (r: Outcome<unknown>) =>
    !r.ok && (r.error as { code?: string }).code === "CONNECTION_STALLED";
  const poolTimeout = (r: Outcome<unknown>) => !r.ok && r.error instanceof PoolTimeoutError;

  // --- at connect time: every type fails within connect_timeout ---
  proxy.blackhole(true);
  const opens = await Promise.all(
    TYPES.map((type) =>
      s.call(
        `open ${type} through a blackholed network`,
        CONNECT_BOUND_MS,
        () => m.getDatabaseConnectionFromConfig(config(), type, { forceReload: true }),
      )
    ),
  );
  s.check(
    "opening any type through a blackholed network fails with connect_timeout",
    opens.every((r) => !r.ok && /timed out after 3 s \(connect_timeout\)/.test(String(r.error))),
    opens.map((r) => r.ok ? "opened" : String(r.error)).join(" | "),
  );
  s.figure("slowest failed open, ms", Math.round(Math.max(...opens.map((r) => r.ms))));
  proxy.blackhole(false);

  // --- mid-query ---
  const pool = await m.getDatabaseConnectionFromConfig(
    config({ min_size: 3, max_size: 3 }),
    "pool",
  );
  const checked = await m.getDatabaseConnectionFromConfig(
    config({ check_on_checkout: true }),
    "async_pool",
  );
  const normal = await m.getDatabaseConnectionFromConfig(config(), "normal");
  const async_ = await m.getDatabaseConnectionFromConfig(config(), "async");
  for (const db of [pool, checked, normal, async_]) {
    await s.call("a write before the stall", POOL_BOUND_MS, write(db));
  }
  const running = [
    s.call(
      "db.sql statement running when the network stalls (pool)",
      STALL_BOUND_MS,
      () => pool.sql`SELECT pg_sleep(0.5)`,
    ),
    s.call(
      "transaction running when the network stalls (pool)",
      STALL_BOUND_MS,
      () =>
        pool.transaction(async (tx) => {
          await tx`INSERT INTO acks_blackhole (id) VALUES (-1)`;
          await tx`SELECT pg_sleep(0.5)`;
        }),
    ),
    s.call(
      "db.sql statement running when the network stalls (normal)",
      STALL_BOUND_MS,
      () => normal.sql`SELECT pg_sleep(0.5)`,
    ),
  ];
  await sleep(100);
  proxy.blackhole(true);
  const tStall = performance.now();
  const begin = s.call("transaction() on the pool's idle connection", POOL_BOUND_MS, write(pool));
  await sleep(50);
  const queued = s.call("transaction() waiting for a pool connection", POOL_BOUND_MS, write(pool));
  const check = s.call("acquire() with check_on_checkout", POOL_BOUND_MS, async () => {
    (await checked.acquire()).release();
  });
  const dedicatedBegin = s.call(
    "transaction() on the async handle",
    CONNECT_BOUND_MS,
    write(async_),
  );
  const [b, q, c, d] = await Promise.all([begin, queued, check, dedicatedBegin]);
  s.check("BEGIN on the pool is bounded by the pool timeout", stalled(b), String(!b.ok && b.error));
  s.check("a pool checkout times out", poolTimeout(q), String(!q.ok && q.error));
  s.check("the checkout check times out", poolTimeout(c), String(!c.ok && c.error));
  s.check("BEGIN on a dedicated handle is bounded", stalled(d), String(!d.ok && d.error));
  const ran = await Promise.all(running);
  s.check(
    "statements already running fail once the connection stalled for statement_timeout + 5 s",
    ran.every(stalled),
    ran.map((r) => r.ok ? "ok" : String(r.error)).join(" | "),
  );
  s.figure("stalled statements failed after, ms", Math.round(Math.max(...ran.map((r) => r.ms))));
  s.figure("stall detection bound, ms", (STATEMENT_TIMEOUT_S + 5) * 1000);
  s.figure("blackholed for, ms", Math.round(performance.now() - tStall));
  proxy.blackhole(false);

  // --- the network is back ---
  for (const [label, db] of [["normal", normal], ["async", async_]] as const) {
    const r = await s.call(`${label} handle's next use`, CONNECT_BOUND_MS, () => db.sql`SELECT 1`);
    s.check(`the ${label} handle reconnects on its next use`, r.ok, String(!r.ok && r.error));
    const w = await s.call(`a write on the ${label} handle`, CONNECT_BOUND_MS, write(db));
    s.check(`the ${label} handle commits again`, w.ok, String(!w.ok && w.error));
  }
  // A pool may still have a connection attempt that started inside the blackhole (its bytes
  // were lost): it has to run out its connect_timeout before the next attempt succeeds.
  for (const [label, db] of [["pool", pool], ["check_on_checkout pool", checked]] as const) {
    const t0 = performance.now();
    let served = false;
    while (!served && performance.now() - t0 < 10_000) {
      served = (await s.call(`a write on the ${label}`, POOL_BOUND_MS, write(db))).ok;
    }
    const ms = since(t0);
    s.figure(`the ${label} commits again after, ms`, ms);
    s.check(
      `the ${label} commits again within connect_timeout + its timeout`,
      served && ms < CONNECT_BOUND_MS + POOL_TIMEOUT * 1000,
      `${served ? "served" : "not served"} after ${ms} ms`,
    );
  }
  const refilled = await eventually(() => pool.stats().size === 3, 5000);
  s.check("the pool is back at min_size", refilled, `size ${pool.stats().size}`);
  s.figure("bytes dropped by the blackhole", proxy.dropped);
  s.verifyAcked(await idsIn(admin, table));
  await m.clearCache();
  await proxy.close();
  await admin.end({ timeout: 1 });
});
