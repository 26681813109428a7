/**
 * The single channel every config warning goes through (unknown keys, the
 * deprecated `postgresql:` wrapper, …). By default warnings are printed with
 * `console.warn`; tests and applications can route them elsewhere.
 *
 * @module
 */

/**
 * Receives one warning message (one line, no trailing newline).
 *
 * @example
 * ```ts
 * import { setWarningHandler, type WarningHandler } from "./warn.ts";
 * const toStderr: WarningHandler = (m) => console.error(`pgmonkey: ${m}`);
 * setWarningHandler(toStderr);
 * ```
 */
export type WarningHandler = (message: string) => void;

const defaultHandler: WarningHandler = (message) => console.warn(message);

let handler: WarningHandler = defaultHandler;
const emittedOnce = new Set<string>();

/**
 * Routes config warnings to `fn` (pass `null` to restore `console.warn`).
 * Returns the handler that was active before, so it can be restored.
 *
 * @example
 * ```ts
 * import { setWarningHandler } from "./warn.ts";
 * const seen: string[] = [];
 * const previous = setWarningHandler((m) => seen.push(m));
 * // ... load and validate configs ...
 * setWarningHandler(previous);
 * ```
 */
export function setWarningHandler(fn: WarningHandler | null): WarningHandler {
  const previous = handler;
  handler = fn ?? defaultHandler;
  return previous;
}

/**
 * Emits one config warning through the current handler.
 *
 * @example
 * ```ts
 * import { emitWarning } from "./warn.ts";
 * emitWarning("Unknown connection settings ignored: hosst. Valid keys: user");
 * ```
 */
export function emitWarning(message: string): void {
  handler(message);
}

/**
 * Emits a warning only the first time `id` is seen in this process
 * (like Python's default warning filter for a given call site).
 * Returns whether the warning was emitted.
 *
 * @example
 * ```ts
 * import { emitWarningOnce } from "./warn.ts";
 * emitWarningOnce("demo", "shown once");
 * emitWarningOnce("demo", "shown once"); // silent
 * ```
 */
export function emitWarningOnce(id: string, message: string): boolean {
  if (emittedOnce.has(id)) return false;
  emittedOnce.add(id);
  handler(message);
  return true;
}

/**
 * Forgets which once-only warnings were already emitted (for tests).
 *
 * @example
 * ```ts
 * import { resetWarningsOnce } from "./warn.ts";
 * resetWarningsOnce();
 * ```
 */
export function resetWarningsOnce(): void {
  emittedOnce.clear();
}
