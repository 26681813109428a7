/**
 * Timers for any delay: `setTimeout` fires at once for delays above
 * 2³¹−1 ms (about 24.8 days), which a pool `timeout` or `max_lifetime` in
 * seconds can exceed.
 *
 * @module
 */
import { clearTimeout, setTimeout } from "node:timers";

/** Longest delay `setTimeout` honours. */
const MAX_DELAY = 2 ** 31 - 1;

/** A cancellable timer. */
export interface Timer {
  /** Stops it (idempotent). */
  cancel(): void;
}

/**
 * Calls `fn` after `ms` (re-arming in steps for very long delays). `ref:
 * false` lets the process exit while it waits. `Infinity` never fires.
 *
 * @example
 * ```ts
 * import { after } from "./timers.ts";
 * const t = after(1e12, () => console.log("in 31 years"), false);
 * t.cancel();
 * ```
 */
export function after(ms: number, fn: () => void, ref = true): Timer {
  let handle: ReturnType<typeof setTimeout> | undefined;
  let cancelled = false;
  if (!Number.isFinite(ms)) return { cancel: () => {} };
  const due = performance.now() + Math.max(0, ms);
  const arm = () => {
    const left = due - performance.now();
    if (left <= 0) return fn();
    handle = setTimeout(() => {
      handle = undefined;
      if (!cancelled) arm();
    }, Math.min(left, MAX_DELAY));
    if (!ref) handle.unref();
  };
  arm();
  return {
    cancel: () => {
      cancelled = true;
      if (handle !== undefined) clearTimeout(handle);
    },
  };
}
