/**
 * The pool under every handle (a dedicated `normal`/`async` handle is a pool
 * of exactly one connection): which connections exist, who holds them, and
 * where each statement of `db.sql` runs.
 *
 * - **Connections.** Each physical connection is a {@link Conn} with its own
 *   postgres.js instance. `min_size` are opened at creation and kept (the
 *   pool reopens them by itself after a restart or a kill, retrying at most a
 *   second apart); more are opened on demand up to `max_size`.
 * - **Borrowing** (`transaction()`, `acquire()`): a clean idle connection is
 *   handed out at once; otherwise the caller waits in one FIFO queue, at most
 *   `timeout` seconds ({@link PoolTimeoutError}), while the pool opens a
 *   connection or reserves a busy one for it.
 * - **Dispatch** (`db.sql`): each statement goes to an idle connection, else
 *   is pipelined on the least busy one (as postgres.js does within one
 *   instance), and the pool grows while every connection is busy. Cursors and
 *   COPY streams get a connection of their own. When no connection can take
 *   it (all lent out, or none open), the statement waits in the queue too.
 * - **Timers** (`max_idle`, `max_lifetime`) only ever close a connection that
 *   is idle, clean and not lent out.
 * - **Closing** stops new work at once and finishes as soon as the work in
 *   flight is done (bounded by the timeout given).
 *
 * @module
 */
import { clearTimeout, setTimeout } from "node:timers";
import { after, type Timer } from "./timers.ts";
import { PoolTimeoutError } from "../errors.ts";
import type { ConnectionType } from "../config/types.ts";
import type { Conn, ConnObserver, ConnSettings } from "./conn.ts";
import { type ConnectPlan, openConn } from "./connector.ts";
import { holdsConnection, type RawQuery } from "./_postgresjs/dispatch.ts";
import { TransportError } from "./transport/errors.ts";
import type { Observer } from "./observe.ts";
import type { PoolStats } from "./handle.ts";

/** What the pool enforces, in seconds (`Infinity`: never). */
export interface PoolLimits {
  /** Connections opened at creation and kept open. */
  minSize: number;
  /** Most connections open at once. */
  maxSize: number;
  /** Seconds a caller may wait for a connection. */
  timeout: number;
  /** Seconds an idle connection above `minSize` stays open. */
  maxIdle: number;
  /** Seconds after which a connection is retired at its next idle moment. */
  maxLifetime: number;
  /** Most callers allowed to wait at once; 0 = unlimited. */
  maxWaiting: number;
}

/** Options of a {@link Pool}. */
export interface PoolOptions extends PoolLimits {
  /** The handle's connection type. */
  type: ConnectionType;
  /** True for `pool`/`async_pool`: several connections, `db.sql` must not leave transactions open. */
  pooled: boolean;
  /** Where and how to connect. */
  connect: ConnectPlan;
  /** What connections share. */
  conn: ConnSettings;
  /** Turns a failure to connect into the error callers see (e.g. a `ConnectionError`). */
  connectError(e: unknown): Error;
  /** Publishes diagnostics (see `observe.ts`). */
  observer?: Observer;
}

/** Counters of a {@link Pool}: a handle's `stats()` without the handle's own fields. */
export type PoolCounters = Omit<PoolStats, "connectionType" | "minSize" | "maxSize">;

type Waiter =
  & { timer?: Timer; since: number }
  & (
    | { kind: "lease"; resolve(conn: Conn): void; reject(e: unknown): void }
    | { kind: "query"; q: RawQuery; exclusive: boolean }
  );

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 1000;

/** Matches `BEGIN`/`START TRANSACTION` at the start of a statement (after blanks). */
const BEGIN_RE = /^\s*(begin|start\s+transaction)\b/i;

/** See the module documentation. */
export class Pool implements ConnObserver {
  readonly #o: PoolOptions;
  readonly #conns: Conn[] = [];
  readonly #waiters: Waiter[] = [];
  #opening = 0;
  #closing: Promise<void> | undefined;
  #onDrained: (() => void) | undefined;
  #rr = 0;
  #retryMs = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #sweepTimer: ReturnType<typeof setTimeout> | undefined;
  #inUse = 0;
  #checkouts = 0;
  #timeouts = 0;
  #replaced = 0;
  #opened = 0;
  #closed = 0;
  #failed = 0;
  #tls: boolean | undefined;
  /** The last error opening a connection (for timeout messages and health). */
  lastError: unknown;
  /** Server parameters of the most recent connection. */
  parameters: Record<string, string> = {};
  /** Called once for each connection the pool opens (observability). */
  onOpen: ((conn: Conn) => void) | undefined;

  /** Creates an empty pool; {@link warmUp} opens the first connections. */
  constructor(options: PoolOptions) {
    this.#o = options;
  }

  /** The options the pool was made with. */
  get options(): Readonly<PoolOptions> {
    return this.#o;
  }

  /** True once `close()` was called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** The open connections (for tests and diagnostics). */
  get connections(): readonly Conn[] {
    return this.#conns;
  }

  /** Opens `min_size` connections (at least one) now; rejects with the first failure. */
  async warmUp(): Promise<void> {
    const n = Math.max(1, Math.min(this.#o.minSize, this.#o.maxSize));
    this.#opening += n;
    const results = await Promise.allSettled(Array.from({ length: n }, () => this.#open()));
    this.#opening -= n;
    const failure = results.find((r) => r.status === "rejected") as
      | PromiseRejectedResult
      | undefined;
    for (const r of results) {
      if (r.status === "fulfilled") {
        if (failure) r.value.retire();
        else this.#adopt(r.value);
      } else this.#failed++;
    }
    if (failure) throw failure.reason;
  }

  // --- db.sql -------------------------------------------------------------------------------

  /** Runs a statement of `db.sql` (called by postgres.js when the query executes). */
  dispatch(q: RawQuery): void {
    if (q.cancelled) return;
    if (this.#closing) return q.reject(closedError(this.#o.type));
    if (q.foreign) return q.reject(q.foreign);
    if (this.#o.pooled && startsTransaction(q)) {
      return q.reject(
        Object.assign(
          new Error(
            "BEGIN through db.sql on a pool would leave a pooled connection in a transaction: " +
              "use db.transaction(fn) or db.sql.begin(fn)",
          ),
          { code: "UNSAFE_TRANSACTION" },
        ),
      );
    }
    if (!this.#o.pooled && this.#conns.some((c) => c.copyInProgress && !c.leased)) {
      // The one connection is in a COPY that only its caller can end: waiting would deadlock
      // a caller that awaits this statement first (postgres.js and psycopg refuse too).
      return q.reject(
        Object.assign(
          new Error(
            `a COPY is in progress on this ${this.#o.type} connection: end the COPY stream ` +
              `before running other statements (or use a pool)`,
          ),
          { code: "COPY_IN_PROGRESS" },
        ),
      );
    }
    if (this.#o.observer?.watchingQueries) this.#o.observer.query(q as never);
    const exclusive = holdsConnection(q);
    const conn = this.#pick(exclusive);
    if (conn) conn.execute(q, exclusive);
    else this.#wait({ kind: "query", q, exclusive, since: performance.now() });
  }

  /** Cancels a statement still waiting for a connection; false if it is not waiting. */
  cancelWaiting(q: RawQuery): boolean {
    const i = this.#waiters.findIndex((w) => w.kind === "query" && w.q === q);
    if (i < 0) return false;
    const [w] = this.#waiters.splice(i, 1);
    w.timer?.cancel();
    q.cancelled = true;
    q.reject(
      Object.assign(new Error("canceling statement due to user request"), { code: "57014" }),
    );
    return true;
  }

  /** A connection for a statement: idle first, else the least busy (not for exclusive ones). */
  #pick(exclusive: boolean): Conn | undefined {
    const conns = this.#conns;
    const n = conns.length;
    let best: Conn | undefined;
    let bestLoad = Infinity;
    const start = n > 1 ? (this.#rr = (this.#rr + 1) % n) : 0;
    for (let k = 0; k < n; k++) {
      const c = conns[(start + k) % n];
      if (c.leased || c.draining || c.retiring || c.exclusive || c.dead) continue;
      const load = c.inflight;
      if (load === 0 && (!exclusive || c.clean)) return c;
      if (load < bestLoad) {
        best = c;
        bestLoad = load;
      }
    }
    if (this.#conns.length + this.#opening < this.#o.maxSize) this.#grow();
    return exclusive ? undefined : best;
  }

  // --- borrowing ----------------------------------------------------------------------------

  /**
   * Lends a connection: at once when one is idle, else waits until
   * `deadline` (a `performance.now()` value) and throws {@link PoolTimeoutError}.
   */
  checkout(deadline: number): Conn | Promise<Conn> {
    if (this.#closing) throw closedError(this.#o.type);
    const idle = this.checkoutNow();
    if (idle) return idle;
    const max = this.#o.maxWaiting;
    if (max > 0 && this.#waiters.length >= max) {
      this.#timeouts++;
      throw new PoolTimeoutError(this.#o.timeout, "", {
        message: `couldn't get a connection from the pool: ${this.#waiters.length} callers are ` +
          `already waiting (max_waiting ${max})`,
      });
    }
    return new Promise<Conn>((resolve, reject) => {
      this.#wait({ kind: "lease", resolve, reject, since: performance.now() }, deadline);
      this.#makeRoom();
    });
  }

  /** Lends a clean idle connection if there is one (no waiting); undefined otherwise. */
  checkoutNow(): Conn | undefined {
    if (this.#closing) return undefined;
    const idle = this.#idleConn();
    return idle ? this.#lend(idle) : undefined;
  }

  /**
   * Takes a lent connection back. A connection that is not clean (work still
   * running, a transaction or COPY left open, LISTEN, or dead) is closed
   * instead of being reused; `discard` forces that.
   */
  release(conn: Conn, discard = false): void {
    if (!conn.leased) return;
    conn.leased = false;
    this.#inUse--;
    if (discard || !conn.clean) {
      if (!conn.dead) {
        this.#replaced++;
        conn.destroy(
          new TransportError("connection discarded by the pool", "CONNECTION_DISCARDED"),
        );
      }
      this.#drainCheck();
      return;
    }
    conn.idleSince = performance.now();
    this.#serve(conn);
    this.#drainCheck();
  }

  /** Counts a connection replaced at checkout (found dead by the checkout check). */
  countReplaced(): void {
    this.#replaced++;
  }

  /** Counts a checkout that ran out of time after the connection was lent. */
  countTimeout(): void {
    this.#timeouts++;
  }

  #idleConn(): Conn | undefined {
    for (const c of this.#conns) {
      if (!c.leased && !c.retiring && !c.draining && c.clean) return c;
    }
    return undefined;
  }

  #lend(conn: Conn): Conn {
    conn.leased = true;
    conn.draining = false;
    this.#inUse++;
    this.#checkouts++;
    return conn;
  }

  /** Opens a connection for the waiters, or reserves a busy one when the pool is full. */
  #makeRoom(): void {
    const leases = this.#waiters.filter((w) => w.kind === "lease").length;
    let missing = leases - this.#opening - this.#conns.filter((c) => c.draining).length;
    while (missing > 0 && this.#conns.length + this.#opening < this.#o.maxSize) {
      this.#grow();
      missing--;
    }
    while (missing > 0) {
      let target: Conn | undefined;
      for (const c of this.#conns) {
        if (c.leased || c.draining || c.retiring || c.dead) continue;
        if (!target || c.load < target.load) target = c;
      }
      if (!target) return;
      target.draining = true;
      missing--;
    }
  }

  // --- waiting ------------------------------------------------------------------------------

  #wait(w: Waiter, deadline = performance.now() + this.#o.timeout * 1000): void {
    this.#waiters.push(w);
    w.timer = after(deadline - performance.now(), () => this.#expire(w));
    if (this.#conns.length === 0 && this.#opening === 0) this.#grow();
  }

  #expire(w: Waiter): void {
    const i = this.#waiters.indexOf(w);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
    this.#timeouts++;
    const last = this.lastError
      ? `last connection error: ${(this.lastError as Error).message ?? this.lastError}`
      : "";
    const error = new PoolTimeoutError(this.#o.timeout, last);
    if (w.kind === "lease") w.reject(error);
    else w.q.reject(error);
    for (const c of this.#conns) if (c.draining && !this.#needsDrain()) c.draining = false;
  }

  #needsDrain(): boolean {
    return this.#waiters.some((w) => w.kind === "lease");
  }

  /** Gives `conn` (now free of dispatched work) to the waiters, in order. */
  #serve(conn: Conn): void {
    while (this.#waiters.length > 0 && !conn.retiring && !conn.dead && !conn.leased) {
      const w = this.#waiters[0];
      if (w.kind === "lease") {
        if (!conn.clean) return;
        this.#waiters.shift();
        w.timer?.cancel();
        w.resolve(this.#lend(conn));
        return;
      }
      if (w.exclusive && conn.load > 0) return;
      this.#waiters.shift();
      w.timer?.cancel();
      if (w.q.cancelled) continue;
      conn.execute(w.q, w.exclusive);
      if (w.exclusive) return;
    }
    if (conn.draining && !this.#needsDrain()) conn.draining = false;
    if (!conn.leased && conn.load === 0) this.#retireIfDue(conn);
  }

  // --- ConnObserver ------------------------------------------------------------------------

  /** @internal */
  onAvailable(conn: Conn): void {
    if (!conn.leased && this.#o.pooled && conn.socket.status !== "I" && !conn.socket.busy) {
      // A transaction opened through db.sql (e.g. a multi-statement string): never reuse it.
      this.#replaced++;
      conn.destroy(
        new TransportError(
          "a transaction was left open on a pooled connection through db.sql; the connection " +
            "was closed (the server rolled the transaction back)",
          "UNSAFE_TRANSACTION",
        ),
      );
      return;
    }
    if (!conn.leased) this.#serve(conn);
    this.#drainCheck();
  }

  /** @internal */
  onClosed(conn: Conn): void {
    const i = this.#conns.indexOf(conn);
    if (i < 0) return;
    this.#conns.splice(i, 1);
    this.#closed++;
    const { rotation, endpoints } = this.#o.connect;
    rotation?.closed(endpoints.indexOf(conn.endpoint));
    this.#o.observer?.pool(() => this.counters());
    if (!this.#closing) this.#replenish();
    this.#drainCheck();
  }

  // --- opening ------------------------------------------------------------------------------

  #adopt(conn: Conn): void {
    conn.bind(this);
    this.#conns.push(conn);
    this.#opened++;
    this.#tls = conn.tls;
    this.parameters = conn.sql.parameters as Record<string, string>;
    this.#retryMs = 0;
    this.lastError = undefined;
    this.onOpen?.(conn);
    this.#o.observer?.pool(() => this.counters());
    this.#armSweep();
    if (conn.dead) return void this.onClosed(conn);
  }

  /** Opens one connection, publishing how it went. */
  async #open(): Promise<Conn> {
    const started = performance.now();
    try {
      const conn = await openConn(this.#o.connect, this.#o.conn);
      this.#o.observer?.connect({
        host: conn.endpoint.host,
        port: conn.endpoint.port,
        tls: conn.tls,
        pid: conn.pid,
        durationMs: performance.now() - started,
      });
      return conn;
    } catch (e) {
      this.#o.observer?.connect({
        host: this.#o.connect.endpoints[0]?.host,
        port: this.#o.connect.endpoints[0]?.port,
        durationMs: performance.now() - started,
      }, e);
      throw e;
    }
  }

  #grow(): void {
    if (this.#closing || this.#conns.length + this.#opening >= this.#o.maxSize) return;
    this.#opening++;
    this.#open().then((conn) => {
      this.#opening--;
      if (this.#closing) return conn.retire();
      this.#adopt(conn);
      if (!conn.dead) this.#serve(conn);
      this.#replenish();
    }, (e) => {
      this.#opening--;
      this.#failed++;
      this.lastError = e;
      if (this.#closing) return;
      if (!this.#o.pooled && this.#conns.length === 0) {
        // A dedicated handle reports the failure to everyone waiting; the next call retries.
        const error = this.#o.connectError(e);
        for (const w of this.#waiters.splice(0)) {
          w.timer?.cancel();
          if (w.kind === "lease") w.reject(error);
          else w.q.reject(error);
        }
        return;
      }
      this.#scheduleRetry();
    });
  }

  /** Keeps `min_size` open and serves waiters after a connection was lost. */
  #replenish(): void {
    if (this.#closing) return;
    const want = Math.max(
      this.#o.pooled ? Math.min(this.#o.minSize, this.#o.maxSize) : 0,
      this.#waiters.length > 0 ? this.#conns.length + 1 : 0,
    );
    if (this.#retryTimer !== undefined) return;
    while (this.#conns.length + this.#opening < Math.min(want, this.#o.maxSize)) {
      const before = this.#opening;
      this.#grow();
      if (this.#opening === before) break;
    }
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined) return;
    this.#retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.#retryMs * 2));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#replenish();
      if (this.#waiters.length > 0 && this.#opening === 0) this.#grow();
    }, this.#retryMs);
    // Waiting callers keep the process alive (their own timers do); upkeep alone does not.
    this.#retryTimer.unref();
  }

  // --- timers -------------------------------------------------------------------------------

  #armSweep(): void {
    const o = this.#o;
    if (this.#sweepTimer !== undefined || this.#closing) return;
    const limit = Math.min(o.maxIdle, o.maxLifetime);
    if (!Number.isFinite(limit)) return;
    const ms = Math.min(30_000, Math.max(50, (limit * 1000) / 4));
    this.#sweepTimer = setTimeout(() => {
      this.#sweepTimer = undefined;
      for (const c of [...this.#conns]) if (!c.leased && c.load === 0) this.#retireIfDue(c);
      if (this.#conns.length > 0) this.#armSweep();
    }, ms);
    this.#sweepTimer.unref();
  }

  /** Retires an idle connection past `max_lifetime`, or past `max_idle` above `min_size`. */
  #retireIfDue(conn: Conn): void {
    const o = this.#o;
    if (conn.leased || conn.draining || conn.retiring || !conn.clean) return;
    const now = performance.now();
    const expired = now - conn.createdAt >= o.maxLifetime * 1000;
    const idleTooLong = now - conn.idleSince >= o.maxIdle * 1000 &&
      this.#conns.filter((c) => !c.retiring).length > o.minSize;
    if (!expired && !idleTooLong) return;
    conn.retire();
    if (expired) this.#replenish();
  }

  // --- closing ------------------------------------------------------------------------------

  /**
   * Refuses new work at once, waits (at most `timeoutSeconds`) until nothing
   * is lent out or in flight, then closes every connection. Never rejects.
   */
  close(timeoutSeconds = 5): Promise<void> {
    this.#closing ??= this.#close(timeoutSeconds);
    return this.#closing;
  }

  async #close(timeoutSeconds: number): Promise<void> {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#sweepTimer);
    for (const w of this.#waiters.splice(0)) {
      w.timer?.cancel();
      const e = closedError(this.#o.type);
      if (w.kind === "lease") w.reject(e);
      else w.q.reject(e);
    }
    // A ref'd timer keeps the process alive until the close is done (idle sockets are unref'd).
    let limit: Timer | undefined;
    const expired = new Promise<boolean>((resolve) => {
      const ms = Number.isFinite(timeoutSeconds) ? Math.max(0, timeoutSeconds * 1000) : 1e15;
      limit = after(ms, () => resolve(true));
    });
    const drained = new Promise<boolean>((resolve) => {
      this.#onDrained = () => resolve(false);
      this.#drainCheck();
    });
    const timedOut = await Promise.race([drained, expired]);
    this.#onDrained = undefined;
    const conns = [...this.#conns];
    const gone = Promise.all(conns.map((c) =>
      new Promise<void>((resolve) => {
        if (c.socket.closed) return resolve();
        c.socket.socket.once("close", () => resolve());
      })
    ));
    for (const c of conns) {
      if (timedOut) {
        c.destroy(
          new TransportError(
            `the ${this.#o.type} connection was closed after waiting ${timeoutSeconds} s for ` +
              `work in flight`,
            "CONNECTION_DESTROYED",
          ),
        );
      } else c.retire();
    }
    limit?.cancel();
    let graceTimer: Timer | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = after(2000, resolve);
    });
    await Promise.race([gone, grace]);
    graceTimer?.cancel();
    for (const c of this.#conns) c.socket.socket.destroy();
  }

  #drainCheck(): void {
    if (!this.#onDrained) return;
    if (this.#inUse > 0) return;
    for (const c of this.#conns) if (c.load > 0 || c.socket.busy) return;
    this.#onDrained();
  }

  // --- stats --------------------------------------------------------------------------------

  /** Current counters. */
  counters(): PoolCounters {
    let idle = 0;
    for (const c of this.#conns) if (!c.leased && c.clean) idle++;
    const out: PoolCounters = {
      size: this.#conns.length,
      idle,
      inUse: this.#inUse,
      waiting: this.#waiters.length,
      opening: this.#opening,
      checkouts: this.#checkouts,
      timeouts: this.#timeouts,
      replaced: this.#replaced,
      opened: this.#opened,
      closed: this.#closed,
      failed: this.#failed,
    };
    if (this.#tls !== undefined) out.tls = this.#tls;
    return out;
  }
}

/** The error for work given to a closed handle. */
export function closedError(type: string): Error {
  return Object.assign(
    new Error(`this ${type} connection was closed; get a new one from the manager`),
    { code: "CONNECTION_ENDED" },
  );
}

function startsTransaction(q: RawQuery): boolean {
  const text = q.strings?.[0];
  if (typeof text !== "string") return false;
  let i = 0;
  while (i < text.length && text.charCodeAt(i) <= 32) i++;
  const c = text.charCodeAt(i) | 0x20;
  return (c === 0x62 || c === 0x73) && BEGIN_RE.test(text); // 'b' | 's'
}
