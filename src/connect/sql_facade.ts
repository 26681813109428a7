/**
 * `db.sql`: one postgres.js `Sql` for the whole pool. Statements are built by
 * a "front" postgres.js instance that never connects (tagged templates,
 * fragments, helpers, `unsafe`, `file`, `array`, `json`, `typed`…), and run
 * on a connection the pool picks when they execute (see
 * `_postgresjs/dispatch.ts`). The rest of the `Sql` API maps onto the
 * handle: `begin` is `transaction()`, `reserve` is `acquire()`, `end`/`close`
 * close the handle; `listen` and `subscribe` use postgres.js's own dedicated
 * connections (through our transport), and `largeObject` runs in a
 * transaction of ours.
 *
 * @module
 */
import type postgres from "postgres";
import { readFile } from "node:fs/promises";
import {
  fileQuery,
  instanceHooks,
  type QueryHandler,
  type RawQuery,
  redirect,
} from "./_postgresjs/dispatch.ts";
import { isTemplate, taggedQueryClass } from "./_postgresjs/tagged_query.ts";
import { redactedOptions } from "./redact_options.ts";
import type { TransactionOptions, TransactionSql } from "./transaction.ts";
import type { ReservedSql } from "./lease.ts";
import { largeObject } from "./large_object.ts";

/** What the façade needs from its handle. */
export interface FacadeHost {
  /** Runs a statement on a connection of the pool. */
  dispatch(q: RawQuery): void;
  /** Cancels a statement still waiting for a connection; false if it is not waiting. */
  cancelWaiting(q: RawQuery): boolean;
  /** `db.transaction`. */
  transaction<T>(
    fn: (tx: TransactionSql) => T | Promise<T>,
    options?: TransactionOptions | string,
  ): Promise<T>;
  /** `db.acquire()`'s SQL. */
  reserve(): Promise<ReservedSql>;
  /** `db.close(timeout)`. */
  close(timeoutSeconds?: number): Promise<void>;
  /** Server parameters of the latest connection. */
  parameters(): Record<string, string>;
  /** A one-line label for `inspect` (no secrets). */
  label(): string;
  /** Why `listen` is refused (PgBouncer in transaction mode), if it is. */
  listenRefused?: string;
  /** Looks at each statement as it is made (the foreign-connection guard). */
  check?(q: RawQuery): void;
}

/** Builds `db.sql` on `front` for `host`. */
export function createFacade(front: postgres.Sql, host: FacadeHost): postgres.Sql {
  const { Query, canceller: frontCancel } = instanceHooks(front);
  const dispatch: QueryHandler = (q) => host.dispatch(q);
  dispatch.debug = (front.options as { debug?: unknown }).debug;
  const cancel = (q: RawQuery) => {
    if (host.cancelWaiting(q)) return Promise.resolve();
    return frontCancel(q);
  };
  const check = host.check;
  const TaggedQuery = taggedQueryClass(front);
  const sql = function (this: unknown, first: unknown, ...rest: unknown[]) {
    // Made here, not by front(): the query records its caller's line (see tagged_query.ts).
    if (isTemplate(first)) {
      const tagged = new TaggedQuery(first, rest, dispatch, cancel);
      check?.(tagged);
      return tagged;
    }
    const q = (front as unknown as (...a: unknown[]) => unknown)(first, ...rest);
    if (q instanceof Query) {
      redirect(q as RawQuery, dispatch, cancel);
      check?.(q as RawQuery);
    }
    return q;
  } as unknown as postgres.Sql;
  const unsafe = (...args: Parameters<postgres.Sql["unsafe"]>) => {
    const q = front.unsafe(...args) as unknown as RawQuery;
    redirect(q, dispatch, cancel);
    check?.(q);
    return q;
  };
  const file = (
    path: string | Buffer | URL,
    args?: unknown[] | Record<string, unknown>,
    options?: Record<string, unknown>,
  ) => fileQuery(front, (p) => readFile(p, "utf8"), dispatch, cancel, path, args, options);
  const begin = (
    modeOrFn: string | ((tx: TransactionSql) => unknown),
    maybeFn?: (tx: TransactionSql) => unknown,
  ) =>
    typeof modeOrFn === "function"
      ? host.transaction(modeOrFn)
      : host.transaction(maybeFn!, modeOrFn);
  const inspect = () => `Sql { ${host.label()} }`;
  Object.assign(sql, {
    types: front.types,
    typed: front.typed,
    array: front.array,
    json: front.json,
    unsafe,
    file,
    // Runs at once, awaited or not, as postgres.js's notify does.
    notify: async (channel: string, payload: unknown) =>
      await unsafe("select pg_notify($1, $2)", [channel, "" + payload]),
    listen: host.listenRefused === undefined
      ? front.listen
      : () =>
        Promise.reject(Object.assign(new Error(host.listenRefused), { code: "LISTEN_REFUSED" })),
    subscribe: front.subscribe,
    largeObject: (oid?: number, mode?: number) => largeObject(host, oid, mode),
    begin,
    reserve: () => host.reserve(),
    end: (options: { timeout?: number | null } = {}) =>
      host.close(
        options.timeout === null || options.timeout === undefined ? undefined : options.timeout,
      ),
    close: () => host.close(),
    CLOSE: front.CLOSE,
    END: front.END,
    PostgresError: front.PostgresError,
    [Symbol.for("Deno.customInspect")]: inspect,
    [Symbol.for("nodejs.util.inspect.custom")]: inspect,
  });
  Object.defineProperties(sql, {
    // configurable: the postgres.js adapter (src/compat/) shows its options its own way.
    options: { get: () => redactedOptions(front.options), enumerable: false, configurable: true },
    parameters: { get: () => host.parameters(), enumerable: false },
  });
  return sql;
}
