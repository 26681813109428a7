/**
 * What most scenarios start and end with: a table for acknowledged ids, a
 * pool handle of the type under test, and at the end the comparison of the
 * acknowledged ids with the table, the pool's state, and closing.
 *
 * @module
 */
import type postgres from "postgres";
import { type PGConnection, PGConnectionManager } from "../../../mod.ts";
import { eventually, type Scenario } from "./scenario.ts";
import { adminSql, backendsOf, connectionSettings, faultTarget, idsIn } from "./servers.ts";

/** A scenario's pool and its surroundings. */
export interface PoolSetup {
  /** The handle under test. */
  db: PGConnection;
  /** Its manager. */
  manager: PGConnectionManager;
  /** A plain postgres.js connection for checks. */
  admin: postgres.Sql;
  /** The table of acknowledged ids (`id int PRIMARY KEY`). */
  table: string;
}

/**
 * Creates `table` and opens a `type` handle on the scenario's target with
 * `pool` as both `pool_settings` and `async_pool_settings`, and `settings`
 * added to `connection_settings`.
 */
export async function setUpPool(
  type: string,
  table: string,
  pool: Record<string, unknown>,
  settings: Record<string, unknown> = {},
): Promise<PoolSetup> {
  const target = faultTarget();
  const admin = adminSql(target);
  await admin.unsafe(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
  const manager = new PGConnectionManager();
  const db = await manager.getDatabaseConnectionFromConfig({
    connection_settings: connectionSettings(target, settings),
    pool_settings: pool,
    async_pool_settings: pool,
  }, type);
  return { db, manager, admin, table };
}

/**
 * Checks that the pool gets back to `minSize` by itself (its own count and
 * the server's backends of `app`) with nothing left in use or waiting.
 */
export async function expectBackAtMinSize(
  s: Scenario,
  p: PoolSetup,
  minSize: number,
  app: string,
  what: string,
): Promise<void> {
  const settled = await eventually(async () => {
    const st = p.db.stats();
    return st.size >= minSize && st.inUse === 0 && st.waiting === 0 &&
      await backendsOf(p.admin, app) >= minSize;
  }, 5000);
  const st = p.db.stats();
  s.check(what, settled, `size ${st.size}, in use ${st.inUse}, waiting ${st.waiting}`);
}

/** Compares the acknowledged ids with the table, then closes everything. */
export async function tearDown(s: Scenario, p: PoolSetup): Promise<void> {
  s.verifyAcked(await idsIn(p.admin, p.table));
  await p.manager.clearCache();
  await p.admin.end({ timeout: 1 });
}
