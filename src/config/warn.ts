/**
 * Config warnings (unknown keys, the deprecated `postgresql:` wrapper, …)
 * go to a {@link WarningHandler} that the caller passes in as `onWarning`
 * (on `new PGConnectionManager({ onWarning })`, `loadConfig`,
 * `validateConfig`, …). Nothing here is process-wide: without a handler,
 * warnings are printed to stderr by {@link printWarning}.
 *
 * @module
 */

/**
 * Receives one warning message (one line, no trailing newline).
 *
 * @example
 * ```ts
 * import type { WarningHandler } from "./warn.ts";
 * const toLog: WarningHandler = (message) => console.error(`pgmonkey: ${message}`);
 * toLog("Unknown connection settings ignored: hosst. Valid keys: user, password, …");
 * ```
 */
export type WarningHandler = (message: string) => void;

/**
 * The default handler: prints the message to stderr (`console.warn`).
 *
 * @example
 * ```ts
 * import { printWarning } from "./warn.ts";
 * printWarning("shown on stderr");
 * ```
 */
export function printWarning(message: string): void {
  console.warn(message);
}

/** Once-only warning ids already given to each handler. */
const givenOnce = new WeakMap<WarningHandler, Set<string>>();

/**
 * Gives `message` to `handler` only the first time this handler sees `id`
 * (like Python's default warning filter for one call site): with the
 * default {@link printWarning}, once per process. Returns whether the
 * warning was given.
 *
 * @example
 * ```ts
 * import { warnOnce } from "./warn.ts";
 * const seen: string[] = [];
 * const handler = (m: string) => void seen.push(m);
 * warnOnce(handler, "demo", "shown once");
 * warnOnce(handler, "demo", "shown once"); // not given again
 * console.log(seen.length); // 1
 * ```
 */
export function warnOnce(handler: WarningHandler, id: string, message: string): boolean {
  let ids = givenOnce.get(handler);
  if (ids === undefined) givenOnce.set(handler, ids = new Set());
  if (ids.has(id)) return false;
  ids.add(id);
  handler(message);
  return true;
}
