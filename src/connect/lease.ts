/**
 * One borrowed connection: the `sql` a borrower uses (the connection's own
 * postgres.js instance, so nothing else runs on it meanwhile), and its
 * return to the pool.
 *
 * The `sql` of a lease refuses work once the lease is released (a late
 * statement would otherwise run on a connection lent to someone else, maybe
 * inside their transaction), routes `listen`/`subscribe` to the handle's own
 * listener connection, and keeps `begin`/`reserve` off the borrowed
 * connection (postgres.js's versions of those are not safe when a connection
 * dies mid-way).
 *
 * A COPY stream (`readable()`/`writable()`) left open when the lease ends
 * fails when its connection is discarded; from then on that failure is
 * quiet: listeners the borrower attached still see it, but a stream nobody
 * listens to any more does not crash the process with an uncaught error.
 *
 * @module
 */
import type postgres from "postgres";
import type { Conn } from "./conn.ts";
import type { Pool } from "./pool.ts";
import { redactedOptions } from "./redact_options.ts";
import type { Observer } from "./observe.ts";
import { after, type Timer } from "./timers.ts";

/** The SQL function of a borrowed connection. */
export type ReservedSql = postgres.ReservedSql;

/** What a lease may route to the handle. */
export interface LeaseHost {
  /** The handle's `db.sql` (for `listen`, `subscribe`, `notify`). */
  facade: postgres.Sql;
  /** Publishes the statements run on the lease (when someone listens). */
  observer?: Observer;
  /** Milliseconds a borrow may last before a leak warning (0: off). */
  leakMs?: number;
  /** Where leak warnings go. */
  warn?: (message: string) => void;
}

function releasedError(): Error {
  return Object.assign(
    new Error("this borrowed connection was already released; borrow a new one"),
    { code: "CONNECTION_RELEASED" },
  );
}

/** The part of a COPY stream a lease touches. */
interface CopyStream {
  destroyed?: boolean;
  on(event: "error", listener: () => void): unknown;
  once(event: "close", listener: () => void): unknown;
}

type StreamOpener = (...args: unknown[]) => Promise<CopyStream>;

const ignore = () => {};

/** Properties of a lease's `sql` that differ from its connection's postgres.js instance. */
const OVERRIDDEN = new Set<PropertyKey>([
  "release",
  "end",
  "close",
  "listen",
  "subscribe",
  "begin",
  "reserve",
  "unsafe",
  "file",
]);

/** Matches the word COPY anywhere in a statement's text (case-insensitive). */
const COPY_RE = /copy/i;

/**
 * Whether a statement may become a COPY stream (`readable()`/`writable()`):
 * its text, or that of a fragment in it, mentions COPY, or its text is not
 * known yet (`file()`). Most statements do not, and are left untouched.
 */
function mayStream(q: { strings?: unknown; args?: unknown }, depth = 0): boolean {
  const strings = q.strings;
  if (!Array.isArray(strings) || strings.length === 0 || depth > 8) return true;
  for (const s of strings) if (typeof s !== "string" || COPY_RE.test(s)) return true;
  const args = q.args;
  if (!Array.isArray(args)) return false;
  for (const a of args) {
    if (a !== null && typeof a === "object" && "strings" in a && mayStream(a, depth + 1)) {
      return true;
    }
  }
  return false;
}

/**
 * The Proxy traps of every lease's `sql`, shared; each lease's handler is a
 * small object inheriting them that names its lease (so a borrow allocates
 * no closures).
 */
interface LeaseTraps extends ProxyHandler<ReservedSql> {
  lease: Lease;
}

/** See the module documentation. */
export class Lease {
  /** The borrowed connection. */
  readonly conn: Conn;
  /** SQL bound to this one connection. */
  readonly sql: ReservedSql;
  readonly #pool: Pool;
  readonly #host: LeaseHost;
  readonly #extra: Record<PropertyKey, unknown> | undefined;
  #overrides: Map<PropertyKey, unknown> | undefined;
  #released = false;
  #leak: { timer: Timer; since: number; warned: boolean; warn: (m: string) => void } | undefined;
  #streams: Set<CopyStream> | undefined;

  static readonly #traps: ProxyHandler<ReservedSql> = {
    apply(this: LeaseTraps, fn, thisArg, args) {
      const lease = this.lease;
      if (lease.#released) throw releasedError();
      return lease.#track(
        Reflect.apply(fn as unknown as (...a: unknown[]) => unknown, thisArg, args),
      );
    },
    get(this: LeaseTraps, t, prop) {
      if (prop === "options") return redactedOptions(t.options);
      const lease = this.lease;
      const extra = lease.#extra;
      if (extra !== undefined && Object.hasOwn(extra, prop)) return extra[prop];
      if (!OVERRIDDEN.has(prop)) return Reflect.get(t, prop);
      // Made when first asked for, one property at a time (a transaction asks for `unsafe` only).
      const made = lease.#overrides ??= new Map();
      if (!made.has(prop)) made.set(prop, lease.#override(prop));
      return made.get(prop);
    },
  };

  /** Wraps a connection the pool lent. */
  constructor(pool: Pool, conn: Conn, host: LeaseHost, extra?: Record<PropertyKey, unknown>) {
    this.#pool = pool;
    this.conn = conn;
    this.#host = host;
    this.#extra = extra;
    if (host.leakMs && host.leakMs > 0) this.#watchForLeak(host.leakMs, host.warn ?? console.warn);
    const traps: LeaseTraps = Object.create(Lease.#traps);
    traps.lease = this;
    this.sql = new Proxy(conn.sql as unknown as ReservedSql, traps);
  }

  /** A statement made on this lease: published to the observer, its COPY streams noted. */
  #track<T>(query: T): T {
    const q = query as { resolve?: unknown; strings?: unknown; args?: unknown } | undefined;
    if (!q || typeof q.resolve !== "function") return query; // not a statement
    if (this.#host.observer?.watchingQueries) this.#host.observer.query(q as never);
    if (mayStream(q)) this.#watch(query);
    return query;
  }

  /** The value of an overridden property of `sql` (see `OVERRIDDEN`). */
  #override(prop: PropertyKey): unknown {
    const host = this.#host;
    const target = this.conn.sql as unknown as ReservedSql;
    const guard = <F extends (...a: never[]) => unknown>(f: F) =>
      ((...args: Parameters<F>) => {
        if (this.#released) throw releasedError();
        return this.#track(f(...args));
      }) as F;
    const refuse = (what: string) => () => {
      throw new Error(`${what} is not available on a borrowed connection; use it on db.sql`);
    };
    switch (prop) {
      case "release":
        return this.release;
      case "end":
      case "close":
        return () => Promise.resolve(this.release());
      case "listen":
        return host.facade.listen;
      case "subscribe":
        return host.facade.subscribe;
      case "begin":
        return refuse("begin()");
      case "reserve":
        return refuse("reserve()");
      case "unsafe":
        return guard((...a: Parameters<ReservedSql["unsafe"]>) => target.unsafe(...a));
      default: // "file"
        return guard((...a: Parameters<ReservedSql["file"]>) => target.file(...a));
    }
  }

  /** Notes the COPY streams a query of this lease opens (see the module documentation). */
  #watch<T>(query: T): T {
    const q = query as Partial<Record<"readable" | "writable", StreamOpener>>;
    for (const name of ["readable", "writable"] as const) {
      const open = q?.[name];
      if (typeof open !== "function") continue;
      q[name] = (...args: unknown[]) =>
        open.apply(q, args).then((stream) => {
          if (this.#released) stream.on("error", ignore);
          else if (!stream.destroyed) {
            const streams = this.#streams ??= new Set();
            streams.add(stream);
            stream.once("close", () => streams.delete(stream));
          }
          return stream;
        });
    }
    return query;
  }

  /** The lease ended: streams still open may only fail quietly now. */
  #quietStreams(): void {
    const streams = this.#streams;
    if (streams === undefined) return;
    for (const stream of streams) stream.on("error", ignore);
    streams.clear();
  }

  /** True once released. */
  get released(): boolean {
    return this.#released;
  }

  /** Gives the connection back (closed instead if it is not clean). Idempotent. */
  readonly release = (): void => {
    if (this.#released) return;
    this.#released = true;
    this.#endLeakWatch();
    this.#quietStreams();
    this.#pool.release(this.conn);
  };

  /** Closes the connection instead of giving it back (it cannot be trusted). */
  discard(): void {
    if (this.#released) return;
    this.#released = true;
    this.#endLeakWatch();
    this.#quietStreams();
    this.#pool.release(this.conn, true);
  }

  /** HikariCP's leakDetectionThreshold: one warning with the borrower's stack, one on return. */
  #watchForLeak(ms: number, warn: (m: string) => void): void {
    const stack = (new Error().stack ?? "").split("\n").slice(2).join("\n");
    const since = performance.now();
    const leak = {
      since,
      warned: false,
      warn,
      timer: after(ms, () => {
        leak.warned = true;
        warn(
          `pgmonkey: a connection of ${this.conn.where} has been borrowed for ${
            (ms / 1000).toFixed(1)
          } s and not returned (js_settings.leak_detection_threshold); borrowed at:\n${stack}`,
        );
      }, false),
    };
    this.#leak = leak;
  }

  #endLeakWatch(): void {
    const leak = this.#leak;
    if (!leak) return;
    leak.timer.cancel();
    if (leak.warned) {
      leak.warn(
        `pgmonkey: the connection reported above was returned after ${
          ((performance.now() - leak.since) / 1000).toFixed(1)
        } s`,
      );
    }
  }
}
