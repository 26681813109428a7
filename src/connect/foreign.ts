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

/** Runs `fn` as the body of a transaction of `pool`. */
export async function inTransactionOf<T>(pool: unknown, fn: () => T | Promise<T>): Promise<T> {
  active++;
  try {
    return await context.run({ pool }, fn);
  } finally {
    active--;
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
