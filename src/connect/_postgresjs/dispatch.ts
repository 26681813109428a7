/**
 * Workaround file (postgres.js 3.4.9): running a query on a connection
 * chosen when it executes.
 *
 * Our pool gives every physical connection its own postgres.js instance
 * (`max: 1`), which keeps postgres.js's internal queues from growing (its
 * `queue.js` never compacts a queue that is not fully drained, and scans it
 * from index 0 on every `remove()`: with several connections a long-lived
 * pool slows down without bound, porsager/postgres#747). `db.sql` must still
 * be one postgres.js `Sql`, so its queries are built by a "front" instance
 * that never connects, and sent to a connection chosen at execution time.
 *
 * Upstream behaviour relied on: a `Query` (a Promise subclass) keeps the
 * function that executes it in `query.handler` and its canceller in
 * `query.canceller`, and reads `this.handler` only when it first executes
 * (`handle()`, one microtask after the first `then`/`execute()`). Replacing
 * both before that sends the query to another instance, exactly as if it had
 * been made there. `handler.debug` is read for error stacks. The canary test
 * `tests/connect/postgresjs_canary.test.ts` checks all of this.
 *
 * @module
 */
import type postgres from "postgres";

/** The parts of a postgres.js `Query` the dispatcher touches. */
export interface RawQuery {
  handler: QueryHandler;
  canceller: ((q: RawQuery) => unknown) | null;
  cancelled: unknown;
  executed: boolean;
  strings: readonly string[];
  args: unknown[];
  options: Record<string, unknown>;
  streaming?: boolean;
  cursorFn?: unknown;
  /** Set by the foreign-connection guard: the query is refused with this error. */
  foreign?: Error;
  reject(error: unknown): void;
}

/** A function that executes a query on an instance. */
export type QueryHandler = ((q: RawQuery) => void) & { debug?: unknown };

/** The executor, canceller and `Query` class of an instance. */
export interface InstanceHooks {
  /** Executes a query on this instance (its internal `handler`). */
  handler: QueryHandler;
  /** Cancels a query of this instance. */
  canceller: (q: RawQuery) => unknown;
  /** postgres.js's `Query` class. */
  Query: abstract new (...args: never[]) => unknown;
}

/** Reads the hooks of `sql` from a query it makes (the query is never executed). */
export function instanceHooks(sql: postgres.Sql): InstanceHooks {
  const probe = sql.unsafe("") as unknown as RawQuery & { constructor: InstanceHooks["Query"] };
  return {
    handler: probe.handler,
    canceller: probe.canceller as (q: RawQuery) => unknown,
    Query: probe.constructor,
  };
}

/** Makes `q` execute through `handler` (and cancel through `canceller`) when it runs. */
export function redirect(q: RawQuery, handler: QueryHandler, canceller: (q: RawQuery) => unknown) {
  q.handler = handler;
  q.canceller = canceller;
}

/**
 * True for queries that hold their connection across several round trips
 * with user code in between: COPY streams (`readable()`/`writable()`) and
 * cursors. They need a connection of their own.
 */
export function holdsConnection(q: RawQuery): boolean {
  return q.streaming === true || q.cursorFn !== undefined;
}

/**
 * `sql.file()` for a dispatched instance: postgres.js's own `file()` calls
 * its instance's internal handler directly, so the file is read here and the
 * query handed to `execute` once its text is known.
 */
export function fileQuery(
  front: postgres.Sql,
  read: (path: string | Buffer | URL) => Promise<string>,
  execute: QueryHandler,
  cancel: (q: RawQuery) => unknown,
  path: string | Buffer | URL,
  args: unknown[] | Record<string, unknown> = [],
  options: Record<string, unknown> = {},
): unknown {
  if (!Array.isArray(args)) {
    options = args;
    args = [];
  }
  const q = front.unsafe("", args as postgres.ParameterOrJSON<never>[], {
    prepare: true,
    ...options,
    simple: "simple" in options ? options.simple : args.length === 0,
  } as postgres.UnsafeQueryOptions) as unknown as RawQuery;
  const run: QueryHandler = (query) => {
    read(path).then((text) => {
      query.strings = [text];
      execute(query);
    }, (e) => query.reject(e));
  };
  run.debug = execute.debug;
  redirect(q, run, cancel);
  return q;
}
