/**
 * The state of one connection, read off its byte stream: what postgres.js
 * writes and what the server answers, scanned without copying (see
 * `../frames.ts`).
 *
 * - **Outstanding requests.** The StartupMessage, every Sync, every simple
 *   Query and every FunctionCall count one; every ReadyForQuery completes
 *   one. An extended-protocol exchange still waiting for its Sync (a cursor,
 *   a describe) counts as busy too.
 * - **Transaction status**, from ReadyForQuery's status byte: `I` idle, `T`
 *   in a transaction block, `E` in a failed block.
 * - **LISTEN**: the channels a connection listens on (from the text of its
 *   Query/Parse messages).
 * - **Process lifetime.** The socket is `ref()`ed while a request is
 *   outstanding or a channel is listened on, and `unref()`ed otherwise, so a
 *   script exits by itself right after its last query.
 * - **The end of a session**: a FATAL error from the server (the session is
 *   ending), the backend pid from BackendKeyData, and `close`.
 * - **Stalls**: with `stallTimeout`, a connection that has requests
 *   outstanding and neither receives nor sends anything for that long is
 *   closed with an error, so callers do not wait forever on a dead network.
 *
 * @module
 */
import type net from "node:net";
import { Buffer } from "node:buffer";
import { clearTimeout, setTimeout } from "node:timers";
import { FrameScanner, type FrameVisitor, parseListen, PEEK_LIMIT, UNTYPED } from "../frames.ts";
import {
  CANCEL_REQUEST_CODE,
  EXTENDED_MESSAGES,
  MSG,
  parseErrorFields,
  readInt32,
  type TxStatus,
} from "../protocol.ts";
import { deliverFatal } from "../_postgresjs/fatal_error.ts";
import { earlyError } from "./negotiate.ts";
import { TransportError } from "./errors.ts";

/** What a {@link TrackedSocket} tells its owner. */
export interface SocketObserver {
  /** Nothing is outstanding any more (after a ReadyForQuery). */
  onIdle?(socket: TrackedSocket): void;
  /** postgres.js wrote to the socket (the bytes are counted already). */
  onWrite?(socket: TrackedSocket): void;
  /** The server ended the session with a FATAL error (the socket closes next). */
  onFatal?(socket: TrackedSocket, fields: Record<string, string>): void;
  /** The socket closed. `beforeReady`: before the first ReadyForQuery. */
  onClose?(socket: TrackedSocket, beforeReady: boolean): void;
}

/** Watches one socket; see the module documentation. */
export class TrackedSocket implements FrameVisitor {
  /** The socket handed to postgres.js. */
  readonly socket: net.Socket;
  readonly #observer: SocketObserver;
  readonly #out: FrameScanner;
  readonly #in: FrameScanner;
  readonly #stallMs: number;
  #pending = 0;
  #unsynced = false;
  #channels: Set<string> | null = null;
  #refd = true;
  #holds = 0;
  #readies = 0;
  #closed = false;
  #errored = false;
  #cancel = false;
  #lastActivity = 0;
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  /** ReadyForQuery's last status byte (`I` before the first). */
  status: TxStatus = "I";
  /** Backend process id (0 until BackendKeyData). */
  pid = 0;
  /** The server sent a FATAL error: the session is ending. */
  fatal: Record<string, string> | undefined;
  /** Whether TLS is in use. */
  readonly tls: boolean;

  /**
   * Starts watching `socket`. `where` (`host:port`) is put on the socket as
   * `host`/`port`, which postgres.js uses in its own error messages.
   */
  constructor(
    socket: net.Socket,
    observer: SocketObserver,
    opts: { host: string; port: number; tls: boolean; stallTimeout?: number | null },
  ) {
    this.socket = socket;
    this.#observer = observer;
    this.tls = opts.tls;
    this.#stallMs = opts.stallTimeout && opts.stallTimeout > 0 ? opts.stallTimeout * 1000 : 0;
    Object.assign(socket, { host: opts.host, port: opts.port });
    this.#out = new FrameScanner(this, true);
    this.#in = new FrameScanner({
      frame: (type, bodyLength, chunk, bodyStart) =>
        this.#incoming(type, bodyLength, chunk, bodyStart),
      body: (type, bytes) => this.#incomingBody(type, bytes, 0, bytes.length),
    });
    const write = socket.write;
    socket.write = ((chunk: unknown, a?: unknown, b?: unknown): boolean => {
      if (!this.#closed) this.#onWrite(chunk);
      // deno-lint-ignore no-explicit-any
      return (write as any).call(socket, chunk, a, b);
    }) as net.Socket["write"];
    let after = false;
    socket.on("data", (chunk: Uint8Array) => {
      // Added on the first chunk, this listener runs after postgres.js's own (attached
      // before the server's first answer) for every later chunk.
      if (!after) {
        after = true;
        socket.on("data", () => this.#afterPostgresJs());
      }
      this.#onData(chunk);
    });
    // postgres.js reports errors to its callers; we only note that the socket is going away.
    socket.on("error", () => this.#errored = true);
    socket.on("close", () => this.#onClose());
    const early = earlyError(socket);
    if (early) queueMicrotask(() => socket.emit("error", early));
    if (socket.destroyed) queueMicrotask(() => this.#onClose());
  }

  /** Requests written and not yet answered by ReadyForQuery. */
  get pending(): number {
    return this.#pending;
  }

  /** True while anything is outstanding (requests, an unsynced exchange). */
  get busy(): boolean {
    return this.#pending > 0 || this.#unsynced;
  }

  /** True while a LISTEN is active. */
  get listening(): boolean {
    return this.#channels !== null && this.#channels.size > 0;
  }

  /** True once the first ReadyForQuery arrived (the session is up). */
  get ready(): boolean {
    return this.#readies > 0;
  }

  /** True once the socket closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True once the socket reported an error (it closes next). */
  get errored(): boolean {
    return this.#errored;
  }

  /** Keeps the process alive until the returned function is called (e.g. during a close). */
  hold(): () => void {
    this.#holds++;
    this.#updateRef();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds--;
      this.#updateRef();
    };
  }

  /** Fails what is in flight with `error` and closes the socket. */
  kill(error: Error): void {
    if (this.#closed) return;
    this.socket.emit("error", error);
    this.socket.destroy();
  }

  // --- outgoing ---

  #onWrite(chunk: unknown): void {
    // Read only by the stall check (a clock read per message is measurable otherwise).
    if (this.#stallMs !== 0) this.#lastActivity = performance.now();
    if (chunk instanceof Uint8Array) this.#out.feed(chunk);
    else if (typeof chunk === "string") this.#out.feed(Buffer.from(chunk));
    this.#updateRef();
    this.#armStall();
    this.#observer.onWrite?.(this);
  }

  /** FrameVisitor for outgoing messages. */
  frame(type: number, bodyLength: number, chunk: Uint8Array, bodyStart: number): number {
    if (type === MSG.S) {
      this.#pending++;
      this.#unsynced = false;
    } else if (type === MSG.Q) {
      this.#pending++;
      return this.#peek(type, bodyLength, chunk, bodyStart);
    } else if (EXTENDED_MESSAGES[type] === 1) {
      this.#unsynced = true;
      if (type === MSG.P) return this.#peek(type, bodyLength, chunk, bodyStart);
    } else if (type === UNTYPED) {
      this.#pending++;
      if (bodyLength === 12 && chunk.length - bodyStart >= 4) {
        this.#cancel = readInt32(chunk, bodyStart) === CANCEL_REQUEST_CODE;
      }
    } else if (type === MSG.F) {
      this.#pending++;
    }
    return 0;
  }

  /** FrameVisitor: the leading bytes of a Query/Parse split across chunks. */
  body(type: number, bytes: Uint8Array): void {
    this.#inspectText(type, bytes, 0, bytes.length);
  }

  #peek(type: number, bodyLength: number, chunk: Uint8Array, bodyStart: number): number {
    const want = bodyLength < PEEK_LIMIT ? bodyLength : PEEK_LIMIT;
    if (chunk.length - bodyStart < want) return want;
    this.#inspectText(type, chunk, bodyStart, bodyStart + want);
    return 0;
  }

  /** Looks for LISTEN/UNLISTEN at the start of a Query or Parse message's text. */
  #inspectText(type: number, bytes: Uint8Array, start: number, end: number): void {
    if (type === MSG.P) {
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

  // --- incoming ---

  #zs = 0;

  #onData(chunk: Uint8Array): void {
    if (this.#stallMs !== 0) this.#lastActivity = performance.now();
    this.#zs = 0;
    this.#in.feed(chunk);
    if (this.#zs > 0) {
      this.#readies += this.#zs;
      this.#pending = this.#pending > this.#zs ? this.#pending - this.#zs : 0;
      this.#updateRef();
      if (!this.busy) this.#observer.onIdle?.(this);
    }
  }

  #incoming(type: number, bodyLength: number, chunk: Uint8Array, bodyStart: number): number {
    if (type === MSG.Z) {
      this.#zs++;
      if (bodyLength >= 1) {
        if (bodyStart >= chunk.length) return 1;
        this.status = String.fromCharCode(chunk[bodyStart]) as TxStatus;
      }
    } else if (type === MSG.E && this.ready) {
      const want = bodyLength < PEEK_LIMIT ? bodyLength : PEEK_LIMIT;
      if (chunk.length - bodyStart < want) return want;
      this.#incomingBody(type, chunk, bodyStart, bodyStart + want);
    } else if (type === MSG.K && bodyLength >= 4) {
      if (chunk.length - bodyStart < 4) return 4;
      this.pid = readInt32(chunk, bodyStart);
    }
    return 0;
  }

  #incomingBody(type: number, bytes: Uint8Array, start: number, end: number): void {
    if (type === MSG.Z) {
      this.status = String.fromCharCode(bytes[start]) as TxStatus;
    } else if (type === MSG.K) {
      this.pid = readInt32(bytes, start);
    } else if (type === MSG.E) {
      const fields = parseErrorFields(bytes, start, end);
      if (fields.severity !== "FATAL" && fields.severity_local !== "FATAL") return;
      if (this.fatal) return;
      this.fatal = fields;
      this.#fatalPending = fields;
      this.#observer.onFatal?.(this, fields);
    }
  }

  #fatalPending: Record<string, string> | undefined;

  /** Runs after postgres.js has processed a chunk: hands it the server's FATAL reason. */
  #afterPostgresJs(): void {
    const fields = this.#fatalPending;
    if (fields === undefined) return;
    this.#fatalPending = undefined;
    deliverFatal(this.socket, fields);
  }

  // --- lifetime ---

  #updateRef(): void {
    const want = this.#holds > 0 || this.busy || this.listening;
    if (want === this.#refd || this.#closed) return;
    this.#refd = want;
    if (want) this.socket.ref();
    else this.socket.unref();
  }

  #armStall(): void {
    if (this.#stallMs === 0 || this.#stallTimer !== undefined || !this.busy) return;
    const check = () => {
      this.#stallTimer = undefined;
      if (this.#closed || !this.busy) return;
      const quiet = performance.now() - this.#lastActivity;
      if (quiet >= this.#stallMs - 1) {
        this.kill(
          new TransportError(
            `no answer from the server within ${this.#stallMs / 1000} s; the connection was ` +
              `closed (network stalled?)`,
            "CONNECTION_STALLED",
          ),
        );
        return;
      }
      this.#stallTimer = setTimeout(check, this.#stallMs - quiet);
      this.#stallTimer.unref();
    };
    this.#stallTimer = setTimeout(check, this.#stallMs);
    this.#stallTimer.unref();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stallTimer !== undefined) clearTimeout(this.#stallTimer);
    this.#pending = 0;
    this.#unsynced = false;
    this.#observer.onClose?.(this, !this.ready && !this.#cancel);
  }
}
