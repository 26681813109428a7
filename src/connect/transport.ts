/**
 * The transport under postgres.js: a socket factory for its `socket` option
 * that owns TLS (libpq's sslmode semantics, see `./tls.ts`) and the lifetime
 * of every connection.
 *
 * What it does that postgres.js does not:
 *
 * - **Process exit.** It watches the plaintext protocol (without copying
 *   buffers: only frame state is kept across chunks) and counts requests:
 *   the StartupMessage/CancelRequest, every Sync and every Query count one;
 *   every ReadyForQuery completes one. A socket is `ref()`ed while anything
 *   is outstanding (or an extended-protocol exchange awaits its Sync) and
 *   `unref()`ed when idle, so a script exits by itself right after its last
 *   query, without `sql.end()`. A connection that has run `LISTEN` stays
 *   referenced until it has `UNLISTEN`ed every channel or closes.
 * - **Idle timeout and maximum lifetime** with unref'd timers (postgres.js's
 *   own are ref'd and keep a process alive, so pass it `idle_timeout: null`
 *   and `max_lifetime: null`). An idle connection is closed gracefully
 *   (Terminate, then FIN) after `idleTimeout` seconds unless that would leave
 *   fewer than `keepOpen()` connections; one older than `maxLifetime` is
 *   never cut in the middle of work: it is retired once it has been idle for
 *   a second (or at its next idle moment, once a minute overdue; both capped
 *   at `maxLifetime`). postgres.js learns of the close at once and reopens
 *   lazily on the next query.
 * - **Robustness against two postgres.js 3.4.9 quirks**: a `socket` function
 *   that throws leaks the connection slot (queries then wait forever), so a
 *   failed attempt returns a socket that reports the error and closes; and a
 *   socket that closes while postgres.js is sending a query wedges the slot
 *   (see `TrackedSocket` in the source), which is detected and healed.
 * - **Clear connection errors**, one line each, never containing a password:
 *   `could not connect to HOST:PORT: connection refused`,
 *   `server certificate for "HOST" does not match host name: …`.
 *
 * Use it with postgres.js options `ssl: false`, `idle_timeout: null`,
 * `max_lifetime: null` (and `keep_alive: null` or the same value as
 * `keepAlive`).
 *
 * @example
 * ```ts ignore
 * import postgres from "postgres";
 * import { planTls } from "./tls.ts";
 * import { createTransport } from "./transport.ts";
 *
 * const settings = { host: "localhost", port: 5432, user: "app", dbname: "app", sslmode: "prefer" as const };
 * const transport = createTransport({
 *   host: "localhost", port: 5432, user: "app", database: "app",
 *   tls: await planTls(settings), idleTimeout: 600, maxLifetime: 3600,
 * });
 * const options = { host: "localhost", port: 5432, user: "app", database: "app", ssl: false,
 *   idle_timeout: null, max_lifetime: null, socket: transport.socket };
 * // postgres.js's types lack `socket` and a null `idle_timeout`: hence the cast.
 * const sql = postgres(options as unknown as postgres.Options<Record<string, postgres.PostgresType>>);
 * await sql`SELECT 1`; // the script may simply end here
 * ```
 *
 * @module
 */
import net from "node:net";
import postgres from "postgres";
import tls from "node:tls";
import { Duplex } from "node:stream";
import { clearTimeout, setImmediate, setTimeout } from "node:timers";
import { Buffer } from "node:buffer";
import { FrameScanner, type FrameVisitor, parseListen, PEEK_LIMIT, UNTYPED } from "./frames.ts";
import { tlsConnectOptions, type TlsPlan } from "./tls.ts";

/** Options of {@link createTransport}. */
export interface TransportOptions {
  /** Host name, IP address, or a Unix socket directory (starts with `/`). */
  host: string;
  /** TCP port (also names the Unix socket file `.s.PGSQL.PORT`). */
  port: number;
  /** What {@link planTls} decided. */
  tls: TlsPlan;
  /** Seconds allowed for TCP connect + SSLRequest + TLS handshake (default: none). */
  connectTimeout?: number | null;
  /** Seconds of idleness before the first TCP keepalive probe; `null` turns keepalives off. */
  keepAlive?: number | null;
  /** Seconds a connection may stay idle before it is closed (`null`: never). */
  idleTimeout?: number | null;
  /** Seconds after which a connection is retired at its next idle moment (`null`: never). */
  maxLifetime?: number | null;
  /** How many connections the idle timer must leave open (a pool's `min_size`). */
  keepOpen?: () => number;
  /** Role name, for the plaintext probe of `sslmode: allow`. */
  user: string;
  /** Database name, for the plaintext probe of `sslmode: allow` (default: `user`). */
  database?: string;
}

/** Counters of a {@link Transport}. */
export interface TransportStats {
  /** Sockets open now (handed to postgres.js and not closed). */
  open: number;
  /** Of the open sockets, those with nothing outstanding. */
  idle: number;
  /** Sockets handed to postgres.js so far. */
  opened: number;
  /** Handed-over sockets that have closed since (for any reason). */
  closed: number;
  /**
   * Connection attempts that gave no working session: failures before the
   * hand-over (DNS, refused, TLS, timeout), and handed-over sockets that
   * closed before the server's first ReadyForQuery (e.g. login refused).
   * Sockets closed to heal a wedged postgres.js slot are not counted.
   */
  failed: number;
  /** Whether the most recent connection uses TLS (undefined before the first). */
  tls: boolean | undefined;
  /** TLS protocol of the most recent TLS connection, e.g. `TLSv1.3`. */
  tlsProtocol?: string;
}

/**
 * A socket factory for postgres.js plus control over the sockets it made.
 * Make one with {@link createTransport}.
 */
export interface Transport {
  /**
   * postgres.js's `socket` option: resolves to a connected socket on which
   * postgres.js starts the protocol. Never rejects: a failed attempt yields a
   * socket that reports the error and closes, because postgres.js 3.4.9 leaks
   * the connection slot (and later queries hang) when this function throws.
   */
  readonly socket: (pgOptions?: unknown) => Promise<Duplex>;
  /** Current counters. */
  stats(): TransportStats;
  /**
   * True while a socket whose server process has this pid is open and has
   * not received a FATAL error (the server ending the session). Lets the
   * pool tell a really dead connection from a stale error postgres.js
   * reports on a live one.
   */
  isBackendOpen(pid: number): boolean;
  /** Resolves once no open socket belongs to the server process `pid`. */
  whenBackendClosed(pid: number): Promise<void>;
  /** Destroys the socket of server process `pid` (a wedged connection), if open. */
  destroyBackend(pid: number): void;
  /** Gracefully closes every idle socket now (for draining a pool); returns how many. */
  closeIdle(): number;
  /** Destroys every socket and refuses new ones. */
  destroy(): void;
}

/**
 * A connection could not be established: network, TLS or timeout. `code` is
 * the system error code where there is one (`ECONNREFUSED`, `ENOTFOUND`,
 * …), `CONNECT_TIMEOUT`, `SSL_NOT_SUPPORTED`, `TRANSPORT_DESTROYED`, or the
 * TLS error code (`ERR_TLS_CERT_ALTNAME_INVALID`, `SELF_SIGNED_CERT_IN_CHAIN`, …).
 *
 * @example
 * ```ts
 * import { TransportError } from "./transport.ts";
 * const e = new TransportError("could not connect to db:5432: connection refused", "ECONNREFUSED");
 * console.log(e.code); // ECONNREFUSED
 * ```
 */
export class TransportError extends Error {
  /** Machine-readable reason. */
  readonly code: string;
  /** Creates the error; `message` must be one line and free of secrets. */
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransportError";
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Protocol constants.

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);
const CANCEL_REQUEST_CODE = 80877102;
const CHAR_S = 0x53; // Sync (client) / 'S' answer to SSLRequest
const CHAR_N = 0x4e;
const CHAR_Q = 0x51;
const CHAR_P = 0x50;
const CHAR_Z = 0x5a;
const CHAR_K = 0x4b;

/** Field codes of an ErrorResponse, named as postgres.js names them. */
const ERROR_FIELDS: Record<number, string> = {
  0x53: "severity_local", // S
  0x56: "severity", // V
  0x43: "code", // C
  0x4d: "message", // M
  0x44: "detail", // D
  0x48: "hint", // H
  0x50: "position", // P
  0x57: "where", // W
  0x46: "file", // F
  0x4c: "line", // L
  0x52: "routine", // R
};

/** Parses the fields of an ErrorResponse body (`bytes[start..end)`). */
function parseErrorFields(bytes: Uint8Array, start: number, end: number): Record<string, string> {
  const out: Record<string, string> = {};
  const decoder = new TextDecoder();
  let i = start;
  while (i < end && bytes[i] !== 0) {
    const code = bytes[i];
    const nul = bytes.indexOf(0, i + 1);
    if (nul < 0 || nul >= end) break;
    const name = ERROR_FIELDS[code];
    if (name) out[name] = decoder.decode(bytes.subarray(i + 1, nul));
    i = nul + 1;
  }
  return out;
}

function readInt32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
const CHAR_F = 0x46;
const CHAR_R = 0x52;
const CHAR_E = 0x45;
/** Client messages that start or continue an extended-protocol exchange (awaiting a Sync). */
const EXTENDED = new Uint8Array(256);
for (const c of "PBDEHC") EXTENDED[c.charCodeAt(0)] = 1;

const CHAIN_ERRORS = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_REVOKED",
  "INVALID_CA",
  "INVALID_PURPOSE",
]);

const NET_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_NONAME: "host not found",
  EAI_AGAIN: "temporary failure in name resolution",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network is unreachable",
  ETIMEDOUT: "timed out",
  ECONNRESET: "connection reset by server",
  EPIPE: "connection closed by server",
  EACCES: "permission denied",
  ENOENT: "no such socket file (is the server running and listening there?)",
};

const noop = (): void => {};

/** An expired connection is retired after this much idleness… */
const LIFETIME_QUIET_MS = 1000;
/** …or at its next idle moment once this long overdue (both capped at maxLifetime). */
const LIFETIME_GRACE_MS = 60_000;

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0].trim();
}

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Calls `fn` once postgres.js has attached its `data` listener to `socket`
 * and flushed the StartupMessage it writes right after (its writes go out
 * from a `setImmediate`; ours is queued behind it).
 */
function afterStartupFlush(socket: Duplex, fn: () => void): void {
  const onNewListener = (event: string | symbol) => {
    if (event !== "data") return;
    socket.removeListener("newListener", onNewListener);
    queueMicrotask(() => setImmediate(fn));
  };
  socket.on("newListener", onNewListener);
}

/**
 * A socket that reports `error` and closes, so postgres.js rejects the
 * waiting query and puts the connection slot back (with its backoff) instead
 * of leaking it. It closes only after postgres.js has flushed its
 * StartupMessage into it: closing while postgres.js holds unflushed bytes
 * wedges the slot (see {@link TrackedSocket}).
 */
function failedSocket(error: Error): Duplex {
  const s = new Duplex({
    read: noop,
    write: (_chunk, _encoding, callback) => callback(),
  });
  let done = false;
  const fail = () => {
    if (done) return;
    done = true;
    clearTimeout(fallback);
    s.emit("error", error);
    s.emit("close", true);
    s.destroy();
  };
  const fallback = setTimeout(fail, 2000); // in case postgres.js never starts the protocol
  afterStartupFlush(s, fail);
  return s;
}

/** A connection attempt: its deadline and the sockets to destroy when it expires. */
class Attempt {
  readonly sockets: net.Socket[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reject: ((e: Error) => void) | undefined;
  #expired: Error | undefined;
  readonly expired: Promise<never>;

  constructor(seconds: number | null | undefined, where: string) {
    this.expired = new Promise<never>((_, reject) => {
      this.#reject = reject;
    });
    this.expired.catch(noop);
    if (seconds && seconds > 0) {
      this.#timer = setTimeout(() => {
        this.#expired = new TransportError(
          `connection to ${where} timed out after ${seconds} s`,
          "CONNECT_TIMEOUT",
        );
        for (const s of this.sockets) s.destroy();
        this.#reject!(this.#expired);
      }, seconds * 1000);
    }
  }

  track<T extends net.Socket>(s: T): T {
    this.sockets.push(s);
    return s;
  }

  /** The timeout error, if the deadline passed (other errors are its consequence). */
  get timeoutError(): Error | undefined {
    return this.#expired;
  }

  abort(e: Error): void {
    this.#expired ??= e;
    for (const s of this.sockets) s.destroy();
    this.#reject?.(e);
  }

  done(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}

/** An established connection, before it is handed to postgres.js. */
interface Established {
  socket: net.Socket;
  tls: boolean;
}

// ---------------------------------------------------------------------------------------------

/**
 * Per-socket state: request accounting, ref/unref, idle and lifetime timers.
 *
 * A postgres.js 3.4.9 quirk shapes this class: a connection buffers the
 * bytes of a query and writes them from `setImmediate`; if its socket closes
 * in between, `closed()` cancels the write but keeps the stale buffer, and
 * the next socket of that connection slot never receives its StartupMessage
 * (it is appended to the stale buffer, which is flushed only at 1024 bytes):
 * the slot hangs. This happens whenever a server closes a connection just as
 * a query is given to it, with or without this transport. So:
 *
 * - retirements happen only after the connection has been idle for a while
 *   (never right after use), which makes the race with a new query rare;
 * - a fresh socket that has not received its StartupMessage once postgres.js
 *   has flushed is destroyed at once, so postgres.js reconnects; each round
 *   grows the stale buffer, until postgres.js flushes it and the first write
 *   is cleaned: stale messages and duplicate StartupMessages are dropped and
 *   only the last StartupMessage goes to the server.
 */
class TrackedSocket implements FrameVisitor {
  readonly socket: net.Socket;
  readonly #owner: TransportImpl;
  readonly #origWrite: net.Socket["write"];
  readonly #out: FrameScanner;
  readonly #in: FrameScanner;
  #pending = 0;
  #unsynced = false;
  #channels: Set<string> | null = null;
  #busy = true; // a new socket is ref'd
  #ready = false;
  #wedged = false;
  #cancel = false;
  #closed = false;
  #retired = false;
  #retireScheduled = false;
  #writes = 0;
  /** When the current idle period began. */
  #idleSince = 0;
  /** Start of the idle-timeout clock (restarted when `keepOpen` forbids closing). */
  #idleClock = 0;
  /** When maxLifetime passed (0 = not yet). */
  #expiredAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDue = Infinity;
  #lifeTimer: ReturnType<typeof setTimeout> | undefined;

  /** Backend process id, from the server's BackendKeyData (0 until then). */
  pid = 0;
  /** The server sent a FATAL error: this session is ending, the socket closes next. */
  doomed = false;

  constructor(owner: TransportImpl, socket: net.Socket) {
    this.#owner = owner;
    this.socket = socket;
    this.#out = new FrameScanner(this, true);
    let zs = 0;
    this.#in = new FrameScanner({
      frame: (type: number, bodyLength: number, chunk: Uint8Array, bodyStart: number): number => {
        if (type === CHAR_Z) zs++;
        else if (type === CHAR_E && (this.#ready || zs > 0) && bodyStart >= 5) {
          this.#noteFatal(chunk, bodyStart - 5, bodyStart + bodyLength);
        } else if (type === CHAR_K && bodyLength >= 4) {
          if (chunk.length - bodyStart < 4) return 4;
          this.pid = readInt32(chunk, bodyStart);
        }
        return 0;
      },
      body: (type: number, bytes: Uint8Array): void => {
        if (type === CHAR_K) this.pid = readInt32(bytes, 0);
      },
    });
    // Outgoing: wrap `write` on the instance (postgres.js writes whole messages through it).
    const origWrite = socket.write;
    this.#origWrite = origWrite;
    socket.write = ((chunk: unknown, a?: unknown, b?: unknown): boolean => {
      if (this.#writes === 0) {
        const clean = this.#firstWrite(chunk);
        if (clean === null) {
          socket.destroy();
          return false;
        }
        chunk = clean;
      }
      if (!this.#retired) this.#onWrite(chunk);
      // deno-lint-ignore no-explicit-any
      return (origWrite as any).call(socket, chunk, a, b);
    }) as net.Socket["write"];
    // Incoming: count ReadyForQuery.
    socket.on("data", (chunk: Uint8Array) => {
      zs = 0;
      this.#in.feed(chunk);
      if (zs > 0) {
        this.#ready = true;
        this.#pending = this.#pending > zs ? this.#pending - zs : 0;
        this.#update();
      }
    });
    socket.on("error", noop); // postgres.js reports errors; this keeps our bookkeeping alive
    this.#filterDataListeners(socket);
    socket.on("close", () => this.#onClose());
    afterStartupFlush(socket, () => {
      if (this.#writes > 0 || this.#closed) return;
      this.#wedged = true; // see the class doc: not a failure of the server or network
      socket.destroy();
    });
    const life = owner.maxLifetime;
    if (life) {
      this.#lifeTimer = setTimeout(() => {
        this.#lifeTimer = undefined;
        this.#expiredAt = performance.now();
        if (!this.#busy) this.#schedule(true);
      }, life * 1000);
      this.#lifeTimer.unref();
    }
  }

  /** FATAL ErrorResponses found in the chunk being delivered: cut out, re-sent as 'error'. */
  #fatal: { chunk: Uint8Array; ranges: [number, number][]; errors: Error[] } | null = null;

  /**
   * A FATAL ErrorResponse after start-up means the server is ending the
   * session (pg_terminate_backend, shutdown, idle timeouts). postgres.js
   * 3.4.9 keeps such an error when the socket closes before ReadyForQuery and
   * later fails the *next* connection's start-up with it, which strands a
   * pending reservation and leaks the slot. So the frame is cut out of what
   * postgres.js reads, and the same error is given to it as a socket
   * 'error' instead: in-flight queries fail with it, and nothing stale stays.
   */
  #noteFatal(chunk: Uint8Array, start: number, end: number): void {
    if (end > chunk.length) return; // split across chunks: leave it to postgres.js
    const fields = parseErrorFields(chunk, start + 5, end);
    if (fields.severity !== "FATAL" && fields.severity_local !== "FATAL") return;
    this.doomed = true;
    const error = new postgres.PostgresError(fields as unknown as string);
    if (this.#fatal?.chunk === chunk) {
      this.#fatal.ranges.push([start, end]);
      this.#fatal.errors.push(error);
    } else this.#fatal = { chunk, ranges: [[start, end]], errors: [error] };
  }

  /** Wraps 'data' listeners added from now on (postgres.js's) with the FATAL filter. */
  #filterDataListeners(socket: net.Socket): void {
    const wrapped = new WeakMap<(...a: unknown[]) => unknown, (chunk: Uint8Array) => void>();
    const wrap = (listener: (...a: unknown[]) => unknown) => {
      let w = wrapped.get(listener);
      if (!w) {
        w = (chunk: Uint8Array) => {
          const cut = this.#fatal;
          if (cut === null || cut.chunk !== chunk) return void listener(chunk);
          this.#fatal = null;
          const parts: Uint8Array[] = [];
          let at = 0;
          for (const [a, b] of cut.ranges) {
            if (a > at) parts.push(chunk.subarray(at, a));
            at = b;
          }
          if (at < chunk.length) parts.push(chunk.subarray(at));
          if (parts.length) listener(Buffer.concat(parts));
          for (const e of cut.errors) socket.emit("error", e);
        };
        wrapped.set(listener, w);
      }
      return w;
    };
    // deno-lint-ignore no-explicit-any
    const s = socket as any;
    for (const name of ["on", "addListener"]) {
      const orig = s[name];
      s[name] = function (event: string, listener: (...a: unknown[]) => unknown) {
        return orig.call(this, event, event === "data" ? wrap(listener) : listener);
      };
    }
    for (const name of ["off", "removeListener"]) {
      const orig = s[name];
      s[name] = function (event: string, listener: (...a: unknown[]) => unknown) {
        return orig.call(
          this,
          event,
          event === "data" ? wrapped.get(listener) ?? listener : listener,
        );
      };
    }
  }

  get busy(): boolean {
    return this.#busy;
  }

  get listening(): boolean {
    return this.#channels !== null && this.#channels.size > 0;
  }

  get retired(): boolean {
    return this.#retired;
  }

  // --- FrameVisitor (outgoing messages) ---

  frame(type: number, bodyLength: number, chunk: Uint8Array, bodyStart: number): number {
    if (type === CHAR_S) {
      this.#pending++;
      this.#unsynced = false;
    } else if (type === CHAR_Q) {
      this.#pending++;
      return this.#peek(type, bodyLength, chunk, bodyStart);
    } else if (EXTENDED[type] === 1) {
      this.#unsynced = true;
      if (type === CHAR_P) return this.#peek(type, bodyLength, chunk, bodyStart);
    } else if (type === UNTYPED) {
      this.#pending++;
      // A CancelRequest connection closes without a session: that is not a failure.
      if (bodyLength === 12 && chunk.length - bodyStart >= 4) {
        this.#cancel = ((chunk[bodyStart] << 24) | (chunk[bodyStart + 1] << 16) |
          (chunk[bodyStart + 2] << 8) | chunk[bodyStart + 3]) === CANCEL_REQUEST_CODE;
      }
    } else if (type === CHAR_F) {
      this.#pending++;
    }
    return 0;
  }

  body(type: number, bytes: Uint8Array): void {
    this.#inspect(type, bytes, 0, bytes.length);
  }

  #peek(type: number, bodyLength: number, chunk: Uint8Array, bodyStart: number): number {
    const want = bodyLength < PEEK_LIMIT ? bodyLength : PEEK_LIMIT;
    if (chunk.length - bodyStart < want) return want;
    this.#inspect(type, chunk, bodyStart, bodyStart + want);
    return 0;
  }

  /** Looks for LISTEN/UNLISTEN at the start of a Query or Parse message's text. */
  #inspect(type: number, bytes: Uint8Array, start: number, end: number): void {
    if (type === CHAR_P) {
      const nul = bytes.indexOf(0, start); // skip the statement name
      if (nul < 0 || nul >= end) return;
      start = nul + 1;
    }
    const cmd = parseListen(bytes, start, end);
    if (cmd === null) return;
    if (!cmd.unlisten) (this.#channels ??= new Set()).add(cmd.channel);
    else if (cmd.channel === "*") this.#channels?.clear();
    else this.#channels?.delete(cmd.channel);
  }

  /**
   * The first write must be exactly one untyped message (StartupMessage or
   * CancelRequest). Anything else is a wedged slot's stale buffer: keep only
   * the last untyped message. `null` if nothing usable is in it.
   */
  #firstWrite(chunk: unknown): unknown {
    if (!(chunk instanceof Uint8Array) || chunk.length < 8) return chunk;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (view.getUint32(0) === chunk.length) return chunk; // the normal case
    let i = 0;
    while (i + 5 <= chunk.length && chunk[i] >= 0x41) i += 1 + view.getUint32(i + 1); // stale typed messages
    let last = -1;
    let lastEnd = -1;
    while (i + 8 <= chunk.length) {
      const length = view.getUint32(i);
      if (length < 8 || i + length > chunk.length) break;
      last = i;
      lastEnd = i + length;
      i += length;
    }
    return last < 0 ? null : chunk.subarray(last, lastEnd);
  }

  // --- state changes ---

  #onWrite(chunk: unknown): void {
    this.#writes++;
    if (chunk instanceof Uint8Array) this.#out.feed(chunk);
    else if (typeof chunk === "string") this.#out.feed(Buffer.from(chunk));
    this.#update();
  }

  #update(): void {
    const busy = this.#pending > 0 || this.#unsynced || this.listening;
    if (busy === this.#busy) return;
    this.#busy = busy;
    if (busy) {
      this.socket.ref();
      return;
    }
    this.socket.unref();
    this.#idleSince = this.#idleClock = performance.now();
    if (this.#expiredAt > 0 && this.#idleSince - this.#expiredAt >= this.#owner.lifetimeGraceMs) {
      this.#retireSoon(false); // long overdue: retire at this idle moment
    } else this.#schedule(false);
  }

  /**
   * Arms the one timer for what is due while idle: the idle timeout, and for
   * an expired connection the quiet period after which it is retired. The
   * timer is lazy: it is not cleared when the socket gets busy, it re-checks
   * when it fires.
   */
  #schedule(reschedule: boolean): void {
    if (this.#retired || this.#closed) return;
    const owner = this.#owner;
    let due = Infinity;
    if (owner.idleTimeout) due = this.#idleClock + owner.idleTimeout * 1000;
    if (this.#expiredAt > 0) due = Math.min(due, this.#idleSince + owner.lifetimeQuietMs);
    if (due === Infinity) return;
    if (this.#timer !== undefined) {
      if (!reschedule || this.#timerDue <= due) return;
      clearTimeout(this.#timer);
    }
    this.#timerDue = due;
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, due - performance.now()));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#busy || this.#retired || this.#closed) return; // re-armed at the next idle moment
    const now = performance.now();
    const owner = this.#owner;
    if (this.#expiredAt > 0 && now - this.#idleSince >= owner.lifetimeQuietMs - 1) {
      return this.#retireSoon(false);
    }
    if (owner.idleTimeout && now - this.#idleClock >= owner.idleTimeout * 1000 - 1) {
      if (owner.mayCloseIdle(this)) return this.#retireSoon(true);
      this.#idleClock = now; // keepOpen: look again after another idleTimeout
    }
    this.#schedule(false);
  }

  /**
   * Retires the socket if it is still idle two event-loop turns from now: a
   * query postgres.js has just given this connection (its bytes go out from
   * `setImmediate`) shows up by then and cancels the retirement.
   */
  #retireSoon(idle: boolean): void {
    if (this.#retireScheduled || this.#retired) return;
    this.#retireScheduled = true;
    const writes = this.#writes;
    setImmediate(() =>
      setImmediate(() => {
        this.#retireScheduled = false;
        if (this.#retired || this.#closed || this.#busy || this.#writes !== writes) return;
        if (idle && !this.#owner.mayCloseIdle(this)) {
          this.#idleClock = performance.now();
          return this.#schedule(false);
        }
        this.retire();
      })
    );
  }

  /**
   * Closes now, gracefully (Terminate, then FIN) or not (destroy), with a
   * synthetic `close` so that postgres.js marks the connection closed at once
   * (it reopens lazily, and fails what was in flight) and never sends a query
   * to a socket that is going away.
   */
  retire(graceful = true): void {
    if (this.#retired || this.#closed) return;
    this.#retired = true;
    this.#clearTimers();
    const s = this.socket;
    if (graceful) {
      try {
        this.#origWrite.call(s, TERMINATE);
        s.end();
      } catch {
        // already broken: destroyed below
      }
    }
    s.unref();
    s.emit("close", false); // postgres.js's `closed()` removes every listener, ours included
    s.on("error", noop);
    if (!graceful) {
      s.destroy();
      return;
    }
    s.once("end", () => s.destroy());
    const timer = setTimeout(() => s.destroy(), 5000);
    timer.unref();
    s.once("close", () => clearTimeout(timer));
  }

  #clearTimers(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#lifeTimer !== undefined) clearTimeout(this.#lifeTimer);
    this.#timer = this.#lifeTimer = undefined;
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimers();
    this.#owner.onClose(this, !this.#ready && !this.#wedged && !this.#cancel);
  }
}

/** The {@link Transport} implementation. */
class TransportImpl implements Transport {
  readonly #host: string;
  readonly #port: number;
  readonly #plan: TlsPlan;
  readonly #unixPath: string | undefined;
  readonly #where: string;
  readonly #connectTimeout: number | null | undefined;
  readonly #keepAlive: number | null | undefined;
  readonly #keepOpen: () => number;
  readonly #user: string;
  readonly #database: string;
  readonly idleTimeout: number | null;
  readonly maxLifetime: number | null;
  /** An expired connection is retired once it has been idle this long… */
  readonly lifetimeQuietMs: number;
  /** …or at any idle moment once it is this long overdue. */
  readonly lifetimeGraceMs: number;
  readonly #sockets = new Set<TrackedSocket>();
  readonly #attempts = new Set<Attempt>();
  #allowTls: Promise<boolean> | null = null;
  #destroyed = false;
  #opened = 0;
  #closed = 0;
  #failed = 0;
  #tls: boolean | undefined;
  #tlsProtocol: string | undefined;

  constructor(opts: TransportOptions) {
    this.#host = opts.host;
    this.#port = opts.port;
    this.#plan = opts.tls;
    this.#unixPath = opts.host.startsWith("/") ? `${opts.host}/.s.PGSQL.${opts.port}` : undefined;
    this.#where = this.#unixPath !== undefined
      ? `socket "${this.#unixPath}"`
      : `${net.isIPv6(opts.host) ? `[${opts.host}]` : opts.host}:${opts.port}`;
    this.#connectTimeout = opts.connectTimeout;
    this.#keepAlive = opts.keepAlive;
    this.#keepOpen = opts.keepOpen ?? (() => 0);
    this.#user = opts.user;
    this.#database = opts.database ?? opts.user;
    this.idleTimeout = opts.idleTimeout && opts.idleTimeout > 0 ? opts.idleTimeout : null;
    this.maxLifetime = opts.maxLifetime && opts.maxLifetime > 0 ? opts.maxLifetime : null;
    const lifeMs = (this.maxLifetime ?? 0) * 1000;
    this.lifetimeQuietMs = Math.min(LIFETIME_QUIET_MS, lifeMs);
    this.lifetimeGraceMs = Math.min(LIFETIME_GRACE_MS, lifeMs);
  }

  readonly socket = async (_pgOptions?: unknown): Promise<Duplex> => {
    if (this.#destroyed) return this.#refuse();
    let est: Established;
    try {
      est = await this.#establish();
    } catch (e) {
      this.#failed++;
      return failedSocket(
        e instanceof TransportError ? e : new TransportError(
          `could not connect to ${this.#where}: ${firstLine(e)}`,
          errorCode(e) ?? "ECONNECT",
          { cause: e },
        ),
      );
    }
    if (this.#destroyed) {
      est.socket.destroy();
      return this.#refuse();
    }
    this.#opened++;
    this.#tls = est.tls;
    if (est.tls) this.#tlsProtocol = (est.socket as tls.TLSSocket).getProtocol?.() ?? undefined;
    this.#sockets.add(new TrackedSocket(this, est.socket));
    return est.socket;
  };

  isBackendOpen(pid: number): boolean {
    for (const t of this.#sockets) if (t.pid === pid) return !t.doomed;
    return false;
  }

  stats(): TransportStats {
    let idle = 0;
    for (const t of this.#sockets) if (!t.busy) idle++;
    const out: TransportStats = {
      open: this.#sockets.size,
      idle,
      opened: this.#opened,
      closed: this.#closed,
      failed: this.#failed,
      tls: this.#tls,
    };
    if (this.#tlsProtocol !== undefined) out.tlsProtocol = this.#tlsProtocol;
    return out;
  }

  closeIdle(): number {
    let n = 0;
    for (const t of [...this.#sockets]) {
      if (!t.busy && !t.retired) {
        t.retire();
        n++;
      }
    }
    return n;
  }

  destroy(): void {
    this.#destroyed = true;
    for (const a of this.#attempts) {
      a.abort(new TransportError("the connection pool was closed", "TRANSPORT_DESTROYED"));
    }
    for (const t of [...this.#sockets]) t.retire(false);
  }

  // --- callbacks from TrackedSocket ---

  /** May the idle timer close `t` without going below `keepOpen()`? */
  mayCloseIdle(t: TrackedSocket): boolean {
    let open = 0;
    for (const s of this.#sockets) if (!s.retired && !s.listening) open++;
    return t.listening || open - 1 >= this.#keepOpen();
  }

  onClose(t: TrackedSocket, failed: boolean): void {
    if (this.#sockets.delete(t)) {
      this.#closed++;
      if (failed) this.#failed++;
    }
    const waiters = this.#closeWaiters.get(t.pid);
    if (waiters && !this.#hasBackend(t.pid)) {
      this.#closeWaiters.delete(t.pid);
      for (const w of waiters) w();
    }
  }

  readonly #closeWaiters = new Map<number, (() => void)[]>();

  #hasBackend(pid: number): boolean {
    for (const t of this.#sockets) if (t.pid === pid) return true;
    return false;
  }

  whenBackendClosed(pid: number): Promise<void> {
    if (!this.#hasBackend(pid)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.#closeWaiters.get(pid) ?? [];
      list.push(resolve);
      this.#closeWaiters.set(pid, list);
    });
  }

  destroyBackend(pid: number): void {
    for (const t of [...this.#sockets]) if (t.pid === pid) t.socket.destroy();
  }

  // --- connecting ---

  #refuse(): Duplex {
    this.#failed++;
    return failedSocket(
      new TransportError("the connection pool was closed", "TRANSPORT_DESTROYED"),
    );
  }

  async #establish(): Promise<Established> {
    const attempt = new Attempt(this.#connectTimeout, this.#where);
    this.#attempts.add(attempt);
    const work = this.#connect(attempt);
    try {
      return await Promise.race([work, attempt.expired]);
    } catch (e) {
      work.then((est) => est.socket.destroy(), noop);
      throw attempt.timeoutError ?? e;
    } finally {
      attempt.done();
      this.#attempts.delete(attempt);
    }
  }

  async #connect(attempt: Attempt): Promise<Established> {
    const plan = this.#plan;
    if (this.#unixPath !== undefined || plan.negotiation === "disable") {
      return { socket: await this.#tcp(attempt), tls: false };
    }
    if (plan.negotiation === "allow") {
      // libpq's allow: plaintext first; TLS only if the server refuses a plaintext login.
      this.#allowTls ??= this.#probePlaintext(attempt).catch((e) => {
        this.#allowTls = null;
        throw e;
      });
      if (!(await this.#allowTls)) return { socket: await this.#tcp(attempt), tls: false };
    }
    const raw = await this.#tcp(attempt);
    const answer = await this.#sslRequest(raw);
    if (answer !== CHAR_S) {
      if (plan.negotiation === "prefer") return { socket: raw, tls: false };
      raw.destroy();
      throw new TransportError(
        `could not connect to ${this.#where}: server does not support SSL, but SSL was required ` +
          `(sslmode=${plan.sslmode})`,
        "SSL_NOT_SUPPORTED",
      );
    }
    try {
      return { socket: await this.#upgrade(raw, attempt), tls: true };
    } catch (e) {
      // libpq's prefer: a failed TLS attempt is retried in plaintext.
      if (plan.negotiation !== "prefer" || attempt.timeoutError) throw e;
      return { socket: await this.#tcp(attempt), tls: false };
    }
  }

  /** Opens TCP (or the Unix socket) and applies keepalive and no-delay. */
  #tcp(attempt: Attempt): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = attempt.track(
        this.#unixPath !== undefined
          ? net.connect({ path: this.#unixPath })
          : net.connect({ host: this.#host, port: this.#port }),
      );
      const onError = (e: Error) => {
        s.destroy();
        const code = errorCode(e) ?? "ECONNECT";
        reject(
          new TransportError(
            `could not connect to ${this.#where}: ${NET_REASONS[code] ?? firstLine(e)}`,
            code,
            { cause: e },
          ),
        );
      };
      s.once("error", onError);
      s.once("connect", () => {
        s.removeListener("error", onError);
        if (this.#unixPath === undefined) {
          s.setNoDelay(true);
          if (this.#keepAlive === null) s.setKeepAlive(false);
          else if (this.#keepAlive !== undefined) s.setKeepAlive(true, this.#keepAlive * 1000);
        }
        resolve(s);
      });
    });
  }

  /** Sends SSLRequest and reads the one-byte answer. */
  #sslRequest(s: net.Socket): Promise<number> {
    return new Promise((resolve, reject) => {
      const done = () => {
        s.removeListener("data", onData);
        s.removeListener("error", onError);
        s.removeListener("close", onClose);
      };
      const onData = (chunk: Uint8Array) => {
        done();
        if (chunk.length !== 1) {
          // CVE-2021-23222: nothing may follow the answer before the handshake.
          s.destroy();
          reject(
            new TransportError(
              `could not connect to ${this.#where}: received unencrypted data after SSL response`,
              "EPROTO",
            ),
          );
        } else resolve(chunk[0] === CHAR_S ? CHAR_S : CHAR_N);
      };
      const onError = (e: Error) => {
        done();
        const code = errorCode(e) ?? "ECONNECT";
        reject(
          new TransportError(
            `could not connect to ${this.#where}: ${NET_REASONS[code] ?? firstLine(e)}`,
            code,
            { cause: e },
          ),
        );
      };
      const onClose = () => {
        done();
        reject(
          new TransportError(
            `could not connect to ${this.#where}: server closed the connection during SSL negotiation`,
            "ECONNRESET",
          ),
        );
      };
      s.on("data", onData);
      s.once("error", onError);
      s.once("close", onClose);
      s.write(SSL_REQUEST);
    });
  }

  /** Runs the TLS handshake on an accepted SSLRequest. */
  #upgrade(raw: net.Socket, attempt: Attempt): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      let t: tls.TLSSocket;
      try {
        t = attempt.track(
          tls.connect({ socket: raw, ...tlsConnectOptions(this.#plan, this.#host) }),
        );
      } catch (e) {
        raw.destroy();
        reject(this.#tlsError(e));
        return;
      }
      raw.on("error", noop); // the TLS socket reports failures of the TCP socket under it
      const onError = (e: Error) => {
        t.destroy();
        raw.destroy();
        reject(this.#tlsError(e));
      };
      t.once("error", onError);
      t.once("secureConnect", () => {
        t.removeListener("error", onError);
        resolve(t);
      });
    });
  }

  #tlsError(e: unknown): TransportError {
    const code = errorCode(e) ?? "ERR_TLS";
    const plan = this.#plan;
    const err = e as { reason?: string; cert?: { subjectaltname?: string } };
    const host = `server certificate for "${this.#host}"`;
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
      const reason = (err.reason ?? firstLine(e)).replace(/[:\s]+$/, "");
      const names = err.cert?.subjectaltname
        ? ` (certificate names: ${err.cert.subjectaltname})`
        : "";
      return new TransportError(
        `${host} does not match host name (sslmode=${plan.sslmode}): ${reason}${names}`,
        code,
        { cause: e },
      );
    }
    if (CHAIN_ERRORS.has(code)) {
      const roots = plan.rootCert === "system"
        ? "the system's trusted roots"
        : `root certificate "${plan.rootCert}"`;
      return new TransportError(
        `${host} could not be verified against ${roots} (sslmode=${plan.sslmode}): ${firstLine(e)}`,
        code,
        { cause: e },
      );
    }
    return new TransportError(
      `could not connect to ${this.#where}: TLS handshake failed: ${firstLine(e)}`,
      code,
      { cause: e },
    );
  }

  /**
   * `sslmode: allow`: logs in over plaintext far enough to see the server's
   * first answer. An authentication request means plaintext is accepted; an
   * error with SQLSTATE 28000 (pg_hba rejects the plaintext connection)
   * means TLS. Any other answer leaves the choice at plaintext, where the
   * real connection then reports it.
   */
  async #probePlaintext(attempt: Attempt): Promise<boolean> {
    const s = await this.#tcp(attempt);
    try {
      const message = await new Promise<Buffer>((resolve, reject) => {
        let got = Buffer.alloc(0);
        const done = () => {
          s.removeListener("data", onData);
          s.removeListener("error", onError);
          s.removeListener("close", onClose);
        };
        const onData = (chunk: Buffer) => {
          got = Buffer.concat([got, chunk]);
          if (got.length >= 5 && got.length >= 1 + got.readUInt32BE(1)) {
            done();
            resolve(got.subarray(0, 1 + got.readUInt32BE(1)));
          }
        };
        const onError = (e: Error) => {
          done();
          reject(e);
        };
        const onClose = () => {
          done();
          reject(new Error("server closed the connection unexpectedly"));
        };
        s.on("data", onData);
        s.once("error", onError);
        s.once("close", onClose);
        s.write(startupMessage(this.#user, this.#database));
      });
      if (message[0] === CHAR_R) return false;
      if (message[0] === CHAR_E) return sqlState(message) === "28000";
      return false;
    } catch (e) {
      const code = errorCode(e) ?? "ECONNRESET";
      throw new TransportError(
        `could not connect to ${this.#where}: ${NET_REASONS[code] ?? firstLine(e)}`,
        code,
        { cause: e },
      );
    } finally {
      s.destroy();
    }
  }
}

/** A protocol 3.0 StartupMessage with just `user` and `database`. */
function startupMessage(user: string, database: string): Buffer {
  const body = Buffer.from(`user\0${user}\0database\0${database}\0\0`, "utf8");
  const out = Buffer.alloc(8 + body.length);
  out.writeUInt32BE(out.length, 0);
  out.writeUInt32BE(196608, 4);
  body.copy(out, 8);
  return out;
}

/** The `C` (SQLSTATE) field of an ErrorResponse. */
function sqlState(message: Buffer): string | undefined {
  let i = 5;
  while (i < message.length && message[i] !== 0) {
    const field = message[i];
    const end = message.indexOf(0, i + 1);
    if (end < 0) return undefined;
    if (field === 0x43) return message.toString("utf8", i + 1, end);
    i = end + 1;
  }
  return undefined;
}

/**
 * Creates a transport: pass `transport.socket` as postgres.js's `socket`
 * option (with `ssl: false`, `idle_timeout: null`, `max_lifetime: null`).
 * See the module documentation for what it does.
 *
 * @example
 * ```ts ignore
 * import postgres from "postgres";
 * import { planTls } from "./tls.ts";
 * import { createTransport } from "./transport.ts";
 *
 * const tls = await planTls({ host: "localhost", sslmode: "verify-full", sslrootcert: "ca.crt" });
 * const transport = createTransport({ host: "localhost", port: 5432, tls, user: "app", idleTimeout: 60 });
 * const sql = postgres({ host: "localhost", user: "app", ssl: false, idle_timeout: null,
 *   max_lifetime: null, socket: transport.socket } as unknown as postgres.Options<
 *   Record<string, postgres.PostgresType>
 * >);
 * console.log(await sql`SELECT 1 AS one`, transport.stats());
 * ```
 */
export function createTransport(opts: TransportOptions): Transport {
  return new TransportImpl(opts);
}
