/**
 * The connection handle returned by `PGConnectionManager`: one class for all
 * four types. Dedicated types (`normal`, `async`) are a postgres.js instance
 * with one connection; pooled types add our pool layer (acquire timeout,
 * checkout validation, stats) on top of postgres.js's pool.
 *
 * @module
 */
import type postgres from "postgres";
import type { ConnectionType } from "../config/types.ts";
import { PoolTimeoutError } from "../errors.ts";
import type { ConnectionPlan } from "./options.ts";
import type { Transport } from "./transport.ts";

/** The postgres.js SQL function of a handle. */
export type Sql = postgres.Sql;
/** The SQL function inside `transaction()`. */
export type TransactionSql = postgres.TransactionSql;
/** The SQL function of a borrowed connection. */
export type ReservedSql = postgres.ReservedSql;

/** Pool statistics, in the spirit of psycopg_pool's `get_stats()`. */
export interface PoolStats {
  /** The connection type. */
  connectionType: ConnectionType;
  /** Configured minimum (1 for dedicated types). */
  minSize: number;
  /** Configured maximum (1 for dedicated types). */
  maxSize: number;
  /** Connections open now. */
  size: number;
  /** Open connections not lent out by `transaction()` / `acquire()`. */
  idle: number;
  /** Connections lent out by `transaction()` / `acquire()` now. */
  inUse: number;
  /** Callers waiting for a connection now. */
  waiting: number;
  /** Connections handed out since creation. */
  checkouts: number;
  /** `PoolTimeoutError`s thrown since creation. */
  timeouts: number;
  /** Connections found dead at checkout and replaced. */
  replaced: number;
  /** Connections opened since creation. */
  opened: number;
  /** Connections closed since creation. */
  closed: number;
  /** Connection attempts that failed. */
  failed: number;
  /** Whether connections use TLS (undefined before the first one). */
  tls?: boolean;
}

/**
 * A connection borrowed with `acquire()`: use its `sql` for work that must
 * stay on one connection without a transaction (VACUUM, LISTEN, COPY, session
 * state). It goes back to the pool on `release()` or at the end of an
 * `await using` block, also when the block throws.
 */
export interface BorrowedConnection extends AsyncDisposable {
  /** postgres.js SQL bound to this one connection. */
  readonly sql: ReservedSql;
  /** Gives the connection back. Safe to call more than once. */
  release(): void;
}

/** postgres.js / network error codes that mean "this connection is gone". */
const DEAD_CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "ECONNRESET",
  "EPIPE",
  "57P01", // admin_shutdown (pg_terminate_backend)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
]);

/** True when an error says the connection died (not that the SQL was wrong). */
export function isDeadConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" && DEAD_CONNECTION_CODES.has(code);
}

const LATE = Symbol("late");
const TIMED_OUT = Symbol("timed out");
/** Attempts at a checkout before its error is given to the caller. */
const MAX_ATTEMPTS = 10;

/** Resolves to `undefined` when `p` fulfils, its error when it rejects, `TIMED_OUT` at `deadline`. */
async function settleWithin(p: PromiseLike<unknown>, deadline: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      Promise.resolve(p).then(() => undefined, (e) => e ?? new Error("query failed")),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, deadline - performance.now()));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A pgmonkey connection of any of the four types.
 *
 * @example
 * ```ts ignore
 * import { PGConnectionManager } from "@pgmonkey/pgmonkey";
 * const db = await new PGConnectionManager().getDatabaseConnection("config.yaml", "pool");
 * const [{ n }] = await db.sql`SELECT 1 AS n`;
 * await db.transaction(async (tx) => {
 *   await tx`INSERT INTO t ${tx({ n })}`;
 * });
 * ```
 */
export class PGConnection implements AsyncDisposable {
  /** `normal`, `pool`, `async` or `async_pool`. */
  readonly connectionType: ConnectionType;
  /**
   * The postgres.js SQL function (tagged templates, `unsafe`, `cursor`, `copy`,
   * `listen`…). Statements run in autocommit mode.
   */
  readonly sql: Sql;
  readonly #plan: ConnectionPlan;
  readonly #transport: Transport;
  #closed = false;
  #closing?: Promise<void>;
  #inUse = 0;
  #waiting = 0;
  #checkouts = 0;
  #timeouts = 0;
  #replaced = 0;

  /** @internal Use `PGConnectionManager` or `openConnection()` instead. */
  constructor(plan: ConnectionPlan, sql: Sql, transport: Transport) {
    this.connectionType = plan.type;
    this.#plan = plan;
    this.sql = sql;
    this.#transport = transport;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `fn` in a transaction: BEGIN, then COMMIT when `fn` returns, or
   * ROLLBACK when it throws (the error is rethrown). Nested
   * `tx.savepoint(fn)` works. On pools, waits at most `timeout` seconds for a
   * free connection, then throws {@link PoolTimeoutError}; `fn` never runs
   * after that. With `autocommit: true` on `normal`/`async`, `fn` runs
   * without BEGIN (for VACUUM, CREATE DATABASE…).
   */
  async transaction<T>(fn: (tx: TransactionSql) => T | Promise<T>): Promise<T> {
    this.#assertOpen();
    if (this.#plan.autocommit) return await this.#autocommitRun(fn);
    if (!this.#plan.pooled) return await this.#lend(() => this.sql.begin(fn) as Promise<T>);
    const deadline = performance.now() + this.#plan.pool.timeout * 1000;
    for (let attempt = 0;; attempt++) {
      let started = false;
      try {
        return await this.#pooledBegin(fn, deadline, () => started = true);
      } catch (e) {
        // BEGIN failed on a connection that died while idle: fn never ran, so a
        // retry on a fresh connection is safe and invisible to the caller.
        if (
          !started && isDeadConnectionError(e) && attempt < MAX_ATTEMPTS &&
          performance.now() < deadline
        ) {
          this.#replaced++;
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * Borrows one connection without a transaction. Use with `await using` so it
   * is released at the end of the block, also on error:
   *
   * ```ts ignore
   * {
   *   await using conn = await db.acquire();
   *   await conn.sql`VACUUM customers`;
   * }
   * ```
   * On pools, throws {@link PoolTimeoutError} after `timeout` seconds; with
   * `check_on_checkout: true` a dead connection is replaced before hand-out.
   */
  async acquire(): Promise<BorrowedConnection> {
    this.#assertOpen();
    const { timeout, checkOnCheckout } = this.#plan.pool;
    const deadline = performance.now() + timeout * 1000;
    for (let attempt = 1;; attempt++) {
      const retry = (e: unknown) =>
        isDeadConnectionError(e) && attempt < MAX_ATTEMPTS && performance.now() < deadline;
      let reserved: ReservedSql;
      try {
        reserved = await this.#reserveWithin(deadline);
      } catch (e) {
        // postgres.js can fail a reservation with the error that killed the
        // connection's previous socket; nothing ran yet, so try again.
        if (retry(e)) {
          this.#replaced++;
          continue;
        }
        throw e;
      }
      if (checkOnCheckout) {
        const check = reserved`SELECT 1`;
        const failure = await settleWithin(check, deadline);
        if (failure !== undefined) {
          this.#inUse--;
          if (failure === TIMED_OUT) {
            // The connection is wedged; leaving it reserved is the only safe move.
            this.#timeouts++;
            throw new PoolTimeoutError(timeout, "the checkout check did not answer");
          }
          // A connection whose socket is closed must not be released:
          // postgres.js has put it back in its closed queue, and releasing it
          // would hand the dead socket out again (postgres.js 3.4.9 then
          // crashes in nextWrite). A "dead" error on a live socket is a stale
          // error postgres.js kept from the previous socket: release normally.
          const dead = isDeadConnectionError(failure);
          if (!dead || this.#socketAlive(check)) reserved.release();
          if (retry(failure)) {
            this.#replaced++;
            continue;
          }
          throw failure;
        }
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.#inUse--;
        reserved.release();
      };
      return {
        sql: reserved,
        release,
        [Symbol.asyncDispose]: () => Promise.resolve(release()),
      };
    }
  }

  /** Current statistics. */
  stats(): PoolStats {
    const t = this.#transport.stats();
    return {
      connectionType: this.connectionType,
      minSize: this.#plan.pool.minSize,
      maxSize: this.#plan.pool.maxSize,
      size: t.open,
      idle: t.idle,
      inUse: this.#inUse,
      waiting: this.#waiting,
      checkouts: this.#checkouts,
      timeouts: this.#timeouts,
      replaced: this.#replaced,
      opened: t.opened,
      closed: t.closed,
      failed: t.failed,
      tls: t.tls,
    };
  }

  /**
   * Closes every connection. In-flight queries get up to `timeoutSeconds`
   * (default 5) to finish; new work is refused at once. Never throws.
   */
  close(timeoutSeconds = 5): Promise<void> {
    if (!this.#closing) {
      this.#closed = true;
      this.#closing = this.sql.end({ timeout: timeoutSeconds })
        .catch(() => {})
        .finally(() => this.#transport.destroy());
    }
    return this.#closing;
  }

  /** Same as `close()`, for `await using db = …`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal Opens `min_size` connections at once and checks they work. */
  async warmUp(): Promise<void> {
    const n = Math.max(1, Math.min(this.#plan.pool.minSize, this.#plan.pool.maxSize));
    const reserved = await Promise.allSettled(
      Array.from({ length: n }, () => this.sql.reserve()),
    );
    for (const r of reserved) if (r.status === "fulfilled") r.value.release();
    const failure = reserved.find((r) => r.status === "rejected");
    if (failure) throw (failure as PromiseRejectedResult).reason;
  }

  /** Whether the socket a query ran on is still open (by backend pid). */
  #socketAlive(query: unknown): boolean {
    const pid = (query as { state?: { pid?: number | null } }).state?.pid;
    return typeof pid === "number" && this.#transport.isBackendOpen(pid);
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new Error(
        `this ${this.connectionType} connection was closed; get a new one from the manager`,
      );
    }
  }

  async #lend<T>(run: () => Promise<T>): Promise<T> {
    this.#inUse++;
    this.#checkouts++;
    try {
      return await run();
    } finally {
      this.#inUse--;
    }
  }

  async #autocommitRun<T>(fn: (tx: TransactionSql) => T | Promise<T>): Promise<T> {
    await using conn = await this.acquire();
    const tx = Object.assign(
      (...args: unknown[]) => (conn.sql as unknown as (...a: unknown[]) => unknown)(...args),
      conn.sql,
      {
        savepoint: () => {
          throw new Error("savepoint needs a transaction; this connection has autocommit: true");
        },
      },
    ) as unknown as TransactionSql;
    return await fn(tx);
  }

  #pooledBegin<T>(
    fn: (tx: TransactionSql) => T | Promise<T>,
    deadline: number,
    onStart: () => void,
  ): Promise<T> {
    this.#enterQueue();
    return new Promise<T>((resolve, reject) => {
      let state: "waiting" | "running" | "late" = "waiting";
      const timer = setTimeout(() => {
        if (state !== "waiting") return;
        state = "late";
        this.#waiting--;
        this.#timeouts++;
        reject(new PoolTimeoutError(this.#plan.pool.timeout));
      }, Math.max(0, deadline - performance.now()));
      const leaveQueue = () => {
        if (state === "waiting") this.#waiting--;
      };
      this.sql.begin(async (tx) => {
        if (state === "late") throw LATE; // rolled back, connection goes back
        clearTimeout(timer);
        state = "running";
        this.#waiting--;
        this.#inUse++;
        this.#checkouts++;
        onStart();
        try {
          return await fn(tx);
        } finally {
          this.#inUse--;
        }
      }).then(
        (v) => resolve(v as T),
        (e) => {
          clearTimeout(timer);
          leaveQueue();
          if (e !== LATE && state !== "late") reject(e);
        },
      );
    });
  }

  #enterQueue(): void {
    const max = this.#plan.pool.maxWaiting;
    if (max > 0 && this.#waiting >= max) {
      throw new PoolTimeoutError(0, `max_waiting ${max} callers already waiting`);
    }
    this.#waiting++;
  }

  async #reserveWithin(deadline: number): Promise<ReservedSql> {
    this.#enterQueue();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let late = false;
    const reservation = this.sql.reserve();
    try {
      const ms = deadline - performance.now();
      const reserved = Number.isFinite(ms)
        ? await Promise.race([
          reservation,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              late = true;
              this.#timeouts++;
              reject(new PoolTimeoutError(this.#plan.pool.timeout));
            }, Math.max(0, ms));
          }),
        ])
        : await reservation;
      this.#inUse++;
      this.#checkouts++;
      return reserved;
    } catch (e) {
      // A connection that arrives after the timeout goes straight back.
      if (late) reservation.then((r) => r.release(), () => {});
      throw e;
    } finally {
      clearTimeout(timer);
      this.#waiting--;
    }
  }
}
