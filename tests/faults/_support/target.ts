/**
 * The test side: a fresh database on the runner's throwaway server, as the
 * environment a scenario subprocess reads (see `servers.ts`).
 *
 * @module
 */
import { freshDatabase, type TestDatabase } from "../../support/db.ts";
import { TARGET_ENV } from "./servers.ts";

/** A fresh database and the scenario environment pointing at it. */
export async function scenarioDatabase(
  label: string,
): Promise<{ db: TestDatabase; env: Record<string, string> }> {
  const db = await freshDatabase(label);
  const s = db.settings;
  const target = {
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    dbname: db.dbname,
  };
  return { db, env: { [TARGET_ENV]: JSON.stringify(target) } };
}
