/**
 * The connection handle returned by `PGConnectionManager`: one class for all
 * four types. Dedicated types (`normal`, `async`) are a postgres.js instance
 * with one connection; pooled types add our pool layer (acquire timeout,
 * checkout validation, stats) on top of postgres.js's pool.
 *
 * @module
 */
import type postgres from "postgres";
import { clearTimeout as clearNodeTimeout, setTimeout as nodeSetTimeout } from "node:timers";
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

const TIMED_OUT = Symbol("timed out");
/** How long a reservation may wait before a hedge is considered, in ms. */
const HEDGE_AFTER_MS = 50;
/** Most reservations in flight for one checkout. */
const HEDGE_LIMIT = 4;
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
  #permits: number;
  readonly #queue: (() => void)[] = [];
  #checkouts = 0;
  #timeouts = 0;
  #replaced = 0;

  /** @internal Use `PGConnectionManager` or `openConnection()` instead. */
  constructor(plan: ConnectionPlan, sql: Sql, transport: Transport) {
    this.connectionType = plan.type;
    this.#plan = plan;
    this.sql = sql;
    this.#transport = transport;
    this.#permits = plan.pool.maxSize;
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
   *
   * If the connection dies inside the transaction (server restart,
   * `pg_terminate_backend`), the error is rethrown and the dead connection is
   * dropped, never handed out again.
   */
  async transaction<T>(fn: (tx: TransactionSql) => T | Promise<T>): Promise<T> {
    this.#assertOpen();
    const deadline = this.#deadline();
    for (let attempt = 1;; attempt++) {
      const lease = await this.#checkout(deadline, false);
      if (this.#plan.autocommit) {
        try {
          return await settleResult(fn(transactionSql(lease.sql, false)));
        } finally {
          lease.release();
        }
      }
      try {
        await lease.sql`BEGIN`;
      } catch (e) {
        lease.release();
        // BEGIN failed on a connection that died while idle: fn never ran, so a
        // retry on a fresh connection is safe and invisible to the caller.
        if (isDeadConnectionError(e) && attempt < MAX_ATTEMPTS && performance.now() < deadline) {
          this.#replaced++;
          continue;
        }
        throw e;
      }
      let result: T;
      try {
        result = await settleResult(fn(transactionSql(lease.sql, true)));
      } catch (e) {
        if (lease.alive()) await lease.sql`ROLLBACK`.catch(() => {});
        lease.release();
        throw e;
      }
      try {
        await lease.sql`COMMIT`;
      } finally {
        lease.release();
      }
      return result;
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
    const lease = await this.#checkout(this.#deadline(), this.#plan.pool.checkOnCheckout);
    return {
      sql: lease.sql,
      release: lease.release,
      [Symbol.asyncDispose]: () => Promise.resolve(lease.release()),
    };
  }

  #deadline(): number {
    return this.#plan.pooled ? performance.now() + this.#plan.pool.timeout * 1000 : Infinity;
  }

  /**
   * Reserves a connection (within `deadline`), optionally checks it with
   * `SELECT 1`, and wraps it in a lease that knows whether its socket is
   * still alive, so a dead connection is never released back to postgres.js.
   */
  async #checkout(deadline: number, check: boolean): Promise<Lease> {
    const timeout = this.#plan.pool.timeout;
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
      const lease = new Lease(reserved, this.#transport, (dead, pid) => {
        this.#inUse--;
        if (dead) this.#givePermitAfterClose(pid);
        else this.#givePermit();
      });
      if (!check) return lease;
      const failure = await settleWithin(lease.sql`SELECT 1`, deadline);
      if (failure === undefined) return lease;
      if (failure === TIMED_OUT) {
        // The connection is wedged: cut its socket (postgres.js then drops it)
        // and give its permit back once it is gone.
        lease.drop();
        this.#timeouts++;
        throw new PoolTimeoutError(timeout, "the checkout check did not answer");
      }
      lease.release();
      if (retry(failure)) {
        this.#replaced++;
        continue;
      }
      throw failure;
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
      waiting: this.#queue.length,
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

  #assertOpen(): void {
    if (this.#closed) {
      throw new Error(
        `this ${this.connectionType} connection was closed; get a new one from the manager`,
      );
    }
  }

  /**
   * Waits (within `deadline`) for one of the `max_size` permits when none is free. Our own queue
   * keeps postgres.js's reserve() from ever waiting in its internal queue,
   * where a reservation is lost when a connection closes (postgres.js 3.4.9
   * hands it to the reconnecting connection, which drops it after fetching
   * array types).
   */
  #waitForPermit(deadline: number): Promise<void> {
    const max = this.#plan.pool.maxWaiting;
    if (max > 0 && this.#queue.length >= max) {
      return Promise.reject(new PoolTimeoutError(0, `max_waiting ${max} callers already waiting`));
    }
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#queue.push(waiter);
      const ms = deadline - performance.now();
      if (Number.isFinite(ms)) {
        timer = setTimeout(() => {
          const i = this.#queue.indexOf(waiter);
          if (i < 0) return;
          this.#queue.splice(i, 1);
          this.#timeouts++;
          reject(new PoolTimeoutError(this.#plan.pool.timeout));
        }, Math.max(0, ms));
      }
    });
  }

  /** Returns a permit: to the longest waiter, else to the pool. */
  #givePermit(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#permits++;
  }

  /** Returns a dead connection's permit once postgres.js has seen its socket close. */
  #givePermitAfterClose(pid: number | undefined): void {
    if (pid === undefined) return this.#givePermit();
    let given = false;
    const give = () => {
      if (!given) {
        given = true;
        this.#givePermit();
      }
    };
    const fallback = unrefTimeout(() => {
      // The server said FATAL but the socket lingers: cut it, then give back.
      this.#transport.destroyBackend(pid);
      give();
    }, 2000);
    void this.#transport.whenBackendClosed(pid).then(() => {
      clearNodeTimeout(fallback);
      give();
    });
  }

  async #reserveWithin(deadline: number): Promise<ReservedSql> {
    if (this.#permits > 0 && this.#queue.length === 0) this.#permits--; // no promise hop
    else await this.#waitForPermit(deadline);
    try {
      const reserved = await this.#hedgedReserve(deadline);
      this.#inUse++;
      this.#checkouts++;
      return reserved;
    } catch (e) {
      this.#givePermit();
      throw e;
    }
  }

  /**
   * `sql.reserve()` within `deadline`. postgres.js 3.4.9 can lose a queued
   * reservation (a connection that closes meanwhile takes it over and drops
   * it), so while we wait and the pool shows an idle connection nobody has
   * borrowed, another reservation is started; the first to arrive wins and
   * any other that arrives later is released at once.
   */
  #hedgedReserve(deadline: number): Promise<ReservedSql> {
    return new Promise<ReservedSql>((resolve, reject) => {
      let settled = false;
      let pending = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (error: unknown, value?: ReservedSql) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (value) resolve(value);
        else reject(error);
      };
      const start = () => {
        pending++;
        this.sql.reserve().then((r) => {
          pending--;
          if (settled) r.release();
          else finish(undefined, r);
        }, (e) => {
          pending--;
          if (!settled && pending === 0) finish(e);
        });
      };
      const tick = () => {
        const left = deadline - performance.now();
        if (left <= 0) {
          this.#timeouts++;
          return finish(new PoolTimeoutError(this.#plan.pool.timeout));
        }
        if (pending < HEDGE_LIMIT && this.#transport.stats().idle > this.#inUse) start();
        timer = setTimeout(tick, Math.min(HEDGE_AFTER_MS, left));
      };
      start();
      // With an idle connection, postgres.js's reserve() is already fulfilled
      // and its `then` runs in the microtask queued before this one: the
      // checkout then costs no timer (a node:timers Timeout created and
      // cleared per checkout is most of its cost under Deno).
      queueMicrotask(() => {
        if (!settled) {
          timer = setTimeout(tick, Math.min(HEDGE_AFTER_MS, deadline - performance.now()));
        }
      });
    });
  }
}

/** Awaits a callback's result; an array (of queries) is awaited element-wise, as postgres.js does. */
async function settleResult<T>(value: T | Promise<T>): Promise<T> {
  const v = await value;
  return (Array.isArray(v) ? await Promise.all(v) : v) as T;
}

/** A timer that does not keep the process alive. */
function unrefTimeout(fn: () => void, ms: number): ReturnType<typeof nodeSetTimeout> {
  const t = nodeSetTimeout(fn, ms);
  t.unref();
  return t;
}

/** Backend pid of the connection a postgres.js query ran on, if it ran. */
function queryPid(query: unknown): number | undefined {
  const pid = (query as { state?: { pid?: number | null } } | undefined)?.state?.pid;
  return typeof pid === "number" ? pid : undefined;
}

/**
 * One reserved connection, lent to a caller. Its `sql` records the last
 * query so that `release()` can tell (by backend pid, from the transport)
 * whether the socket died meanwhile: postgres.js 3.4.9 puts a released dead
 * connection back into its idle queue, and the next query on it crashes the
 * process, so a dead connection is dropped instead of released (postgres.js
 * has already moved it to its closed queue and reopens it lazily).
 */
class Lease {
  readonly sql: ReservedSql;
  readonly #reserved: ReservedSql;
  readonly #transport: Transport;
  readonly #onRelease: (dead: boolean, pid: number | undefined) => void;
  #last: unknown;
  #released = false;

  constructor(
    reserved: ReservedSql,
    transport: Transport,
    onRelease: (dead: boolean, pid: number | undefined) => void,
  ) {
    this.#reserved = reserved;
    this.#transport = transport;
    this.#onRelease = onRelease;
    const unsafe = (...args: Parameters<ReservedSql["unsafe"]>) =>
      this.#last = reserved.unsafe(...args);
    // A Proxy, not a copy: creating it costs the same whatever the Sql holds.
    this.sql = new Proxy(reserved, {
      apply: (target, thisArg, args) => this.#last = Reflect.apply(target, thisArg, args),
      get: (target, prop) =>
        prop === "unsafe" ? unsafe : prop === "release" ? this.release : Reflect.get(target, prop),
    });
  }

  /** False once the socket of the last query is known to be closed. */
  alive(): boolean {
    const pid = queryPid(this.#last);
    return pid === undefined || this.#transport.isBackendOpen(pid);
  }

  /** Gives the connection back (or drops it if it died). Idempotent. */
  readonly release = (): void => {
    if (this.#released) return;
    this.#released = true;
    const alive = this.alive();
    if (alive) this.#reserved.release();
    this.#onRelease(!alive, queryPid(this.#last));
  };

  /** Cuts a wedged connection's socket instead of giving it back. */
  drop(): void {
    if (this.#released) return;
    this.#released = true;
    const pid = queryPid(this.#last);
    if (pid !== undefined) this.#transport.destroyBackend(pid);
    this.#onRelease(true, pid);
  }
}

/**
 * The `tx` handed to `transaction()` callbacks: the lease's SQL plus
 * `savepoint([name], fn)`, which nests with SAVEPOINT / RELEASE SAVEPOINT /
 * ROLLBACK TO SAVEPOINT.
 */
function transactionSql(sql: ReservedSql, inTransaction: boolean): TransactionSql {
  let counter = 0;
  const savepoint = async <T>(
    nameOrFn: string | ((tx: TransactionSql) => T | Promise<T>),
    maybeFn?: (tx: TransactionSql) => T | Promise<T>,
  ): Promise<T> => {
    if (!inTransaction) {
      throw new Error("savepoint needs a transaction; this connection has autocommit: true");
    }
    const fn = typeof nameOrFn === "function" ? nameOrFn : maybeFn!;
    const label = `s${++counter}${
      typeof nameOrFn === "string" ? "_" + nameOrFn.replace(/[^a-zA-Z0-9_]/g, "") : ""
    }`;
    await sql.unsafe(`SAVEPOINT ${label}`);
    try {
      const result = await fn(tx);
      await sql.unsafe(`RELEASE SAVEPOINT ${label}`);
      return result;
    } catch (e) {
      await sql.unsafe(`ROLLBACK TO SAVEPOINT ${label}`).catch(() => {});
      throw e;
    }
  };
  const prepare = () => {
    throw new Error("PREPARE TRANSACTION is not supported by pgmonkey's transaction()");
  };
  const tx = new Proxy(sql, {
    get: (target, prop) =>
      prop === "savepoint" ? savepoint : prop === "prepare" ? prepare : Reflect.get(target, prop),
  }) as unknown as TransactionSql;
  return tx;
}
