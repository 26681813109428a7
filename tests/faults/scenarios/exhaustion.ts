// Pool exhaustion: more callers than max_size with a short timeout. The holders commit; every
// caller that cannot get a connection in time (transaction(), acquire(), db.sql) gets
// PoolTimeoutError within the timeout; afterwards the pool serves again. Arg:
// <pool|async_pool>. Env: PGM_FAULT_TARGET.
import { PoolTimeoutError } from "../../../mod.ts";
import { type Outcome, Scenario } from "../_support/scenario.ts";
import { setUpPool, tearDown } from "../_support/setup.ts";

const [type] = Deno.args as ["pool" | "async_pool"];
const TIMEOUT = 1;
const HOLD_S = 2.5;
const WAIT_BOUND_MS = TIMEOUT * 1000 + 1000;
const HOLD_BOUND_MS = HOLD_S * 1000 + 2000;

await new Scenario(`pool exhaustion (${type})`).run(async (s) => {
  const pool = { min_size: 1, max_size: 2, timeout: TIMEOUT };
  const p = await setUpPool(type, `acks_exhaust_${type}`, pool);
  const { db, table } = p;
  const write = (id: number, hold = 0) =>
    db.transaction(async (tx) => {
      await tx`INSERT INTO ${tx(table)} (id) VALUES (${id})`;
      if (hold) await tx`SELECT pg_sleep(${hold})`;
      return id;
    });
  const ackIfOk = (r: Outcome<number>) => {
    if (r.ok) s.ack(r.value);
    return r;
  };
  const holders = [1, 2].map((id) =>
    s.call("a holder (2.5 s transaction)", HOLD_BOUND_MS, () => write(id, HOLD_S)).then(ackIfOk)
  );
  await new Promise((r) => setTimeout(r, 100));
  const waiters: Promise<Outcome<unknown>>[] = [];
  for (let i = 0; i < 12; i++) {
    waiters.push(
      s.call("transaction() waiting", WAIT_BOUND_MS, () => write(100 + i)).then(ackIfOk),
    );
  }
  for (let i = 0; i < 4; i++) {
    waiters.push(
      s.call("acquire() waiting", WAIT_BOUND_MS, async () => (await db.acquire()).release()),
    );
    waiters.push(s.call("db.sql waiting", WAIT_BOUND_MS, async () => await db.sql`SELECT 1`));
  }
  const held = await Promise.all(holders);
  const waited = await Promise.all(waiters);
  s.check("the holders commit", held.every((r) => r.ok));
  const timeouts = waited.filter((r) => !r.ok && r.error instanceof PoolTimeoutError).length;
  s.figure("callers", holders.length + waiters.length);
  s.figure("PoolTimeoutErrors", timeouts);
  s.check(
    "every caller that could not get a connection got PoolTimeoutError",
    timeouts === waited.length,
    `${timeouts} of ${waited.length}`,
  );
  s.figure("slowest PoolTimeoutError, ms", Math.round(Math.max(...waited.map((r) => r.ms))));
  const after = await s.call("a caller after the holders", WAIT_BOUND_MS, () => write(1000));
  s.check("the pool serves again afterwards", ackIfOk(after).ok);
  s.check("nothing left in use or waiting", db.stats().inUse === 0 && db.stats().waiting === 0);
  await tearDown(s, p);
});
