/**
 * Workaround file (postgres.js 3.4.9): failing a connection attempt.
 *
 * Upstream behaviour: when the `socket` option's function throws or
 * rejects, postgres.js rejects the waiting query but leaves the connection
 * in its "connecting" state for good: that slot never connects again, so
 * later queries on it wait forever. A failed attempt is therefore reported
 * with a socket that emits `error` and then `close` (which postgres.js
 * handles like any socket failure: the query fails, the slot is freed, with
 * its backoff before a retry). The canary test
 * `tests/connect/postgresjs_canary.test.ts` checks that a throwing `socket`
 * function still leaks the slot upstream.
 *
 * @module
 */
import { Duplex } from "node:stream";
import { setImmediate } from "node:timers";

/**
 * A socket for postgres.js that fails with `error` right after postgres.js
 * has attached its listeners (they are attached synchronously once the
 * `socket` promise resolves; its own first write goes out from a later
 * `setImmediate`).
 */
export function failedSocket(error: Error, where?: { host: string; port: number }): Duplex {
  const s = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
    emitClose: false,
  });
  if (where) Object.assign(s, where);
  setImmediate(() => {
    s.emit("error", error);
    s.emit("close", true);
    s.destroy();
  });
  return s;
}
