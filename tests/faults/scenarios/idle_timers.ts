// Transactions that sit idle past max_idle and max_lifetime (1 s each) between two statements,
// on connections above min_size: the timers must never close them; they commit. Arg:
// <pool|async_pool>. Env: PGM_FAULT_TARGET.
import { eventually, Scenario, sleep } from "../_support/scenario.ts";
import { setUpPool, tearDown } from "../_support/setup.ts";

const [type] = Deno.args as ["pool" | "async_pool"];
const PAUSE_MS = 2200;
const TIMEOUT = 3;
const BOUND_MS = PAUSE_MS + TIMEOUT * 1000 + 2000;

await new Scenario(`transactions idle past max_idle and max_lifetime (${type})`).run(async (s) => {
  const pool = { min_size: 1, max_size: 4, timeout: TIMEOUT, max_idle: 1, max_lifetime: 1 };
  const p = await setUpPool(type, `acks_idle_${type}`, pool);
  const { db, table } = p;
  // Two rounds: the second runs on connections past max_lifetime by then.
  for (let round = 0; round < 2; round++) {
    const results = await Promise.all([1, 2, 3, 4].map((n) => {
      const id = round * 100 + n * 2;
      return s.call("a transaction pausing 2.2 s", BOUND_MS, () =>
        db.transaction(async (tx) => {
          await tx`INSERT INTO ${tx(table)} (id) VALUES (${id})`;
          await sleep(PAUSE_MS);
          await tx`INSERT INTO ${tx(table)} (id) VALUES (${id + 1})`;
        })).then((r) => {
          if (r.ok) {
            s.ack(id);
            s.ack(id + 1);
          }
          return r;
        });
    }));
    s.check(
      `round ${round + 1}: every paused transaction commits`,
      results.every((r) => r.ok),
      results.map((r) => r.ok ? "ok" : String(r.error)).join(" | "),
    );
  }
  const shrunk = await eventually(() => db.stats().size <= 2 && db.stats().size >= 1, 5000);
  s.check("idle connections above min_size are retired afterwards", shrunk, `${db.stats().size}`);
  s.figure("connections retired by the timers", db.stats().closed);
  await tearDown(s, p);
});
