/**
 * `transaction(fn)`: BEGIN on a borrowed connection, `fn(tx)`, then COMMIT
 * (or `PREPARE TRANSACTION` after `tx.prepare(name)`), or ROLLBACK when `fn`
 * throws; `tx.savepoint(fn)` nests. Our own, not postgres.js's `begin()`,
 * which crashes the process when the connection dies mid-transaction.
 *
 * What is bounded: BEGIN (a connection that does not answer it within the
 * bound is closed and the call fails, or is retried on another connection
 * when it was already dead, since `fn` has not run), and ROLLBACK (the
 * caller gets `fn`'s error back even when the server does not answer). COMMIT
 * is never retried: a connection lost during COMMIT gives an error saying the
 * outcome is unknown.
 *
 * @module
 */
import type postgres from "postgres";
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from "node:timers";
import type { Lease } from "./lease.ts";
import { TransportError } from "./transport/errors.ts";

/** The SQL function inside `transaction()`. */
export type TransactionSql = postgres.TransactionSql;

/** How `transaction()` retries a transaction that lost a serialization conflict or a deadlock. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  attempts?: number;
  /** First backoff ceiling in ms (default 20); doubles with each retry. */
  baseDelayMs?: number;
  /** Largest backoff ceiling in ms (default 1000). */
  maxDelayMs?: number;
}

/** How a transaction starts (and whether it is retried). */
export interface TransactionOptions {
  /**
   * Run `fn` again, on a fresh transaction, when the transaction fails with
   * a serialization failure (`40001`) or a deadlock (`40P01`) — and only
   * then: `true` (3 retries), a number of retries, or {@link RetryOptions}.
   * Waits a random time up to an exponentially growing ceiling between
   * attempts ("full jitter"). `fn` must be safe to run more than once: no
   * side effects outside the transaction (HTTP calls, messages) that a retry
   * would repeat.
   */
  retry?: boolean | number | RetryOptions;
  /** Isolation level. */
  isolation?: "serializable" | "repeatable read" | "read committed" | "read uncommitted";
  /** `READ ONLY` (true) or `READ WRITE` (false); the session default when absent. */
  readOnly?: boolean;
  /** `DEFERRABLE` (with serializable read-only). */
  deferrable?: boolean;
}

/** postgres.js / network error codes that mean "this connection is gone". */
const DEAD_CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_LOST",
  "CONNECTION_STALLED",
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

/** SQLSTATEs a retry may cure: serialization_failure, deadlock_detected. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set(["40001", "40P01"]);

/** The retry policy of `options.retry` (undefined: no retries). */
export function retryPolicy(
  retry: TransactionOptions["retry"],
): Required<RetryOptions> | undefined {
  if (retry === undefined || retry === false || retry === 0) return undefined;
  const o: RetryOptions = retry === true
    ? {}
    : typeof retry === "number"
    ? { attempts: retry }
    : retry;
  return {
    attempts: Math.max(0, Math.floor(o.attempts ?? 3)),
    baseDelayMs: Math.max(0, o.baseDelayMs ?? 20),
    maxDelayMs: Math.max(0, o.maxDelayMs ?? 1000),
  };
}

/** Full-jitter backoff before retry number `n` (1-based). */
export function backoffMs(policy: Required<RetryOptions>, n: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
  return random() * ceiling;
}

/** The BEGIN statement for `options` (or postgres.js's `sql.begin(mode, fn)` mode text). */
export function beginStatement(options: TransactionOptions | string = {}): string {
  if (typeof options === "string") {
    const mode = options.replace(/[^a-z ]/gi, "").trim();
    return mode ? `BEGIN ${mode}` : "BEGIN";
  }
  const parts: string[] = [];
  if (options.isolation) {
    const level = options.isolation.toLowerCase();
    if (
      !["serializable", "repeatable read", "read committed", "read uncommitted"].includes(level)
    ) {
      throw new TypeError(`unknown isolation level: ${options.isolation}`);
    }
    parts.push(`ISOLATION LEVEL ${level.toUpperCase()}`);
  }
  if (options.readOnly !== undefined) parts.push(options.readOnly ? "READ ONLY" : "READ WRITE");
  if (options.deferrable !== undefined) {
    parts.push(options.deferrable ? "DEFERRABLE" : "NOT DEFERRABLE");
  }
  return parts.length ? `BEGIN ${parts.join(", ")}` : "BEGIN";
}

const TIMED_OUT = Symbol("timed out");

/** `p`, or `TIMED_OUT` once `ms` pass (the promise keeps running; its rejection is handled). */
export async function within<T>(p: PromiseLike<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (!Number.isFinite(ms)) return await p;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guarded = Promise.resolve(p);
  guarded.catch(() => {});
  try {
    return await Promise.race([
      guarded,
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** True for {@link within}'s timeout marker. */
export function timedOut(x: unknown): x is typeof TIMED_OUT {
  return x === TIMED_OUT;
}

/**
 * Awaits a callback's result; an array (of queries) returned as such is
 * awaited element-wise, as postgres.js does. A promise that resolves to an
 * array (a query's `Result`, say) is returned as it is.
 */
export async function settleResult<T>(value: T | Promise<T>): Promise<T> {
  return (Array.isArray(value) ? await Promise.all(value) : await value) as T;
}

/** State of one transaction's `tx`. */
interface TxState {
  inTransaction: boolean;
  prepared?: string;
  savepoints: number;
}

/**
 * The `tx` handed to `transaction()` callbacks: the lease's SQL plus
 * `savepoint([name], fn)` (SAVEPOINT / RELEASE / ROLLBACK TO) and
 * `prepare(name)` (two-phase commit).
 */
export function transactionSql(lease: Lease, state: TxState): TransactionSql {
  const sql = lease.sql;
  const savepoint = async <T>(
    nameOrFn: string | TemplateStringsArray | ((tx: TransactionSql) => T | Promise<T>),
    maybeFn?: ((tx: TransactionSql) => T | Promise<T>) | unknown,
    ...rest: unknown[]
  ): Promise<unknown> => {
    if (!state.inTransaction) {
      throw new Error("savepoint needs a transaction; this connection has autocommit: true");
    }
    if (Array.isArray((nameOrFn as TemplateStringsArray)?.raw)) {
      // tx.savepoint`statement`: one statement in its own savepoint.
      return savepoint((t) =>
        (t as unknown as (...a: unknown[]) => unknown)(nameOrFn, maybeFn, ...rest) as T
      );
    }
    const fn = (typeof nameOrFn === "function" ? nameOrFn : maybeFn) as (
      tx: TransactionSql,
    ) => T | Promise<T>;
    const label = `s${++state.savepoints}${
      typeof nameOrFn === "string" ? "_" + nameOrFn.replace(/[^a-zA-Z0-9_]/g, "") : ""
    }`;
    await sql.unsafe(`SAVEPOINT ${label}`);
    try {
      const result = await settleResult(fn(tx));
      await sql.unsafe(`RELEASE SAVEPOINT ${label}`);
      return result;
    } catch (e) {
      await sql.unsafe(`ROLLBACK TO SAVEPOINT ${label}`).catch(() => {});
      throw e;
    }
  };
  const prepare = (name: string) => {
    if (!state.inTransaction) {
      throw new Error("prepare needs a transaction; this connection has autocommit: true");
    }
    state.prepared = String(name);
  };
  const tx = new Proxy(sql, {
    get: (target, prop) =>
      prop === "savepoint" ? savepoint : prop === "prepare" ? prepare : Reflect.get(target, prop),
  }) as unknown as TransactionSql;
  return tx;
}

/** What {@link runTransaction} needs from the handle. */
export interface TransactionRun {
  /**
   * Borrows a connection, waiting until `deadline` (a `performance.now()`
   * value; `Infinity` on a dedicated handle, which waits for its one
   * connection as postgres.js does).
   */
  borrow(deadline: number): Promise<Lease>;
  /** The pool's `timeout` in ms: checkout, BEGIN and its retries share it (Infinity: none). */
  timeoutMs: number;
  /** Milliseconds BEGIN and ROLLBACK may take when there is no pool timeout. */
  boundMs: number;
  /** Run `fn` without BEGIN (`autocommit: true` on a dedicated handle). */
  autocommit: boolean;
  /** Called when BEGIN found a dead connection and the work moves to another one. */
  onReplaced(): void;
  /** Statements sent with BEGIN in the same round trip (`SET LOCAL …` behind PgBouncer). */
  afterBegin?: string;
  /** Called before retry number `n` (after a 40001/40P01 failure). */
  onRetry?(n: number, error: unknown): void;
}

/** The error of a transaction whose connection closed before COMMIT. */
function closedDuringTransaction(lease: Lease): TransportError {
  return new TransportError(
    `the connection to ${lease.conn.where} closed during the transaction; nothing was ` +
      `committed (the server rolls an open transaction back)`,
    "CONNECTION_CLOSED",
  );
}

/**
 * Rejects `closed` when the lease's connection closes while `fn` runs, as
 * postgres.js's `begin()` does: the caller learns at once that the
 * transaction is gone, also when `fn` is not waiting on the database. The
 * rejection comes a macrotask after the close, so that the error of a
 * statement in flight (the server's reason, e.g. 57P01), which `fn` usually
 * rethrows at once, wins. `stop()` detaches.
 */
function whenClosed(lease: Lease): { closed: Promise<never>; stop(): void } {
  const socket = lease.conn.socket.socket;
  let timer: ReturnType<typeof setImmediate> | undefined;
  let onClose = () => {};
  const closed = new Promise<never>((_, reject) => {
    onClose = () => {
      timer = setImmediate(() => reject(closedDuringTransaction(lease)));
    };
    if (lease.conn.dead) onClose();
    else socket.once("close", onClose);
  });
  closed.catch(() => {});
  return {
    closed,
    stop: () => {
      socket.removeListener("close", onClose);
      if (timer !== undefined) clearImmediate(timer);
    },
  };
}

/** Attempts at BEGIN (on fresh connections) before its error is given to the caller. */
const MAX_BEGIN_ATTEMPTS = 10;

/** The least time BEGIN gets, even when the checkout used up the deadline. */
const MIN_BEGIN_MS = 250;

/**
 * Runs a transaction (see the module documentation), retried on
 * serialization failures and deadlocks when `options.retry` asks for it.
 */
export async function runTransaction<T>(
  run: TransactionRun,
  fn: (tx: TransactionSql) => T | Promise<T>,
  options: TransactionOptions | string = {},
): Promise<T> {
  const policy = typeof options === "string" ? undefined : retryPolicy(options.retry);
  for (let retry = 0;; retry++) {
    try {
      return await runOnce(run, fn, options);
    } catch (e) {
      const code = (e as { code?: unknown })?.code;
      if (!policy || retry >= policy.attempts || !RETRYABLE_CODES.has(String(code))) throw e;
      run.onRetry?.(retry + 1, e);
      await new Promise((r) => setTimeout(r, backoffMs(policy, retry + 1)));
    }
  }
}

async function runOnce<T>(
  run: TransactionRun,
  fn: (tx: TransactionSql) => T | Promise<T>,
  options: TransactionOptions | string,
): Promise<T> {
  const begin = run.afterBegin
    ? `${beginStatement(options)}; ${run.afterBegin}`
    : beginStatement(options);
  // One deadline for the whole start of the transaction: waiting for a connection, BEGIN, and
  // BEGIN's retries on fresh connections, so no caller waits past the pool's timeout.
  const deadline = performance.now() + run.timeoutMs;
  for (let attempt = 1;; attempt++) {
    const lease = await run.borrow(deadline);
    const beginMs = Number.isFinite(deadline)
      ? Math.max(MIN_BEGIN_MS, deadline - performance.now())
      : run.boundMs;
    const state: TxState = { inTransaction: !run.autocommit, savepoints: 0 };
    const tx = transactionSql(lease, state);
    if (run.autocommit) {
      try {
        return await settleResult(fn(tx));
      } finally {
        lease.release();
      }
    }
    const began = await within(
      lease.sql.unsafe(begin).then(() => undefined, (e) => e),
      beginMs,
    );
    if (timedOut(began)) {
      const seconds = (beginMs / 1000).toFixed(1);
      lease.conn.destroy(
        new TransportError(
          `the server did not answer BEGIN within ${seconds} s; connection closed`,
          "CONNECTION_STALLED",
        ),
      );
      lease.discard();
      throw new TransportError(
        `the server did not answer BEGIN within ${seconds} s (${lease.conn.where})`,
        "CONNECTION_STALLED",
      );
    }
    if (began !== undefined) {
      lease.release();
      // BEGIN failed on a connection that had died while idle: fn never ran, so
      // running it on another connection is safe and invisible to the caller.
      if (
        isDeadConnectionError(began) && attempt < MAX_BEGIN_ATTEMPTS &&
        performance.now() < deadline
      ) {
        run.onReplaced();
        continue;
      }
      throw began;
    }
    let result: T;
    const lost = whenClosed(lease);
    try {
      result = await Promise.race([settleResult(fn(tx)), lost.closed]);
      // Closed after fn's last statement: nothing was committed, and COMMIT cannot be sent.
      if (lease.conn.dead) throw closedDuringTransaction(lease);
    } catch (e) {
      if (!lease.conn.dead) {
        const rolledBack = await within(
          lease.sql.unsafe("ROLLBACK").then(() => true, () => false),
          run.boundMs,
        );
        if (rolledBack !== true) lease.discard();
      }
      lease.release();
      throw e;
    } finally {
      lost.stop();
    }
    try {
      await lease.sql.unsafe(
        state.prepared === undefined
          ? "COMMIT"
          : `PREPARE TRANSACTION '${state.prepared.replace(/'/g, "''")}'`,
      );
    } catch (e) {
      lease.release();
      if (isDeadConnectionError(e)) {
        throw Object.assign(
          new Error(
            `the connection was lost during COMMIT; the transaction may or may not have ` +
              `committed (${(e as Error).message})`,
            { cause: e },
          ),
          { code: (e as { code?: string }).code },
        );
      }
      throw e;
    }
    lease.release();
    return result;
  }
}
