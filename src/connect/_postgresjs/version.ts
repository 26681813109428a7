/**
 * The postgres.js release the files of this folder were written for, and a
 * cheap runtime check that the loaded driver still has the internals they
 * rely on (see each file's header). deno.json and the npm package pin this
 * exact version; the canary tests in `tests/connect/postgresjs_canary.test.ts`
 * fail when upstream behaves differently.
 *
 * @module
 */
import postgres from "postgres";

/** The postgres.js version the workarounds target. */
export const POSTGRES_JS_VERSION = "3.4.9";

/**
 * The version of the postgres.js that is loaded, read from its
 * `package.json` next to the resolved module (undefined where the module is
 * not a file, e.g. some remote registries).
 */
export async function loadedPostgresJsVersion(): Promise<string | undefined> {
  try {
    const entry = import.meta.resolve("postgres");
    if (!entry.startsWith("file:")) return undefined;
    const pkg = new URL("../package.json", entry);
    const { readFile } = await import("node:fs/promises");
    return JSON.parse(await readFile(pkg, "utf8")).version;
  } catch {
    return undefined;
  }
}

let checked: string | undefined | null = null;

/**
 * `undefined` when the loaded postgres.js has the internals the workarounds
 * use; otherwise a one-line description of what differs. Computed once.
 */
export function internalsProblem(): string | undefined {
  if (checked !== null) return checked;
  const sql = postgres({ max: 1, fetch_types: false, onnotice: () => {} });
  const q = sql.unsafe("") as unknown as Record<string, unknown>;
  const handle = String((q.constructor as { prototype: { handle?: unknown } }).prototype.handle);
  checked = typeof q.handler !== "function" || !("canceller" in q) ||
      !handle.includes("this.handler(this)")
    ? `postgres.js internals differ from ${POSTGRES_JS_VERSION} (Query.handler/handle); ` +
      `pgmonkey needs postgres@${POSTGRES_JS_VERSION}`
    : undefined;
  return checked;
}
