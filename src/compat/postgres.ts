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
 * `acquire()`; `onclose` is refused (pgmonkey replaces lost connections);
 * a `socket` function opens every connection, as in postgres.js (TLS is
 * still negotiated on it by pgmonkey); a host list is tried in postgres.js's
 * order (first connections go to the first host, a connection that
 * replaces a closed one starts at the next host); `ssl` strings mean the libpq sslmode of that name;
 * statements wait at most `pgmonkey.timeout` seconds (default 30) for a
 * connection of a pool; a function `pass` is called for each new
 * connection, as postgres.js does; `sql.options.pass` is readable but never printed.
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
import { createFacade } from "../connect/sql_facade.ts";
import { checkCompatOptions, type CompatPoolOptions } from "./options.ts";
import { type FrontOptions, LazyHandle, onHandleSql } from "./lazy_handle.ts";
import { reserveError } from "./errors.ts";

export type { CompatPoolOptions } from "./options.ts";

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
  const lazy = new LazyHandle(o, pool as CompatPoolOptions);
  const label = () =>
    `pgmonkey ${o.max === 1 ? "normal" : `pool of ${o.max}`} ${String(o.user)}@${
      o.path || `${o.host.join(",")}:${o.port.join(",")}`
    }/${o.database}${lazy.ended ? ", ended" : ""}`;
  // db.sql's façade, on a handle that opens on first use.
  const sql = createFacade(front, {
    dispatch: (q) => lazy.dispatch(q),
    cancelWaiting: (q) => (lazy.cancel(q), true),
    transaction: (fn, options) => lazy.withHandle((h) => h.transaction(fn, options)),
    reserve: () =>
      lazy.withHandle((h) => h.sql.reserve()).catch((e) => {
        throw reserveError(e);
      }),
    close: (timeout) => lazy.end(timeout),
    parameters: () => lazy.parameters,
    label,
  });
  Object.assign(sql, {
    listen: onHandleSql(
      lazy,
      (s, ...args: Parameters<postgresjs.Sql["listen"]>) => s.listen(...args),
    ),
    subscribe: onHandleSql(
      lazy,
      (s, ...args: unknown[]) => (s.subscribe as (...a: unknown[]) => Promise<unknown>)(...args),
    ),
    // postgres.js's end() without a timeout waits for the work in flight, however long.
    end: ({ timeout = null }: { timeout?: number | null } = {}) => lazy.end(timeout),
    close: () => lazy.close(),
  });
  Object.defineProperty(sql, "options", { get: () => hiddenPassword(o), enumerable: false });
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
