/**
 * The foreign-connection guard (Slonik's `foreignConnections`): code inside
 * `transaction(fn)` that runs a statement on another connection of the same
 * pool (through `db.sql`, or a nested `transaction()`/`acquire()`) escapes
 * the transaction (it cannot see its uncommitted changes, and its own work
 * commits regardless) and can deadlock a small pool. The transaction's body
 * runs in an `AsyncLocalStorage` context naming its pool, so such a call can
 * be told apart from one outside the transaction.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";

const context = new AsyncLocalStorage<{ pool: unknown }>();
let active = 0;

/**
 * Marks the start of a guarded transaction of `pool`; call the returned
 * function when it has ended. `run` calls the transaction's body in the
 * context (its return value is passed on as is: postgres.js awaits an array
 * of queries returned synchronously, and that must stay visible).
 */
export function guardTransaction(pool: unknown): {
  run<T>(fn: () => T): T;
  end(): void;
} {
  active++;
  let ended = false;
  return {
    run: (fn) => context.run({ pool }, fn),
    end: () => {
      if (!ended) {
        ended = true;
        active--;
      }
    },
  };
}

/** Runs `fn` as the body of a transaction of `pool` (for tests and one-off use). */
export async function inTransactionOf<T>(pool: unknown, fn: () => T | Promise<T>): Promise<T> {
  const guard = guardTransaction(pool);
  try {
    return await guard.run(fn);
  } finally {
    guard.end();
  }
}

/**
 * True when the caller runs inside a transaction body of `pool` (cheap when
 * no guarded transaction is running anywhere).
 *
 * @example
 * ```ts
 * import { inTransactionOf, insideTransactionOf } from "./foreign.ts";
 * const pool = {};
 * await inTransactionOf(pool, () => console.log(insideTransactionOf(pool))); // true
 * console.log(insideTransactionOf(pool)); // false
 * ```
 */
export function insideTransactionOf(pool: unknown): boolean {
  return active > 0 && context.getStore()?.pool === pool;
}

/** The stack of the code that made the foreign call (without the guard's own frames). */
export function callerStack(): string {
  return (new Error().stack ?? "").split("\n").slice(3).join("\n");
}
