/**
 * Workaround file (postgres.js 3.4.9): array types without postgres.js's
 * unguarded type fetch.
 *
 * Upstream behaviour: with `fetch_types: true` (its default) every new
 * connection runs a query on `pg_type` and registers parsers and serializers
 * for array types in `sql.options`. That query runs from a promise nobody
 * awaits: when it fails — a `statement_timeout` shorter than the query, the
 * backend killed or the network lost right after login — the rejection is
 * unhandled and the host process dies. So our connections run with
 * `fetch_types: false`, and we fetch the types ourselves, once per handle,
 * with timeouts lifted (`SET LOCAL`) and every error caught. To register them
 * exactly as postgres.js would, a private "donor" instance connects to an
 * in-memory server that answers its type fetch with the rows we fetched; its
 * resulting `options.parsers`/`serializers`/`shared.typeArrayMap` entries are
 * copied into each connection's options. The canary test
 * `tests/connect/postgresjs_canary.test.ts` checks that postgres.js still
 * registers types this way and still leaves a failed fetch unhandled.
 *
 * @module
 */
import type postgres from "postgres";
import { Duplex } from "node:stream";
import { Buffer } from "node:buffer";
import { FrameScanner, UNTYPED } from "../frames.ts";
import { MSG } from "../protocol.ts";
import { createInstance } from "./create.ts";

/** postgres.js's own type query (src/connection.js, fetchArrayTypes). */
export const TYPE_QUERY = `
      select b.oid, b.typarray
      from pg_catalog.pg_type a
      left join pg_catalog.pg_type b on b.oid = a.typelem
      where a.typcategory = 'A'
      group by b.oid, b.typarray
      order by b.oid
    `;

/** One row of {@link TYPE_QUERY}. */
export interface ArrayTypeRow {
  oid: number | null;
  typarray: number | null;
}

interface TypeMaps {
  parsers: Record<number, unknown>;
  serializers: Record<number, unknown>;
  typeArrayMap: Record<number, number>;
}

/** Options postgres.js keeps per instance, as far as types go. */
interface InstanceOptions {
  parsers: Record<number, unknown>;
  serializers: Record<number, unknown>;
  shared: { typeArrayMap: Record<number, number> };
}

/** The array types of one database, registered the way postgres.js does. */
export class TypeRegistry {
  #maps: TypeMaps | undefined;
  #loading: Promise<void> | undefined;
  readonly #enabled: boolean;

  /** A registry; with `enabled: false` (postgres.js's `fetch_types: false`) it does nothing. */
  constructor(enabled = true) {
    this.#enabled = enabled;
  }

  /** True once the types are known (always, when disabled). */
  get loaded(): boolean {
    return this.#maps !== undefined || !this.#enabled;
  }

  /**
   * Fetches the array types through `sql` (a connection's own instance) and
   * builds the parsers and serializers with `baseOptions` (the user's `types`
   * and `transform`). Errors are returned to the caller, never left unhandled.
   */
  load(sql: postgres.Sql, baseOptions: Record<string, unknown>): Promise<void> {
    if (this.loaded) return Promise.resolve();
    this.#loading ??= (async () => {
      const results = await sql.unsafe(
        `BEGIN; SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; ${TYPE_QUERY}; COMMIT`,
      ) as unknown as ArrayTypeRow[][];
      const rows = results.find((r) => Array.isArray(r) && r.length > 0) ?? [];
      this.#maps = await registerLikePostgresJs(rows, baseOptions);
    })().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /** Copies the registered array types into an instance's options. */
  apply(sql: postgres.Sql): void {
    const maps = this.#maps;
    if (!maps) return;
    const o = sql.options as unknown as InstanceOptions;
    Object.assign(o.parsers, maps.parsers);
    Object.assign(o.serializers, maps.serializers);
    Object.assign(o.shared.typeArrayMap, maps.typeArrayMap);
  }
}

/** Runs postgres.js's own registration against an in-memory server that knows `rows`. */
async function registerLikePostgresJs(
  rows: ArrayTypeRow[],
  baseOptions: Record<string, unknown>,
): Promise<TypeMaps> {
  const donor = createInstance({
    ...baseOptions,
    host: "type-donor",
    port: 5432,
    user: "donor",
    database: "donor",
    pass: "",
    max: 1,
    ssl: false,
    idle_timeout: 0,
    max_lifetime: null,
    connect_timeout: 0,
    keep_alive: null,
    fetch_types: true,
    prepare: true,
    onnotice: () => {},
    connection: {},
    socket: () => new DonorServer(rows),
  });
  try {
    await donor.unsafe("");
  } finally {
    await donor.end({ timeout: 0 });
  }
  const o = donor.options as unknown as InstanceOptions;
  return {
    parsers: { ...o.parsers },
    serializers: { ...o.serializers },
    typeArrayMap: { ...o.shared.typeArrayMap },
  };
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

const READY = message("Z", Buffer.from("I"));

/** The result postgres.js's type query would get from a server. */
function typeResult(rows: ArrayTypeRow[]): Buffer {
  const field = (name: string) =>
    Buffer.concat([
      Buffer.from(name + "\0"),
      int32(0),
      int16(0),
      int32(26),
      int16(4),
      int32(-1),
      int16(0),
    ]);
  const cell = (v: number | null) =>
    v === null
      ? int32(0xffffffff)
      : Buffer.concat([int32(String(v).length), Buffer.from(String(v))]);
  return Buffer.concat([
    message("1", Buffer.alloc(0)), // ParseComplete
    message("t", int16(0)), // ParameterDescription
    message("T", Buffer.concat([int16(2), field("oid"), field("typarray")])),
    message("2", Buffer.alloc(0)), // BindComplete
    ...rows.map((r) => message("D", Buffer.concat([int16(2), cell(r.oid), cell(r.typarray)]))),
    message("C", Buffer.from(`SELECT ${rows.length}\0`)),
    READY,
  ]);
}

/** An in-memory server that logs postgres.js in and answers its type query. */
class DonorServer extends Duplex {
  readonly #scanner: FrameScanner;
  readonly #rows: ArrayTypeRow[];

  constructor(rows: ArrayTypeRow[]) {
    super({ emitClose: true });
    this.#rows = rows;
    this.#scanner = new FrameScanner({
      frame: (type) => {
        if (type === UNTYPED) {
          this.#answer(
            Buffer.concat([
              message("R", int32(0)),
              message("K", Buffer.concat([int32(1), int32(1)])),
              READY,
            ]),
          );
        } else if (type === MSG.S) {
          this.#answer(typeResult(this.#rows));
        } else if (type === MSG.Q) {
          this.#answer(Buffer.concat([message("I", Buffer.alloc(0)), READY]));
        } else if (type === MSG.X) {
          queueMicrotask(() => this.destroy());
        }
        return 0;
      },
    }, true);
  }

  #answer(bytes: Buffer): void {
    queueMicrotask(() => this.push(bytes));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: string, callback: (e?: Error | null) => void): void {
    this.#scanner.feed(chunk);
    callback();
  }
}
