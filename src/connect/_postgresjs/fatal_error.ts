/**
 * Workaround file (postgres.js 3.4.9): the server's reason when it ends a
 * session.
 *
 * Upstream behaviour: when the server sends a FATAL ErrorResponse without a
 * ReadyForQuery (pg_terminate_backend, shutdown, `idle_session_timeout`…)
 * and closes the socket, postgres.js rejects the query in flight with a bare
 * `CONNECTION_CLOSED` and drops the server's message. We re-deliver the
 * server's error as a socket `error` event right after postgres.js has read
 * the frame (from a `data` listener added after postgres.js's own, so before
 * the socket's `end`/`close` events, which would otherwise fail the query
 * with a bare `EPIPE` or `CONNECTION_CLOSED` first), so the query fails with
 * the real reason (`57P01 terminating connection due to administrator
 * command`). The canary
 * test `tests/connect/postgresjs_canary.test.ts` checks that raw postgres.js
 * still reports `CONNECTION_CLOSED` there.
 *
 * @module
 */
import type { Duplex } from "node:stream";
import { makePostgresError } from "./postgres_error.ts";

/**
 * Emits the FATAL error `fields` on `socket` now: call it once postgres.js
 * has processed the chunk that held the frame.
 */
export function deliverFatal(socket: Duplex, fields: Record<string, string>): void {
  socket.emit("error", makePostgresError(fields));
}
