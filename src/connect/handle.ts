/**
 * The connection handle returned by `PGConnectionManager`: one class for all
 * four types (a dedicated `normal`/`async` handle is a pool of exactly one
 * connection). The façade users see: `sql`, `transaction`, `acquire`,
 * `stats`, `close`.
 *
 * @module
 */
import type postgres from "postgres";
import type { ConnectionType } from "../config/types.ts";
import { PoolTimeoutError } from "../errors.ts";
import type { ConnectionPlan } from "./options.ts";
import { closedError, type Pool } from "./pool.ts";
import { Lease, type ReservedSql } from "./lease.ts";
import {
  isDeadConnectionError,
  runTransaction,
  timedOut,
  type TransactionOptions,
  type TransactionSql,
  within,
} from "./transaction.ts";
import { createFacade } from "./sql_facade.ts";
import type { RawQuery } from "./_postgresjs/dispatch.ts";
import type { Observer } from "./observe.ts";
import { callerStack, guardTransaction, insideTransactionOf } from "./foreign.ts";
import type { ForeignConnectionPolicy } from "../config/types.ts";
import { type MetricsSample, prometheusText } from "./metrics.ts";

export type { ReservedSql } from "./lease.ts";
export type { TransactionOptions, TransactionSql } from "./transaction.ts";
export { isDeadConnectionError } from "./transaction.ts";

/** The postgres.js SQL function of a handle. */
export type Sql = postgres.Sql;

/** Pool statistics, in the spirit of psycopg_pool's `get_stats()`. */
export interface PoolStats {
  /** The connection type. */
  connectionType: ConnectionType;
  /** Configured minimum (1 for dedicated types). */
  minSize: number;
  /** Configured maximum (1 for dedicated types). */
  maxSize: number;
  /** Connections open now (lent out or not). */
  size: number;
  /** Open connections that are idle and not lent out. */
  idle: number;
  /** Connections lent out by `transaction()` / `acquire()` now. */
  inUse: number;
  /** Callers (and `db.sql` statements) waiting for a connection now. */
  waiting: number;
  /** Connections being opened now. */
  opening: number;
  /** Connections handed out since creation. */
  checkouts: number;
  /** `PoolTimeoutError`s thrown since creation (including `max_waiting` rejections). */
  timeouts: number;
  /** Connections found dead at checkout, or left unusable by a borrower, and replaced. */
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
 * `await using` block, also when the block throws. A connection left in a
 * state that cannot be trusted (a query still running, a transaction or COPY
 * left open) is closed instead of reused.
 */
export interface BorrowedConnection extends AsyncDisposable {
  /** postgres.js SQL bound to this one connection. */
  readonly sql: ReservedSql;
  /** Gives the connection back. Safe to call more than once. */
  release(): void;
}

/** What `acquire()` hands out for a lease. */
function borrowed(lease: Lease): BorrowedConnection {
  return {
    sql: lease.sql,
    release: lease.release,
    [Symbol.asyncDispose]: () => Promise.resolve(lease.release()),
  };
}

/** What a handle is made of (built by `openConnection`). */
export interface HandleParts {
  /** The plan of the connection type. */
  plan: ConnectionPlan;
  /** The pool. */
  pool: Pool;
  /** The front postgres.js instance `db.sql` builds statements with. */
  front: postgres.Sql;
  /** `user@host:port/db` for messages and `inspect` (no secrets). */
  label: string;
  /** Milliseconds BEGIN/ROLLBACK may take on a dedicated handle (its `connect_timeout`). */
  dedicatedBoundMs: number;
  /** `SET LOCAL …` for the start of each transaction (behind PgBouncer), or empty. */
  setLocal?: string;
  /** Short id of the handle (first 12 hex digits of its config hash). */
  id?: string;
  /** Publishes diagnostics. */
  observer?: Observer;
  /** Where warnings go (leaks, foreign connections). */
  warn?: (message: string) => void;
  /** Masks the handle's secrets in text. */
  redact?: (text: string) => string;
}

/** What `health()` reports for one handle. */
export interface HandleHealth {
  /** The connection type. */
  connectionType: ConnectionType;
  /** `user@host:port/db` (no secrets). */
  target: string;
  /** True when a `SELECT 1` answered within the time limit. */
  reachable: boolean;
  /** Round trip of the probe, in milliseconds (when it answered). */
  latencyMs?: number;
  /** Why the probe failed, or the last error opening a connection (one line, redacted). */
  lastError?: string;
  /** The handle's statistics. */
  stats: PoolStats;
  /** True once the handle was closed. */
  closed: boolean;
}

/** Attempts at a checked checkout before its error is given to the caller. */
const MAX_CHECK_ATTEMPTS = 10;

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
   * The postgres.js SQL function (tagged templates, `unsafe`, `file`,
   * `cursor`, COPY streams, `listen`, `begin`, `reserve`…). Statements run
   * in autocommit mode, each on a connection the pool picks.
   */
  readonly sql: Sql;
  readonly #plan: ConnectionPlan;
  readonly #pool: Pool;
  readonly #front: postgres.Sql;
  readonly #label: string;
  readonly #boundMs: number;
  readonly #setLocal: string | undefined;
  readonly #observer: Observer | undefined;
  readonly #warn: (message: string) => void;
  readonly #redact: (text: string) => string;
  readonly #foreign: ForeignConnectionPolicy;
  /** Short id of the handle (first 12 hex digits of its config hash). */
  readonly id: string;
  #closing?: Promise<void>;
  readonly #leaseHost: import("./lease.ts").LeaseHost;

  /** @internal Use `PGConnectionManager` instead. */
  constructor(parts: HandleParts) {
    this.connectionType = parts.plan.type;
    this.#plan = parts.plan;
    this.#pool = parts.pool;
    this.#front = parts.front;
    this.#label = parts.label;
    this.#boundMs = parts.plan.pooled ? parts.plan.pool.timeout * 1000 : parts.dedicatedBoundMs;
    this.#setLocal = parts.setLocal || undefined;
    this.#observer = parts.observer;
    this.#warn = parts.warn ?? ((m) => console.warn(m));
    this.#redact = parts.redact ?? ((t) => t);
    this.#foreign = parts.plan.js.foreign_connections ?? "warn";
    this.id = parts.id ?? "";
    const leak = parts.plan.js.leak_detection_threshold ?? 0;
    this.#leaseHost = {
      facade: undefined as unknown as Sql,
      observer: parts.observer,
      leakMs: leak * 1000,
      warn: this.#warn,
    };
    this.sql = createFacade(parts.front, {
      dispatch: (q: RawQuery) => this.#pool.dispatch(q),
      cancelWaiting: (q: RawQuery) => this.#pool.cancelWaiting(q),
      transaction: (fn, options) => this.transaction(fn, options),
      reserve: async () => (await this.#borrow(false)).sql,
      close: (timeout) => this.close(timeout),
      parameters: () => this.#pool.parameters,
      label: () => this.#describe(),
      check: (q: RawQuery) => this.#checkForeign(q),
      listenRefused: parts.plan.pgbouncer
        ? "LISTEN does not work behind PgBouncer in transaction pooling mode " +
          "(js_settings.pgbouncer): use a direct connection to the server for notifications"
        : undefined,
    });
    this.#leaseHost.facade = this.sql;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Runs `fn` in a transaction: BEGIN, then COMMIT when `fn` returns, or
   * ROLLBACK when it throws (the error is rethrown). `tx.savepoint(fn)`
   * nests; `tx.prepare(name)` ends with PREPARE TRANSACTION instead. On pools,
   * waits at most `timeout` seconds for a free connection, then throws
   * {@link PoolTimeoutError}; `fn` never runs after that. With
   * `autocommit: true` on `normal`/`async`, `fn` runs without BEGIN (for
   * VACUUM, CREATE DATABASE…).
   *
   * If the connection dies inside the transaction (server restart,
   * `pg_terminate_backend`), the error is rethrown and the connection is
   * dropped, never handed out again.
   */
  transaction<T>(
    fn: (tx: TransactionSql) => T | Promise<T>,
    options?: TransactionOptions | string,
  ): Promise<T> {
    if (this.#closing) return Promise.reject(closedError(this.connectionType));
    const run = {
      borrow: (deadline: number) => this.#borrow(false, deadline),
      timeoutMs: this.#plan.pooled ? this.#plan.pool.timeout * 1000 : Infinity,
      boundMs: this.#boundMs,
      autocommit: this.#plan.autocommit,
      onReplaced: () => this.#pool.countReplaced(),
      afterBegin: this.#setLocal,
    };
    if (this.#foreign === "allow") return runTransaction(run, fn, options);
    const guard = guardTransaction(this.#pool);
    return runTransaction(run, (tx) => guard.run(() => fn(tx)), options).finally(guard.end);
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
  acquire(): Promise<BorrowedConnection> {
    // A connection free at once is lent without a promise of our own in between (measured:
    // borrow + release 1.15 → 0.77 µs of CPU, as raw reserve()/release()).
    let ready: Lease | undefined;
    try {
      ready = this.#borrowNow();
    } catch (e) {
      return Promise.reject(e);
    }
    if (ready) return Promise.resolve(borrowed(ready));
    return this.#borrow(this.#plan.pool.checkOnCheckout).then(borrowed);
  }

  /**
   * The foreign-connection guard for a statement of `db.sql` made inside a
   * transaction of this handle (`js_settings.foreign_connections`).
   */
  #checkForeign(q: RawQuery): void {
    if (this.#foreign === "allow" || !insideTransactionOf(this.#pool)) return;
    this.#foreignCall("a db.sql statement", q);
  }

  #foreignCall(what: string, q?: RawQuery): void {
    const message = `pgmonkey: ${what} ran on another connection of this ${this.connectionType} ` +
      `handle inside transaction(); it does not see the transaction's changes and can deadlock ` +
      `the pool: use the transaction's tx (js_settings.foreign_connections: ${this.#foreign})`;
    if (this.#foreign === "reject") {
      const error = Object.assign(new Error(message), { code: "FOREIGN_CONNECTION" });
      if (!q) throw error;
      q.foreign = error;
      return;
    }
    this.#warn(`${message}; at:\n${callerStack()}`);
  }

  /**
   * A lease at once, when nothing stands in the way: the handle is open, no
   * guarded transaction of this pool is running here, no checkout check is
   * configured, and the pool has a clean idle connection. Otherwise undefined
   * (and nothing happened): {@link #borrow} does it all.
   */
  #borrowNow(): Lease | undefined {
    if (this.#closing || this.#plan.pool.checkOnCheckout) return undefined;
    if (this.#foreign !== "allow" && insideTransactionOf(this.#pool)) return undefined;
    const conn = this.#pool.checkoutNow();
    if (conn === undefined) return undefined;
    this.#observer?.checkout(0);
    return new Lease(this.#pool, conn, this.#leaseHost);
  }

  async #borrow(check: boolean, until?: number): Promise<Lease> {
    if (this.#closing) throw closedError(this.connectionType);
    if (this.#foreign !== "allow" && insideTransactionOf(this.#pool)) {
      this.#foreignCall("a nested transaction() or acquire()");
    }
    const timeout = this.#plan.pool.timeout;
    const deadline = until ??
      (this.#plan.pooled ? performance.now() + timeout * 1000 : Infinity);
    for (let attempt = 1;; attempt++) {
      const started = performance.now();
      let conn;
      try {
        const got = this.#pool.checkout(deadline);
        conn = got instanceof Promise ? await got : got;
      } catch (e) {
        this.#observer?.checkout(performance.now() - started, e);
        throw e;
      }
      this.#observer?.checkout(performance.now() - started);
      const lease = new Lease(this.#pool, conn, this.#leaseHost);
      if (!check) return lease;
      const failure = await within(
        conn.sql.unsafe("SELECT 1").then(() => undefined, (e) => e ?? new Error("check failed")),
        deadline - performance.now(),
      );
      if (failure === undefined) return lease;
      lease.discard();
      if (timedOut(failure)) {
        this.#pool.countTimeout();
        throw new PoolTimeoutError(timeout, "the checkout check did not answer");
      }
      if (isDeadConnectionError(failure) && attempt < MAX_CHECK_ATTEMPTS) {
        this.#pool.countReplaced();
        continue;
      }
      throw failure;
    }
  }

  /** Current statistics. */
  stats(): PoolStats {
    return {
      connectionType: this.connectionType,
      minSize: this.#plan.pool.minSize,
      maxSize: this.#plan.pool.maxSize,
      ...this.#pool.counters(),
    };
  }

  /**
   * A readiness probe: a `SELECT 1` within `timeoutMs` (default 1000). Never
   * throws; a closed handle reports `reachable: false`.
   */
  async health(timeoutMs = 1000): Promise<HandleHealth> {
    const out: HandleHealth = {
      connectionType: this.connectionType,
      target: this.#label,
      reachable: false,
      stats: this.stats(),
      closed: this.closed,
    };
    const last = this.#pool.lastError;
    if (last !== undefined) out.lastError = this.#redact(String((last as Error).message ?? last));
    if (this.closed) return out;
    const started = performance.now();
    try {
      const probe = (this.sql`SELECT 1` as unknown as Promise<unknown>).then(
        () => undefined,
        (e) => e ?? new Error("probe failed"),
      );
      const r = await within(probe, timeoutMs);
      if (timedOut(r)) out.lastError = `no answer within ${timeoutMs} ms`;
      else if (r !== undefined) out.lastError = this.#redact(String((r as Error).message ?? r));
      else {
        out.reachable = true;
        out.latencyMs = performance.now() - started;
      }
    } catch (e) {
      out.lastError = this.#redact(String((e as Error)?.message ?? e));
    }
    out.stats = this.stats();
    return out;
  }

  /**
   * The statistics in the Prometheus text format (version 0.0.4), labelled
   * with the connection type, the handle id and the target.
   *
   * @example
   * ```ts ignore
   * Deno.serve((req) =>
   *   new URL(req.url).pathname === "/metrics"
   *     ? new Response(db.metrics(), { headers: { "content-type": "text/plain; version=0.0.4" } })
   *     : new Response("ok")
   * );
   * ```
   */
  metrics(): string {
    return prometheusText([this.metricsSample()]);
  }

  /** @internal This handle's statistics with its metric labels (for the manager's `metrics()`). */
  metricsSample(): MetricsSample {
    return {
      labels: { type: this.connectionType, handle: this.id, target: this.#label },
      stats: this.stats(),
    };
  }

  /**
   * Closes the handle: new work is refused at once; the call returns as soon
   * as the transactions, borrows and statements in flight are done (at most
   * `timeoutSeconds`, default 5, after which they are cut off). Never throws.
   */
  close(timeoutSeconds = 5): Promise<void> {
    this.#closing ??= (async () => {
      await this.#pool.close(timeoutSeconds);
      await this.#front.end({ timeout: 0 }).catch(() => {});
    })();
    return this.#closing;
  }

  /** Same as `close()`, for `await using db = …`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #describe(): string {
    const c = this.#pool.counters();
    return `${this.connectionType} ${this.#label}, size ${c.size}, in use ${c.inUse}${
      this.#closing ? ", closed" : ""
    }`;
  }

  /** What `console.log` / `Deno.inspect` show: never a password. */
  [Symbol.for("Deno.customInspect")](): string {
    return `PGConnection { ${this.#describe()} }`;
  }

  /** What Node's `util.inspect` shows: never a password. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `PGConnection { ${this.#describe()} }`;
  }
}
