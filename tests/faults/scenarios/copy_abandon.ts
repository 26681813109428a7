// COPY in both directions on borrowed connections, abandoned mid-way (a reader that stops
// after the first chunk, one never read, a writer that never ends; no error listeners), on a pool of ONE connection: the
// abandoned connection must be discarded, never handed out again, and the next caller served
// within the pool timeout. Rows of an unfinished COPY FROM never appear. Arg:
// <pool|async_pool>. Env: PGM_FAULT_TARGET.
import { Scenario } from "../_support/scenario.ts";
import { setUpPool, tearDown } from "../_support/setup.ts";
import { idsIn } from "../_support/servers.ts";

const [type] = Deno.args as ["pool" | "async_pool"];
const TIMEOUT = 3;
const BOUND_MS = TIMEOUT * 1000 + 2000;
const ROUNDS = 4;

await new Scenario(`COPY abandoned on borrowed connections (${type})`).run(async (s) => {
  const pool = { min_size: 1, max_size: 1, timeout: TIMEOUT };
  const p = await setUpPool(type, `acks_copy_${type}`, pool);
  const { db, table } = p;
  const commit = async (id: number) => {
    const r = await s.call(
      "a transaction after an abandoned COPY",
      BOUND_MS,
      () => db.transaction((tx) => tx`INSERT INTO ${tx(table)} (id) VALUES (${id})`),
    );
    if (r.ok) s.ack(id);
    return r.ok;
  };
  let served = 0;
  for (let i = 0; i < ROUNDS; i++) {
    await s.call("COPY TO STDOUT abandoned after one chunk", BOUND_MS, async () => {
      await using c = await db.acquire();
      const out = await c.sql`COPY (SELECT generate_series(1, 200000)) TO STDOUT`.readable();
      for await (const _ of out) break;
    });
    if (await commit(i * 3 + 1)) served++;
    await s.call("COPY TO STDOUT never read", BOUND_MS, async () => {
      await using c = await db.acquire();
      await c.sql`COPY (SELECT generate_series(1, 200000)) TO STDOUT`.readable();
    });
    if (await commit(i * 3 + 2)) served++;
    await s.call("COPY FROM STDIN abandoned before its end", BOUND_MS, async () => {
      await using c = await db.acquire();
      const into = await c.sql`COPY ${c.sql(table)} (id) FROM STDIN`.writable();
      into.write(`${1_000_000 + i}\n${2_000_000 + i}\n`);
    });
    if (await commit(i * 3 + 3)) served++;
  }
  s.check("the pool serves after every abandoned COPY", served === ROUNDS * 3, `${served}`);
  const ids = await idsIn(p.admin, table);
  s.check("rows of an unfinished COPY FROM never appear", ids.every((id) => id < 1_000_000));
  s.figure("connections discarded", db.stats().replaced);
  await tearDown(s, p);
});
