/**
 * One physical connection: a postgres.js instance of its own (`max: 1`) on a
 * socket our transport negotiated, and what the pool needs to know about it
 * (lent out or not, work in flight, transaction status, dead or alive).
 *
 * A `Conn` is born logged in (see {@link startConn}) and dies once: when its
 * socket closes it is never reconnected (postgres.js would silently open a
 * new session, outside any transaction the caller believes it is in); the
 * pool opens a new `Conn` instead.
 *
 * @module
 */
import type postgres from "postgres";
import { createInstance } from "./_postgresjs/create.ts";
import { failedSocket } from "./_postgresjs/failed_socket.ts";
import { type InstanceHooks, instanceHooks, type RawQuery } from "./_postgresjs/dispatch.ts";
import type { TypeRegistry } from "./_postgresjs/type_registry.ts";
import { withoutDebug } from "./_postgresjs/quiet_debug.ts";
import { TrackedSocket } from "./transport/tracked_socket.ts";
import {
  type Deadline,
  earlyError,
  type Endpoint,
  type Negotiated,
} from "./transport/negotiate.ts";
import { TransportError } from "./transport/errors.ts";

/** What a handle's connections share. */
export interface ConnSettings {
  /** postgres.js options for a connection to `endpoint` (without `socket`). */
  instanceOptions(endpoint: Endpoint): Record<string, unknown>;
  /** The handle's array types (fetched by its first connection). */
  registry: TypeRegistry;
  /** Options the type registration needs (`types`, `transform`). */
  typeOptions: Record<string, unknown>;
  /** Seconds without traffic after which a busy connection counts as stalled (0: never). */
  stallTimeout: number;
  /** A fresh socket to `endpoint` for a CancelRequest. */
  cancelSocket(endpoint: Endpoint, tls: boolean): Promise<Negotiated>;
  /** User code run once on every new connection before it is used (`onConnect`). */
  onConnect?: (sql: postgres.Sql) => unknown;
}

/** What a `Conn` tells the pool. */
export interface ConnObserver {
  /** Dispatched work finished, or an exclusive query ended: the connection may take more. */
  onAvailable(conn: Conn): void;
  /** The connection closed (for any reason). */
  onClosed(conn: Conn): void;
}

let nextId = 1;

/** See the module documentation. */
export class Conn {
  /** Unique within the process, for logs and tests. */
  readonly id: number = nextId++;
  /** The connection's own postgres.js instance. */
  readonly sql: postgres.Sql;
  /** Where it is connected. */
  readonly endpoint: Endpoint;
  /** `host:port` for messages. */
  readonly where: string;
  /** `performance.now()` at creation. */
  readonly createdAt: number = performance.now();
  readonly #tracked: TrackedSocket;
  readonly #hooks: InstanceHooks;
  #observer: ConnObserver | undefined;
  /** Lent out by `transaction()`/`acquire()`. */
  leased = false;
  /** Reserved for the next borrower: no new dispatched work. */
  draining = false;
  /** Being closed: no new work of any kind. */
  retiring = false;
  /** A dispatched cursor or COPY holds it. */
  exclusive = false;
  /** The stream of a dispatched COPY, from the server's CopyIn/OutResponse until idle again. */
  #copy: { writableEnded?: boolean; destroyed?: boolean } | undefined;
  /** Dispatched queries not settled yet. */
  inflight = 0;
  /** When it last became idle (for `max_idle`). */
  idleSince: number = performance.now();

  /** @internal Use {@link startConn}. */
  constructor(sql: postgres.Sql, tracked: TrackedSocket, endpoint: Endpoint, where: string) {
    this.sql = sql;
    this.#tracked = tracked;
    this.endpoint = endpoint;
    this.where = where;
    this.#hooks = instanceHooks(sql);
    // `console.log`/`Deno.inspect`/`util.inspect` of a proxy show its target (this instance,
    // which a lease's `sql` and the onConnect hook wrap or hand out): a one-line label, not the
    // instance's many properties.
    const o = sql.options as { user?: unknown; database?: unknown };
    const label = () => `ReservedSql { ${o.user}@${where}/${o.database}, pid ${this.pid} }`;
    for (const key of ["Deno.customInspect", "nodejs.util.inspect.custom"]) {
      Object.defineProperty(sql, Symbol.for(key), { value: label, configurable: true });
    }
  }

  /** @internal */
  bind(observer: ConnObserver): void {
    this.#observer = observer;
  }

  /** The socket's state. */
  get socket(): TrackedSocket {
    return this.#tracked;
  }

  /** True once the socket closed or failed, or the server ended the session. */
  get dead(): boolean {
    const t = this.#tracked;
    return t.closed || t.errored || t.fatal !== undefined;
  }

  /** Backend process id. */
  get pid(): number {
    return this.#tracked.pid;
  }

  /** Whether TLS is in use. */
  get tls(): boolean {
    return this.#tracked.tls;
  }

  /** Work on it now: dispatched queries in flight, or an exclusive one. */
  get load(): number {
    return this.inflight + (this.exclusive ? 1 : 0);
  }

  /**
   * True when nothing at all is going on and the session is in a clean
   * state: nothing in flight or outstanding, not in a transaction, not
   * listening, alive.
   */
  get clean(): boolean {
    const t = this.#tracked;
    return this.inflight === 0 && !this.exclusive && !t.busy && t.status === "I" &&
      !t.listening && !this.dead;
  }

  /** Sends a dispatched query on this connection (see `_postgresjs/dispatch.ts`). */
  execute(q: RawQuery, exclusive: boolean): void {
    q.handler = this.#hooks.handler;
    q.canceller = this.#hooks.canceller;
    if (exclusive) {
      this.exclusive = true;
      if (q.streaming) this.#watchCopy(q as RawQuery & Settles);
    } else {
      this.inflight++;
      this.#countSettle(q as RawQuery & Settles);
    }
    this.#hooks.handler(q);
  }

  /**
   * True while a dispatched COPY stream is open on the connection: the
   * server is sending its rows, or waits for the caller's until the caller
   * ends the stream. Nothing else can run on the connection meanwhile.
   */
  get copyInProgress(): boolean {
    const s = this.#copy;
    return s !== undefined && s.destroyed !== true && s.writableEnded !== true;
  }

  #watchCopy(q: RawQuery & Settles): void {
    // A COPY query resolves first with its stream (see #countSettle).
    const resolve = q.resolve;
    let first = true;
    q.resolve = (x: unknown) => {
      if (first && x !== null && typeof x === "object") this.#copy = x;
      first = false;
      return resolve(x);
    };
  }

  #countSettle(q: RawQuery & Settles): void {
    const resolve = q.resolve;
    const reject = q.reject;
    let settled = false;
    let resolves = 0;
    const done = () => {
      if (settled) return;
      settled = true;
      this.inflight--;
      if (this.inflight === 0) {
        this.idleSince = performance.now();
        this.#observer?.onAvailable(this);
      }
    };
    q.resolve = (x: unknown) => {
      // A COPY stream resolves twice: with the stream, then with the result.
      if (!q.streaming || ++resolves === 2) done();
      return resolve(x);
    };
    q.reject = (e: unknown) => {
      done();
      return reject(e);
    };
  }

  /** Called by the transport when nothing is outstanding on the socket. */
  #onSocketIdle(): void {
    if (this.exclusive) {
      this.exclusive = false;
      this.#copy = undefined;
      this.idleSince = performance.now();
      this.#observer?.onAvailable(this);
    }
  }

  /** Keeps the process alive until the returned function is called. */
  hold(): () => void {
    return this.#tracked.hold();
  }

  /** Closes gracefully once what is in flight is done (Terminate, then FIN). */
  retire(): void {
    this.retiring = true;
    void this.sql.end({ timeout: 5 }).catch(() => {});
  }

  /** Fails what is in flight with `error` and closes at once. */
  destroy(error: Error): void {
    this.retiring = true;
    this.#tracked.kill(error);
    void this.sql.end({ timeout: 0 }).catch(() => {});
  }

  /** @internal */
  static create(
    neg: Negotiated,
    endpoint: Endpoint,
    settings: ConnSettings,
  ): Conn {
    let conn: Conn | undefined = undefined;
    const tracked = new TrackedSocket(neg.socket, {
      onIdle: () => conn && conn.#onSocketIdle(),
      onClose: () => conn && conn.#observer?.onClosed(conn),
    }, {
      host: endpoint.host,
      port: endpoint.port,
      tls: neg.tls,
      stallTimeout: settings.stallTimeout,
    });
    let first = true;
    const socket = () => {
      if (first) {
        first = false;
        // A socket that failed before postgres.js asked for it (a TLS 1.3 alert right after
        // the handshake): postgres.js would attach its listeners after the events and wait
        // forever, so it gets a socket that fails in its sight instead.
        if (tracked.closed || tracked.errored) {
          return Promise.resolve(
            failedSocket(earlyError(neg.socket) ?? sessionLost(neg.where), endpoint),
          );
        }
        return Promise.resolve(neg.socket);
      }
      // Later calls: a CancelRequest while the session lives, else postgres.js
      // trying to reconnect a dead session, which we refuse (see the module doc).
      if (!tracked.closed) {
        return settings.cancelSocket(endpoint, neg.tls).then(
          (n) => n.socket,
          (e) => failedSocket(e as Error, endpoint),
        );
      }
      return Promise.resolve(failedSocket(sessionLost(neg.where), endpoint));
    };
    const sql = createInstance({ ...settings.instanceOptions(endpoint), socket });
    conn = new Conn(sql, tracked, endpoint, neg.where);
    return conn;
  }
}

interface Settles {
  resolve(x: unknown): unknown;
  reject(e: unknown): unknown;
}

/** The error for work sent to a connection whose session is gone. */
export function sessionLost(where: string): TransportError {
  return new TransportError(
    `the connection to ${where} was lost; its session (and any transaction in it) is gone`,
    "CONNECTION_LOST",
  );
}

/**
 * Logs in on a negotiated socket: creates the connection's postgres.js
 * instance, runs an empty query (postgres.js connects lazily) within
 * `deadline`, and fetches the handle's array types if nobody has yet.
 * Rejects with the server's error (wrong password…), or the transport's.
 */
export async function startConn(
  neg: Negotiated,
  endpoint: Endpoint,
  deadline: Deadline,
  settings: ConnSettings,
): Promise<Conn> {
  const conn = Conn.create(neg, endpoint, settings);
  // The deadline may pass before postgres.js has attached its listeners to the
  // socket; it would then never learn that the socket is gone, and the login
  // query would wait forever. So the login also ends when the deadline passes.
  const expired = new Promise<never>((_, reject) => deadline.onExpire(reject));
  expired.catch(() => {});
  deadline.onExpire((e) => conn.socket.kill(e));
  try {
    await withoutDebug(conn.sql, async () => {
      const login = conn.sql.unsafe("");
      login.catch(() => {});
      await Promise.race([login, expired]);
      if (!settings.registry.loaded) await settings.registry.load(conn.sql, settings.typeOptions);
    });
    settings.registry.apply(conn.sql);
    if (conn.dead) throw sessionLost(neg.where);
    return conn;
  } catch (e) {
    conn.destroy(e instanceof Error ? e : new Error(String(e)));
    throw deadline.expired ?? e;
  }
}
