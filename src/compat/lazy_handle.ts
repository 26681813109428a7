/**
 * The pgmonkey handle behind one `postgres()` of the adapter, opened the way
 * postgres.js connects: on first use, again after `close()` or a failed
 * attempt, never after `end()`. Statements made before it is open wait for
 * it (or get its error); `end()` follows postgres.js's order (statements
 * made before it still run).
 *
 * @module
 */
import type postgres from "postgres";
import { loadConfigFromObject } from "../config/load.ts";
import { validateConfig } from "../config/validate.ts";
import { openConnection } from "../connect/open.ts";
import type { PGConnection } from "../connect/handle.ts";
import {
  type InstanceHooks,
  instanceHooks,
  type RawQuery,
} from "../connect/_postgresjs/dispatch.ts";
import { type CompatPoolOptions, type ParsedPostgresOptions, planCompat } from "./options.ts";
import { cancelledError, openError, postgresConnectionError } from "./errors.ts";

/** postgres.js's parsed options, as far as the adapter reads them. */
export type FrontOptions = ParsedPostgresOptions & {
  pass: unknown;
  socket?: unknown;
  parameters: Record<string, string>;
  shared: { typeArrayMap: Record<number, number> };
};

/** An open handle and the executor of its `db.sql`. */
interface Opened {
  handle: PGConnection;
  hooks: InstanceHooks;
}

/** The password postgres.js would send: `pass` may be a (sync or async) function. */
async function resolvePassword(pass: unknown): Promise<string | undefined> {
  const value = typeof pass === "function" ? await pass() : pass;
  return value === undefined || value === null || value === "" ? undefined : String(value);
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts ignore
 * import postgres from "postgres";
 * const front = postgres({ host: "db", max: 4 }); // parses options, never connects
 * const lazy = new LazyHandle(front.options as never, {});
 * const rows = await lazy.withHandle((db) => db.sql`select 1 as x`);
 * await lazy.end(null);
 * ```
 */
export class LazyHandle {
  readonly #o: FrontOptions;
  readonly #pool: CompatPoolOptions;
  #opened: Opened | undefined;
  #opening: Promise<Opened> | undefined;
  #ended = false;
  #ending: Promise<void> | undefined;
  /** Statements waiting for the handle to open. */
  readonly #waiting = new Set<RawQuery>();

  /** `o`: postgres.js's parse of the caller's options; `pool`: the `pgmonkey` option. */
  constructor(o: FrontOptions, pool: CompatPoolOptions = {}) {
    this.#o = o;
    this.#pool = pool;
  }

  /** True once `end()` was called (a microtask later, as postgres.js). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Server parameters of the latest connection (empty before the first). */
  get parameters(): Record<string, string> {
    return (this.#opened?.handle.sql.parameters as Record<string, string>) ?? this.#o.parameters;
  }

  #open(): Promise<Opened> {
    const opened = this.#opened;
    if (opened && !opened.handle.closed) return Promise.resolve(opened);
    this.#opening ??= (async () => {
      const o = this.#o;
      try {
        const plan = planCompat(o, await resolvePassword(o.pass), this.#pool);
        const config = validateConfig(loadConfigFromObject(plan.config), {
          connectionType: plan.connectionType,
        });
        const handle = await openConnection(config, plan.connectionType, {
          postgres: plan.postgres,
          connectTimeout: plan.connectTimeout > 0 ? plan.connectTimeout : undefined,
          // postgres.js asks a function `pass` for each new connection: so do we.
          password: typeof o.pass === "function" ? () => resolvePassword(o.pass) : undefined,
          // postgres.js calls `socket(options)` for each connection instead of connecting.
          socket: typeof o.socket === "function"
            ? () => (o.socket as (options: unknown) => unknown)(o)
            : undefined,
          rotateHosts: true,
          connectError: (e) => openError(e, o) as Error,
        });
        // The array types the handle fetched, for sql.array() built on the caller's instance.
        const fetched = handle.sql.options as unknown as FrontOptions;
        Object.assign(o.shared.typeArrayMap, fetched.shared.typeArrayMap);
        this.#opened = { handle, hooks: instanceHooks(handle.sql) };
        return this.#opened;
      } catch (e) {
        throw openError(e, o);
      } finally {
        this.#opening = undefined;
      }
    })();
    return this.#opening;
  }

  /** Runs a statement: on the open handle, or once it has opened (or fails with its error). */
  dispatch(q: RawQuery): void {
    if (this.#ended) return q.reject(postgresConnectionError("CONNECTION_ENDED", this.#o));
    const opened = this.#opened;
    if (opened && !opened.handle.closed) return opened.hooks.handler(q);
    this.#waiting.add(q);
    this.#open().then((h) => {
      if (this.#waiting.delete(q)) h.hooks.handler(q);
    }, (e) => {
      if (this.#waiting.delete(q)) q.reject(e);
    });
  }

  /** Cancels a statement: at once while it waits for the handle, else through the handle. */
  cancel(q: RawQuery): void {
    if (this.#waiting.delete(q)) {
      q.cancelled = true;
      q.reject(cancelledError());
    } else if (this.#opened) {
      void Promise.resolve(this.#opened.hooks.canceller(q)).catch(() => {});
    }
  }

  /** `fn` on the open handle (opening it first). */
  async withHandle<T>(fn: (handle: PGConnection) => T | Promise<T>): Promise<T> {
    if (this.#ended) throw postgresConnectionError("CONNECTION_ENDED", this.#o);
    return await fn((await this.#open()).handle);
  }

  /**
   * postgres.js's `end({ timeout })`: later statements fail with
   * `CONNECTION_ENDED`; the handle closes once the work in flight is done,
   * or after `timeout` seconds (`null`: no limit). Idempotent.
   */
  end(timeout: number | null | undefined): Promise<void> {
    this.#ending ??= (async () => {
      // postgres.js marks itself ended one microtask later: statements made
      // just before end() still run.
      await 1;
      this.#ended = true;
      const h = this.#opened ?? await this.#opening?.catch(() => undefined);
      await h?.handle.close(timeout === null || timeout === undefined ? Infinity : timeout);
    })();
    return this.#ending;
  }

  /** postgres.js's `close()`: closes the connections; the next statement opens new ones. */
  async close(): Promise<void> {
    const h = this.#opened ?? await this.#opening?.catch(() => undefined);
    if (this.#opened === h) this.#opened = undefined;
    await h?.handle.close(Infinity);
  }
}

/** `sql.listen`/`subscribe`/… of the handle's `db.sql`, opening the handle first. */
export function onHandleSql<A extends unknown[], R>(
  lazy: LazyHandle,
  f: (sql: postgres.Sql, ...args: A) => R | Promise<R>,
): (...args: A) => Promise<R> {
  return (...args: A) => lazy.withHandle((h) => f(h.sql, ...args));
}
