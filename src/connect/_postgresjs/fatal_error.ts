/**
 * Workaround file (postgres.js 3.4.9): the server's reason when it ends a
 * session.
 *
 * Upstream behaviour: when the server sends a FATAL ErrorResponse without a
 * ReadyForQuery (pg_terminate_backend, shutdown, `idle_session_timeout`…)
 * and closes the socket, postgres.js rejects the query in flight with a bare
 * `CONNECTION_CLOSED` and drops the server's message. We re-deliver the
 * server's error as a socket `error` event right after postgres.js has read
 * the frame (a microtask later), so the query fails with the real reason
 * (`57P01 terminating connection due to administrator command`). The canary
 * test `tests/connect/postgresjs_canary.test.ts` checks that raw postgres.js
 * still reports `CONNECTION_CLOSED` there.
 *
 * @module
 */
import type { Duplex } from "node:stream";
import { makePostgresError } from "./postgres_error.ts";

/** Emits the FATAL error `fields` on `socket` once postgres.js has processed the current chunk. */
export function deliverFatal(socket: Duplex, fields: Record<string, string>): void {
  const error = makePostgresError(fields);
  queueMicrotask(() => {
    if (!socket.destroyed || socket.listenerCount("error") > 0) socket.emit("error", error);
  });
}
