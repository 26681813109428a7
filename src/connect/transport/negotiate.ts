/**
 * Opening one socket to one server address: TCP (or a Unix socket), the
 * SSLRequest and the TLS handshake, with libpq's sslmode semantics (see
 * `../tls.ts`). Which attempts are made in which order (host lists, `allow`
 * and `prefer` retries) is decided by the caller (`../connector.ts`); this
 * module carries out one of them within a deadline.
 *
 * Every socket made here has an `error` listener from the moment it exists,
 * so an error that arrives between two owners (a TLS 1.3 alert right after
 * the handshake, say) is recorded instead of crashing the process.
 *
 * @module
 */
import net from "node:net";
import tls from "node:tls";
import { lookup } from "node:dns/promises";
import { Buffer } from "node:buffer";
import { clearTimeout, setTimeout } from "node:timers";
import { tlsConnectOptions, type TlsPlan } from "../tls.ts";
import { firstLine, networkError, tlsError, TransportError } from "./errors.ts";
import { verificationError } from "./verify.ts";

/** One entry of a host list. */
export interface Endpoint {
  /** Host name, IP address, or a Unix socket directory (starts with `/`). */
  host: string;
  /** TCP port (also names the Unix socket file `.s.PGSQL.PORT`). */
  port: number;
  /** libpq's `hostaddr`: connect to this address, use `host` for TLS checks. */
  hostaddr?: string;
}

/** How one attempt gets (or avoids) TLS. */
export type TlsChoice =
  /** No SSLRequest: plaintext. */
  | "plain"
  /** SSLRequest; TLS or fail. */
  | "tls"
  /** SSLRequest; TLS if the server says `S`, plaintext on the same socket if it says `N`. */
  | "tls-or-plain"
  /** TLS from the first byte, ALPN `postgresql` (PostgreSQL 17+, libpq's `sslnegotiation=direct`). */
  | "direct";

/** A socket ready for the startup message. */
export interface Negotiated {
  /** The socket (a `tls.TLSSocket` when `tls`). */
  socket: net.Socket;
  /** Whether TLS is in use. */
  tls: boolean;
  /** e.g. `TLSv1.3`. */
  tlsProtocol?: string;
  /** `host:port` (or the socket path) for messages. */
  where: string;
}

/** The path of the Unix socket of an endpoint, if it is one. */
export function unixSocketPath(e: Endpoint): string | undefined {
  return e.hostaddr === undefined && e.host.startsWith("/")
    ? `${e.host}/.s.PGSQL.${e.port}`
    : undefined;
}

/** `host:port`, `[v6]:port` or `socket "/dir/.s.PGSQL.port"`, for messages. */
export function describeEndpoint(e: Endpoint, address?: string): string {
  const path = unixSocketPath(e);
  if (path !== undefined) return `socket "${path}"`;
  const host = net.isIPv6(e.host) ? `[${e.host}]` : e.host;
  const via = address !== undefined && address !== e.host ? ` (${address})` : "";
  return `${host}:${e.port}${via}`;
}

/**
 * The addresses to try for an endpoint, in order: `hostaddr`, or every
 * address the host name resolves to (libpq tries each), or the host itself
 * when it is an IP address. `[undefined]` for a Unix socket.
 */
export async function endpointAddresses(e: Endpoint): Promise<(string | undefined)[]> {
  if (unixSocketPath(e) !== undefined) return [undefined];
  if (e.hostaddr !== undefined) return [e.hostaddr];
  if (net.isIP(e.host)) return [e.host];
  try {
    const found = await lookup(e.host, { all: true });
    const seen = new Set<string>();
    return found.map((a) => a.address).filter((a) => !seen.has(a) && !!seen.add(a));
  } catch (err) {
    throw networkError(describeEndpoint(e), err);
  }
}

/**
 * A time limit for one connection attempt: destroys the sockets it tracks
 * when it expires. `seconds` of 0/null/undefined means no limit.
 */
export class Deadline {
  readonly #sockets: net.Socket[] = [];
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onExpire: ((e: TransportError) => void)[] = [];
  /** The timeout error once the limit passed. */
  expired: TransportError | undefined;
  /** The limit in seconds (0 = none). */
  readonly seconds: number;

  /** Starts the clock; `where` names the target in the timeout message. */
  constructor(seconds: number | null | undefined, where: string) {
    this.seconds = seconds && seconds > 0 ? seconds : 0;
    if (this.seconds > 0) {
      this.#timer = setTimeout(() => {
        this.expired = new TransportError(
          `connection to ${where} timed out after ${this.seconds} s (connect_timeout)`,
          "CONNECT_TIMEOUT",
        );
        for (const s of this.#sockets) s.destroy();
        for (const f of this.#onExpire) f(this.expired);
      }, this.seconds * 1000);
    }
  }

  /** Destroys `s` if the deadline passes while it is being set up. */
  track<T extends net.Socket>(s: T): T {
    if (this.expired) s.destroy();
    else this.#sockets.push(s);
    return s;
  }

  /** Calls `f` when the deadline passes (at once if it has). */
  onExpire(f: (e: TransportError) => void): void {
    if (this.expired) f(this.expired);
    else this.#onExpire.push(f);
  }

  /** Stops the clock (the attempt is over, either way). */
  done(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#sockets.length = 0;
    this.#onExpire.length = 0;
  }
}

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
const CHAR_S = 0x53;

/** Errors that reached a socket while nobody else listened; read by the next owner. */
const earlyErrors = new WeakMap<net.Socket, Error>();

/** The first error a socket reported before its owner attached a listener, if any. */
export function earlyError(s: net.Socket): Error | undefined {
  return earlyErrors.get(s);
}

function guard(s: net.Socket): void {
  s.on("error", (e: Error) => {
    if (!earlyErrors.has(s)) earlyErrors.set(s, e);
  });
}

/** Options of {@link negotiate}. */
export interface NegotiateOptions {
  /** The TLS plan of the config. */
  plan: TlsPlan;
  /** How this attempt treats TLS. */
  choice: TlsChoice;
  /** Seconds before the first TCP keepalive probe; `null` turns keepalives off. */
  keepAlive?: number | null;
  /** Limit of the attempt. */
  deadline: Deadline;
  /** A caller's socket function, called instead of opening a connection (see {@link SocketFunction}). */
  socket?: SocketFunction;
}

/**
 * postgres.js's `socket` option: returns (or resolves to) a connected
 * Node-style socket to the server; TLS is then negotiated on it as on our own.
 */
export type SocketFunction = () => unknown;

/**
 * Opens a socket to `address` (an IP, or undefined for a Unix socket) of
 * `endpoint` and negotiates TLS as `choice` says. Rejects with a one-line
 * {@link TransportError}.
 */
export async function negotiate(
  endpoint: Endpoint,
  address: string | undefined,
  opts: NegotiateOptions,
): Promise<Negotiated> {
  const where = describeEndpoint(endpoint, address);
  const path = unixSocketPath(endpoint);
  const raw = await tcp(endpoint, address, path, opts, where);
  if (path !== undefined || opts.choice === "plain") return { socket: raw, tls: false, where };
  if (opts.choice === "direct") {
    try {
      const t = await upgrade(raw, endpoint.host, opts, where, ["postgresql"]);
      return { socket: t, tls: true, tlsProtocol: t.getProtocol?.() ?? undefined, where };
    } catch (e) {
      throw opts.deadline.expired ?? e;
    }
  }
  let accepted: boolean;
  try {
    accepted = await sslRequest(raw, where);
  } catch (e) {
    raw.destroy();
    throw opts.deadline.expired ?? e;
  }
  if (!accepted) {
    if (opts.choice === "tls-or-plain") return { socket: raw, tls: false, where };
    raw.destroy();
    throw new TransportError(
      `could not connect to ${where}: server does not support SSL, but SSL was required ` +
        `(sslmode=${opts.plan.sslmode})`,
      "SSL_NOT_SUPPORTED",
    );
  }
  if (opts.plan.setupProblem !== undefined) {
    // libpq reads its TLS files now, after the server said `S`: a problem fails this attempt.
    raw.destroy();
    throw new TransportError(
      `could not connect to ${where}: ${opts.plan.setupProblem}`,
      "TLS_SETUP",
      { tls: true },
    );
  }
  try {
    const t = await upgrade(raw, endpoint.host, opts, where);
    return { socket: t, tls: true, tlsProtocol: t.getProtocol?.() ?? undefined, where };
  } catch (e) {
    throw opts.deadline.expired ?? e;
  }
}

function tcp(
  endpoint: Endpoint,
  address: string | undefined,
  path: string | undefined,
  opts: NegotiateOptions,
  where: string,
): Promise<net.Socket> {
  if (opts.socket) return callerSocket(opts.socket, opts, where);
  return new Promise((resolve, reject) => {
    const s = path !== undefined
      ? net.connect({ path })
      : net.connect({ host: address ?? endpoint.host, port: endpoint.port });
    guard(s);
    opts.deadline.track(s);
    const onError = (e: Error) => {
      s.destroy();
      reject(opts.deadline.expired ?? networkError(where, e));
    };
    const onClose = () => reject(opts.deadline.expired ?? networkError(where, { code: "EPIPE" }));
    s.once("error", onError);
    s.once("close", onClose);
    s.once("connect", () => {
      s.removeListener("error", onError);
      s.removeListener("close", onClose);
      if (path === undefined) {
        s.setNoDelay(true);
        if (opts.keepAlive === null) s.setKeepAlive(false);
        else if (opts.keepAlive !== undefined) s.setKeepAlive(true, opts.keepAlive * 1000);
      }
      resolve(s);
    });
  });
}

/**
 * The socket a caller's function returns, within the attempt's deadline (a
 * socket that arrives later is destroyed); what the function throws is the
 * `cause` of a one-line error.
 */
async function callerSocket(
  f: SocketFunction,
  opts: NegotiateOptions,
  where: string,
): Promise<net.Socket> {
  const { deadline } = opts;
  const got = await new Promise<{ value: unknown } | { thrown: unknown }>((resolve, reject) => {
    deadline.onExpire(reject);
    Promise.resolve().then(f).then((value) => {
      if (deadline.expired) (value as { destroy?: () => void } | null)?.destroy?.();
      else resolve({ value });
    }, (thrown) => resolve({ thrown }));
  });
  if ("thrown" in got) {
    throw new TransportError(
      `could not connect to ${where}: the socket function failed: ${firstLine(got.thrown)}`,
      "SOCKET_FUNCTION",
      { cause: got.thrown },
    );
  }
  const s = got.value as net.Socket;
  if (typeof s?.write !== "function" || typeof s.on !== "function") {
    throw new TransportError(
      `could not connect to ${where}: the socket function returned ${
        s === null ? "null" : typeof s
      }, expected a socket`,
      "SOCKET_FUNCTION",
    );
  }
  guard(s);
  deadline.track(s);
  if (s.destroyed) throw deadline.expired ?? networkError(where, { code: "EPIPE" });
  // postgres.js sets keepalives on a caller's socket too.
  if (typeof s.setKeepAlive === "function") {
    if (opts.keepAlive === null) s.setKeepAlive(false);
    else if (opts.keepAlive !== undefined) s.setKeepAlive(true, opts.keepAlive * 1000);
  }
  return s;
}

/** Sends SSLRequest; resolves whether the server agreed (`S`). */
function sslRequest(s: net.Socket, where: string): Promise<boolean> {
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
        reject(
          new TransportError(
            `could not connect to ${where}: received unencrypted data after SSL response`,
            "EPROTO",
          ),
        );
      } else resolve(chunk[0] === CHAR_S);
    };
    const onError = (e: Error) => {
      done();
      reject(networkError(where, e));
    };
    const onClose = () => {
      done();
      reject(
        new TransportError(
          `could not connect to ${where}: server closed the connection during SSL negotiation`,
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

function upgrade(
  raw: net.Socket,
  host: string,
  opts: NegotiateOptions,
  where: string,
  alpn?: string[],
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    let t: tls.TLSSocket;
    try {
      t = tls.connect({
        socket: raw,
        // Verified below (./verify.ts), before anything is written.
        ...tlsConnectOptions(opts.plan, host),
        ...(alpn ? { ALPNProtocols: alpn } : {}),
      });
    } catch (e) {
      raw.destroy();
      reject(tlsError(e, opts.plan, where));
      return;
    }
    guard(t);
    opts.deadline.track(t);
    const onError = (e: Error) => {
      t.destroy();
      raw.destroy();
      reject(tlsError(e, opts.plan, where));
    };
    const onClose = () => {
      reject(
        new TransportError(
          `could not connect to ${where}: server closed the connection during the TLS handshake`,
          "ECONNRESET",
        ),
      );
    };
    t.once("error", onError);
    t.once("close", onClose);
    t.once("secureConnect", () => {
      t.removeListener("error", onError);
      t.removeListener("close", onClose);
      let refused: Error | undefined;
      try {
        refused = verificationError(t, opts.plan, host);
      } catch (e) {
        refused = e instanceof Error ? e : new Error(String(e));
      }
      if (refused) {
        t.destroy();
        raw.destroy();
        reject(tlsError(refused, opts.plan, where));
      } else resolve(t);
    });
  });
}
