/**
 * A drop-in for postgres.js's `postgres()` that runs on pgmonkey's
 * connection layer: `import postgres from "@pgmonkey/pgmonkey/postgres"`
 * instead of `import postgres from "postgres"`, and the same code gets
 * pgmonkey's pool (one postgres.js instance per connection, acquire
 * timeouts, dead connections replaced), libpq's TLS modes, host lists, and a
 * process that never dies of a connection error and exits when idle.
 *
 * `postgres(url?, options?)` takes postgres.js's options and returns a
 * postgres.js `Sql` at once; the pgmonkey handle behind it opens on first
 * use (as postgres.js connects on first use) and again after `sql.close()`
 * or a failed attempt. How options map is in `./options.ts`; what differs
 * from raw postgres.js, and what its own test suite says, is in
 * docs/RELIABILITY.md ("postgres.js's own test suite"). In short:
 * `sql.begin` and `sql.reserve` are pgmonkey's `transaction()` and
 * `acquire()`; `socket` and `onclose` are refused (pgmonkey owns the
 * transport); `ssl` strings mean the libpq sslmode of that name;
 * statements wait at most `pgmonkey.timeout` seconds (default 30) for a
 * connection of a pool; a function `pass` is called once each time the
 * handle opens; `sql.options.pass` is readable but never printed.
 *
 * @example Replace the import, keep the code
 * ```ts ignore
 * import postgres from "@pgmonkey/pgmonkey/postgres";
 *
 * const sql = postgres("postgres://app@db.example.com/app?sslmode=verify-full", {
 *   max: 8,
 *   idle_timeout: 20,
 *   transform: postgres.camel,
 *   pgmonkey: { timeout: 5 }, // PoolTimeoutError after 5 s without a free connection
 * });
 * const [{ userName }] = await sql`select current_user as user_name`;
 * await sql.begin(async (tx) => {
 *   await tx`insert into log ${tx({ userName })}`;
 * });
 * await sql.end();
 * ```
 *
 * @module
 */
import postgresjs from "postgres";
import { readFile } from "node:fs/promises";
import { loadConfigFromObject } from "../config/load.ts";
import { validateConfig } from "../config/validate.ts";
import { ConnectionError } from "../errors.ts";
import { openConnection } from "../connect/open.ts";
import type { PGConnection } from "../connect/handle.ts";
import {
  fileQuery,
  type InstanceHooks,
  instanceHooks,
  type QueryHandler,
  type RawQuery,
  redirect,
} from "../connect/_postgresjs/dispatch.ts";
import { isTemplate, taggedQueryClass } from "../connect/_postgresjs/tagged_query.ts";
import {
  checkCompatOptions,
  type CompatPoolOptions,
  type ParsedPostgresOptions,
  planCompat,
} from "./options.ts";

export type { CompatPoolOptions } from "./options.ts";

/** postgres.js's parsed options, as far as the adapter touches them. */
type FrontOptions = ParsedPostgresOptions & {
  pass: unknown;
  parameters: Record<string, string>;
  shared: { typeArrayMap: Record<number, number> };
};

/** A handle that is open, with the executor of its `db.sql`. */
interface Opened {
  handle: PGConnection;
  hooks: InstanceHooks;
}

/** An error as postgres.js makes its own connection errors (`write CODE host:port`). */
function pgjsConnectionError(code: string, o: FrontOptions, cause?: unknown): Error {
  const path = typeof o.path === "string" && o.path !== "" ? o.path : undefined;
  const host = o.host[0];
  const port = o.port[0];
  return Object.assign(
    new Error(`write ${code} ${path ?? `${host}:${port}`}`, cause ? { cause } : undefined),
    { code, errno: code, address: path ?? host },
    path ? {} : { port },
  );
}

/** The error of a failed open, in the form postgres.js users meet it. */
function openError(e: unknown, o: FrontOptions): unknown {
  if (!(e instanceof ConnectionError)) return e;
  // A server error (wrong password, no such database…) is the server's PostgresError.
  if (e.cause instanceof postgresjs.PostgresError) return e.cause;
  // Errors postgres.js makes itself keep its wording; the rest keep ours (one line, host:port).
  if (e.code === "CONNECT_TIMEOUT") return pgjsConnectionError(e.code, o, e);
  return e;
}

/** The password postgres.js would send: `pass` may be a (sync or async) function. */
async function resolvePassword(pass: unknown): Promise<string | undefined> {
  const value = typeof pass === "function" ? await pass() : pass;
  return value === undefined || value === null || value === "" ? undefined : String(value);
}

function compatPostgres(
  a?: string | Record<string, unknown>,
  b?: Record<string, unknown>,
): postgresjs.Sql {
  const given = ((!a || typeof a === "string" ? b : a) ?? {}) as Record<string, unknown>;
  checkCompatOptions(given);
  const { pgmonkey: pool, ...rest } = given;
  // A postgres.js instance that never connects: it parses the options exactly as
  // postgres.js does (URL, environment, defaults) and builds the statements.
  const front = (typeof a === "string" ? postgresjs(a, rest) : postgresjs(rest)) as postgresjs.Sql;
  const o = front.options as unknown as FrontOptions;
  const { Query } = instanceHooks(front);

  let opened: Opened | undefined;
  let opening: Promise<Opened> | undefined;
  let ended = false;
  let ending: Promise<void> | undefined;
  /** Statements waiting for the handle to open. */
  const waiting = new Set<RawQuery>();

  const open = (): Promise<Opened> => {
    if (opened && !opened.handle.closed) return Promise.resolve(opened);
    opening ??= (async () => {
      try {
        const plan = planCompat(o, await resolvePassword(o.pass), pool as CompatPoolOptions);
        const config = validateConfig(loadConfigFromObject(plan.config), {
          connectionType: plan.connectionType,
        });
        const handle = await openConnection(config, plan.connectionType, {
          postgres: plan.postgres,
          connectTimeout: plan.connectTimeout > 0 ? plan.connectTimeout : undefined,
        });
        // The array types the handle fetched, for sql.array() built on the front.
        const fetched = handle.sql.options as unknown as FrontOptions;
        Object.assign(o.shared.typeArrayMap, fetched.shared.typeArrayMap);
        opened = { handle, hooks: instanceHooks(handle.sql) };
        return opened;
      } catch (e) {
        throw openError(e, o);
      } finally {
        opening = undefined;
      }
    })();
    return opening;
  };

  const handler: QueryHandler = (q) => {
    if (ended) return q.reject(pgjsConnectionError("CONNECTION_ENDED", o));
    if (opened && !opened.handle.closed) return opened.hooks.handler(q);
    waiting.add(q);
    open().then((h) => {
      if (!waiting.delete(q)) return;
      h.hooks.handler(q);
    }, (e) => {
      if (waiting.delete(q)) q.reject(e);
    });
  };
  handler.debug = o.debug;
  const cancel = (q: RawQuery): unknown => {
    if (waiting.delete(q)) {
      q.cancelled = true;
      q.reject(
        Object.assign(new Error("57014: canceling statement due to user request"), {
          code: "57014",
        }),
      );
      return Promise.resolve();
    }
    return opened ? opened.hooks.canceller(q) : Promise.resolve();
  };
  const onHandle =
    <A extends unknown[], R>(f: (sql: postgresjs.Sql, ...args: A) => R) =>
    async (...args: A): Promise<Awaited<R>> => {
      if (ended) throw pgjsConnectionError("CONNECTION_ENDED", o);
      return await f((await open()).handle.sql, ...args);
    };

  const unsafe = (...args: Parameters<postgresjs.Sql["unsafe"]>) => {
    const q = front.unsafe(...args) as unknown as RawQuery;
    redirect(q, handler, cancel);
    return q;
  };
  const TaggedQuery = taggedQueryClass(front);
  const sql = function (first: unknown, ...rest: unknown[]) {
    // Made here, not by front(): the query records its caller's line (see tagged_query.ts).
    if (isTemplate(first)) return new TaggedQuery(first, rest, handler, cancel);
    const q = (front as unknown as (...a: unknown[]) => unknown)(first, ...rest);
    if (q instanceof Query) redirect(q as RawQuery, handler, cancel);
    return q;
  } as unknown as postgresjs.Sql;
  const inspect = () =>
    `Sql { pgmonkey ${o.max === 1 ? "normal" : `pool of ${o.max}`} ${String(o.user)}@${
      o.path || `${o.host.join(",")}:${o.port.join(",")}`
    }/${o.database}${ended ? ", ended" : ""} }`;
  Object.assign(sql, {
    types: front.types,
    typed: front.typed,
    array: front.array,
    json: front.json,
    unsafe,
    file: (
      path: string,
      args?: unknown[] | Record<string, unknown>,
      options?: Record<string, unknown>,
    ) => fileQuery(front, (p) => readFile(p, "utf8"), handler, cancel, path, args, options),
    notify: async (channel: string, payload: unknown) =>
      await unsafe("select pg_notify($1, $2)", [channel, "" + payload]),
    begin: onHandle((s, ...args: unknown[]) =>
      (s.begin as (...a: unknown[]) => Promise<unknown>)(...args)
    ),
    reserve: onHandle((s) => s.reserve()),
    listen: onHandle((s, ...args: Parameters<postgresjs.Sql["listen"]>) => s.listen(...args)),
    subscribe: onHandle((s, ...args: unknown[]) =>
      (s.subscribe as (...a: unknown[]) => Promise<unknown>)(...args)
    ),
    largeObject: onHandle((s, ...args: unknown[]) =>
      (s.largeObject as (...a: unknown[]) => Promise<unknown>)(...args)
    ),
    end: ({ timeout = null }: { timeout?: number | null } = {}) =>
      ending ??= (async () => {
        // postgres.js marks itself ended one microtask later: statements made just
        // before end() still run.
        await 1;
        ended = true;
        const h = opened ?? await opening?.catch(() => undefined);
        await h?.handle.close(timeout === null ? Infinity : timeout);
      })(),
    close: async () => {
      const h = opened ?? await opening?.catch(() => undefined);
      if (opened === h) opened = undefined;
      await h?.handle.close(Infinity);
    },
    CLOSE: front.CLOSE,
    END: front.END,
    PostgresError: postgresjs.PostgresError,
    [Symbol.for("Deno.customInspect")]: inspect,
    [Symbol.for("nodejs.util.inspect.custom")]: inspect,
  });
  Object.defineProperties(sql, {
    options: { get: () => hiddenPassword(o), enumerable: false },
    parameters: {
      get: () => opened?.handle.sql.parameters ?? o.parameters,
      enumerable: false,
    },
  });
  return sql;
}

/** A copy of postgres.js's options whose `pass` can be read but is never printed. */
function hiddenPassword(o: FrontOptions): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...o };
  delete copy.pass;
  Object.defineProperty(copy, "pass", { value: o.pass, enumerable: false });
  return copy;
}

/** The type of the postgres.js module (its `postgres` function and helpers). */
export type PostgresModule = typeof import("postgres");

/** postgres.js's custom types of an instance (`types` option). */
export type CustomTypes = Record<string, import("postgres").PostgresType>;

/** postgres.js's options, plus pgmonkey's pool settings under `pgmonkey`. */
export type CompatOptions<T extends CustomTypes> =
  & import("postgres").Options<T>
  & {
    /** Pool settings postgres.js has no option for (see {@link CompatPoolOptions}). */
    pgmonkey?: CompatPoolOptions;
  };

/** The `Sql` postgres.js types for custom types `T` (as postgres.js's own `postgres()`). */
export type SqlFor<T extends CustomTypes> = import("postgres").Sql<
  // deno-lint-ignore ban-types
  CustomTypes extends T ? {}
    : {
      [type in keyof T]: T[type] extends {
        // deno-lint-ignore no-explicit-any
        serialize: (value: infer R) => any;
        // deno-lint-ignore no-explicit-any
        parse: (raw: any) => infer R;
      } ? R
        : never;
    }
>;

/** The type of {@link postgres}: postgres.js's `postgres()` and its helpers. */
export interface CompatPostgres {
  /** A `Sql` for `options` (postgres.js's own defaults and environment variables apply). */
  // deno-lint-ignore ban-types
  <T extends CustomTypes = {}>(options?: CompatOptions<T>): SqlFor<T>;
  /** A `Sql` for a connection URL (`postgres://user:pass@host:port/db?…`) and `options`. */
  // deno-lint-ignore ban-types
  <T extends CustomTypes = {}>(url: string, options?: CompatOptions<T>): SqlFor<T>;
  /** postgres.js's server error class. */
  readonly PostgresError: PostgresModule["PostgresError"];
  /** postgres.js's `toPascal`. */
  readonly toPascal: PostgresModule["toPascal"];
  /** postgres.js's `pascal` transform. */
  readonly pascal: PostgresModule["pascal"];
  /** postgres.js's `toCamel`. */
  readonly toCamel: PostgresModule["toCamel"];
  /** postgres.js's `camel` transform. */
  readonly camel: PostgresModule["camel"];
  /** postgres.js's `toKebab`. */
  readonly toKebab: PostgresModule["toKebab"];
  /** postgres.js's `kebab` transform. */
  readonly kebab: PostgresModule["kebab"];
  /** postgres.js's `fromPascal`. */
  readonly fromPascal: PostgresModule["fromPascal"];
  /** postgres.js's `fromCamel`. */
  readonly fromCamel: PostgresModule["fromCamel"];
  /** postgres.js's `fromKebab`. */
  readonly fromKebab: PostgresModule["fromKebab"];
  /** postgres.js's `BigInt` type (int8 as `bigint`). */
  readonly BigInt: PostgresModule["BigInt"];
}

/**
 * postgres.js's `postgres(url?, options?)` on pgmonkey's connection layer
 * (see the module documentation), with postgres.js's helpers (`camel`,
 * `toCamel`, `PostgresError`, `BigInt`…). Extra option: `pgmonkey:
 * { timeout, min_size, check_on_checkout, max_waiting }` (pool settings).
 *
 * @example
 * ```ts ignore
 * import postgres from "@pgmonkey/pgmonkey/postgres";
 * const sql = postgres({ host: "localhost", database: "app", max: 4 });
 * console.log(await sql`select 1 as x`); // [ { x: 1 } ]
 * await sql.end();
 * ```
 */
const postgres: CompatPostgres = Object.assign(compatPostgres, {
  PostgresError: postgresjs.PostgresError,
  toPascal: postgresjs.toPascal,
  pascal: postgresjs.pascal,
  toCamel: postgresjs.toCamel,
  camel: postgresjs.camel,
  toKebab: postgresjs.toKebab,
  kebab: postgresjs.kebab,
  fromPascal: postgresjs.fromPascal,
  fromCamel: postgresjs.fromCamel,
  fromKebab: postgresjs.fromKebab,
  BigInt: postgresjs.BigInt,
}) as unknown as CompatPostgres;

export default postgres;
export { postgres };
