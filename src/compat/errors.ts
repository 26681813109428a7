/**
 * Errors of the postgres.js adapter in the form postgres.js users meet them:
 * the errors postgres.js makes itself (`CONNECTION_ENDED`,
 * `CONNECT_TIMEOUT`…) with postgres.js's wording, server errors as the
 * server's `PostgresError`, and everything else as pgmonkey's one-line
 * errors.
 *
 * @module
 */
import postgres from "postgres";
import { ConnectionError } from "../errors.ts";

/** Where postgres.js says a connection goes: a socket path, or its first host and port. */
export interface PostgresTarget {
  host: string[];
  port: number[];
  path?: string | false;
}

/**
 * An error as postgres.js makes its own connection errors: message
 * `write CODE host:port`, with `code`, `errno`, `address` and `port`.
 *
 * @example
 * ```ts
 * import { postgresConnectionError } from "./errors.ts";
 * const e = postgresConnectionError("CONNECTION_ENDED", { host: ["db"], port: [5432] });
 * console.log(e.message); // write CONNECTION_ENDED db:5432
 * ```
 */
export function postgresConnectionError(
  code: string,
  target: PostgresTarget,
  cause?: unknown,
): Error & { code: string } {
  const path = typeof target.path === "string" && target.path !== "" ? target.path : undefined;
  const host = target.host[0];
  const port = target.port[0];
  return Object.assign(
    new Error(`write ${code} ${path ?? `${host}:${port}`}`, cause ? { cause } : undefined),
    { code, errno: code, address: path ?? host },
    path ? {} : { port },
  );
}

/**
 * The error of a failed open as a postgres.js user expects it: the server's
 * `PostgresError` (wrong password, no such database…), postgres.js's
 * `CONNECT_TIMEOUT` error, or else pgmonkey's `ConnectionError` (one line
 * naming the target, its `code` kept).
 *
 * @example
 * ```ts
 * import { openError } from "./errors.ts";
 * const e = new Error("not a connection error");
 * console.log(openError(e, { host: ["db"], port: [5432] }) === e); // true
 * ```
 */
export function openError(e: unknown, target: PostgresTarget): unknown {
  if (!(e instanceof ConnectionError)) return e;
  if (e.cause instanceof postgres.PostgresError) return e.cause;
  if (e.code === "CONNECT_TIMEOUT") return postgresConnectionError(e.code, target, e);
  const thrown = socketFunctionThrew(e);
  if (thrown) {
    // postgres.js rejects statements with what the function threw, a non-object as an Error.
    const err = thrown.value !== null && typeof thrown.value === "object"
      ? thrown.value as Error
      : new Error(String(thrown.value));
    thrownBySocket.set(err, thrown.value);
    return err;
  }
  return e;
}

/** What the caller's `socket` function threw, by the error {@link openError} made of it. */
const thrownBySocket = new WeakMap<object, unknown>();

/** What the caller's `socket` function threw, if that is why `e` happened. */
function socketFunctionThrew(e: unknown): { value: unknown } | undefined {
  // The transport's error says SOCKET_FUNCTION with the thrown value as its cause; the errors
  // wrapping it (a ConnectionError) keep that code.
  let found: { value: unknown } | undefined;
  for (let c = e, depth = 0; c instanceof Error && depth < 4; c = c.cause, depth++) {
    if ((c as { code?: unknown }).code === "SOCKET_FUNCTION") {
      found = Object.hasOwn(c, "cause") ? { value: c.cause } : undefined;
    }
  }
  return found;
}

/**
 * The rejection of postgres.js's `reserve()` for `e`: what the caller's
 * `socket` function threw, as it was (postgres.js hands it over unwrapped),
 * else `e`.
 *
 * @example
 * ```ts
 * import { reserveError } from "./errors.ts";
 * const e = new Error("other");
 * console.log(reserveError(e) === e); // true
 * ```
 */
export function reserveError(e: unknown): unknown {
  return e !== null && typeof e === "object" && thrownBySocket.has(e) ? thrownBySocket.get(e) : e;
}

/**
 * The error of a statement cancelled before it was sent (postgres.js's own).
 *
 * @example
 * ```ts
 * import { cancelledError } from "./errors.ts";
 * console.log(cancelledError().code); // 57014
 * ```
 */
export function cancelledError(): Error & { code: string } {
  return Object.assign(new Error("57014: canceling statement due to user request"), {
    code: "57014",
  });
}
