/**
 * Opening a logged-in connection the way libpq does: every host of the host
 * list in order (or shuffled with `load_balance_hosts: random`), every
 * address of each host, `connect_timeout` per attempt, libpq's `allow` and
 * `prefer` retries, and `target_session_attrs`.
 *
 * The retries are libpq 18's (`PQconnectPoll`): under `prefer`, a new
 * plaintext connection when the TLS attempt fails before the login (TLS
 * files, handshake, verification) or the server refuses the login over TLS;
 * under `allow`, a TLS connection when the server refuses the plaintext
 * login. A failure while reading the server's answer over TLS (a TLS 1.3
 * alert rejecting the client certificate arrives then) is final, as in
 * libpq. When the retry fails too, its message says why the first attempt
 * failed.
 *
 * As in libpq, a host that cannot be reached (network, TLS, timeout, "the
 * database system is starting up/shutting down") or whose session does not
 * match `target_session_attrs` is skipped; an authentication failure ends
 * the attempt (the remaining hosts are not tried). When every host failed,
 * the error names each one and why.
 *
 * @module
 */
import type postgres from "postgres";
import type { TlsPlan } from "./tls.ts";
import type { SslNegotiation, TargetSessionAttrs } from "../config/types.ts";
import { type Conn, type ConnSettings, startConn } from "./conn.ts";
import {
  Deadline,
  describeEndpoint,
  type Endpoint,
  endpointAddresses,
  negotiate,
  type Negotiated,
  type SocketFunction,
  type TlsChoice,
  unixSocketPath,
} from "./transport/negotiate.ts";
import { firstLine, tlsAlert, tlsError, TransportError } from "./transport/errors.ts";

/** Where and how to connect. */
export interface ConnectPlan {
  /** The host list, in the order given. */
  endpoints: Endpoint[];
  /** TLS, planned from the config. */
  tls: TlsPlan;
  /** Seconds per attempt (each address of each host); 0 for none. */
  connectTimeout: number;
  /** Seconds before the first TCP keepalive probe; `null` turns keepalives off. */
  keepAlive: number | null;
  /** Which sessions are acceptable. */
  targetSessionAttrs: TargetSessionAttrs;
  /** Try the hosts in random order (libpq's `load_balance_hosts=random`). */
  loadBalanceHosts: boolean;
  /** `direct`: TLS from the first byte (PostgreSQL 17+, ALPN `postgresql`), no SSLRequest. */
  sslnegotiation?: SslNegotiation;
  /**
   * A caller's socket function (postgres.js's `socket` option, from the
   * adapter): called for every connection instead of opening one; the host
   * list is then not used (as in postgres.js), only the first host's name
   * (TLS server name, messages).
   */
  socket?: SocketFunction;
  /** postgres.js's host order instead of libpq's (the adapter; see {@link HostRotation}). */
  rotation?: HostRotation;
}

/**
 * postgres.js's host order, for the adapter: each postgres.js connection
 * slot connects to the first host, and each time it reconnects it moves on
 * to the host after the one it was connected to. A pgmonkey pool has no
 * slots, so a new connection takes the place of the oldest closed one not
 * replaced yet (starting after that one's host), or else is a new slot
 * (first host). The pool reports closed connections ({@link closed}).
 *
 * @example
 * ```ts
 * import { HostRotation } from "./connector.ts";
 * const r = new HostRotation();
 * console.log(r.next(), r.next()); // 0 0: two slots, both on the first host
 * r.closed(0);
 * console.log(r.next()); // 1: the replacement starts at the second host
 * ```
 */
export class HostRotation {
  readonly #free: number[] = [];

  /** Where the next new connection starts: an index into the host list (may exceed it). */
  next(): number {
    return this.#free.shift() ?? 0;
  }

  /** A connection that started at `start` could not be opened: the next one starts there. */
  failed(start: number): void {
    if (start > 0) this.#free.unshift(start);
  }

  /** A connection to the host at `index` closed: its replacement starts at the next host. */
  closed(index: number): void {
    this.#free.push(index + 1);
  }
}

/** The hosts a new connection tries, in order, and where a rotation started them. */
function hostOrder(plan: ConnectPlan): { order: Endpoint[]; start?: number } {
  const all = plan.endpoints;
  if (plan.socket) return { order: all.slice(0, 1) };
  if (plan.loadBalanceHosts) return { order: shuffled(all) };
  const r = plan.rotation;
  if (r === undefined || all.length < 2) return { order: all };
  const start = r.next() % all.length;
  return { order: [...all.slice(start), ...all.slice(0, start)], start };
}

/** The addresses of a host to try (one, unresolved, when a socket function opens the connection). */
function addressesOf(plan: ConnectPlan, endpoint: Endpoint): Promise<(string | undefined)[]> {
  return plan.socket ? Promise.resolve([undefined]) : endpointAddresses(endpoint);
}

/** The TLS attempts libpq makes for a plan, in order. */
export function tlsChoices(
  plan: TlsPlan,
  endpoint: Endpoint,
  negotiation: SslNegotiation = "postgres",
): TlsChoice[] {
  if (unixSocketPath(endpoint) !== undefined) return ["plain"];
  if (negotiation === "direct" && plan.negotiation !== "disable") return ["direct"];
  switch (plan.negotiation) {
    case "disable":
      return ["plain"];
    case "allow":
      return ["plain", "tls"];
    case "prefer":
      return ["tls-or-plain", "plain"];
    default:
      return ["tls"];
  }
}

/** True for an error the server sent (it has a severity), not a network or TLS failure. */
export function isServerError(e: unknown): boolean {
  return typeof (e as { severity?: unknown })?.severity === "string";
}

/** 57P03: the server is starting up, shutting down or in recovery without hot standby. */
function cannotConnectNow(e: unknown): boolean {
  return (e as { code?: unknown })?.code === "57P03";
}

function shuffled<T>(xs: T[]): T[] {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * What kind of session a connection is, as libpq decides it for
 * target_session_attrs: read-only when `default_transaction_read_only` or
 * `in_hot_standby` is on (reported at startup by PostgreSQL 14+; otherwise
 * asked with `SHOW transaction_read_only` and `pg_is_in_recovery()`).
 */
export async function sessionKind(conn: Conn): Promise<{ readOnly: boolean; standby: boolean }> {
  const p = conn.sql.parameters as Record<string, string | undefined>;
  if (p.default_transaction_read_only !== undefined && p.in_hot_standby !== undefined) {
    const standby = p.in_hot_standby === "on";
    return { readOnly: standby || p.default_transaction_read_only === "on", standby };
  }
  const [[ro], [rec]] = await conn.sql.unsafe(
    "SHOW transaction_read_only; SELECT pg_catalog.pg_is_in_recovery() AS standby",
  ) as unknown as [[{ transaction_read_only: string }], [{ standby: boolean }]];
  return { readOnly: ro.transaction_read_only === "on", standby: rec.standby === true };
}

/** Whether a session of `kind` is acceptable for `attrs` (`prefer-standby`: in its first pass). */
export function sessionMatches(
  attrs: TargetSessionAttrs,
  kind: { readOnly: boolean; standby: boolean },
): boolean {
  switch (attrs) {
    case "read-write":
      return !kind.readOnly;
    case "read-only":
      return kind.readOnly;
    case "primary":
      return !kind.standby;
    case "standby":
    case "prefer-standby":
      return kind.standby;
    default:
      return true;
  }
}

/** Why a host was skipped: the message without its `could not connect to X: ` prefix. */
function reason(e: unknown): string {
  return firstLine(e).replace(/^could not connect to [^:]+(:\d+)?( \([^)]*\))?: /, "");
}

/**
 * Opens one logged-in connection for `plan` (see the module documentation).
 *
 * @example
 * ```ts ignore
 * const conn = await openConn(plan, settings);
 * ```
 */
export async function openConn(plan: ConnectPlan, settings: ConnSettings): Promise<Conn> {
  const { order, start } = hostOrder(plan);
  try {
    return await openInOrder(plan, settings, order);
  } catch (e) {
    if (start !== undefined) plan.rotation?.failed(start);
    throw e;
  }
}

async function openInOrder(
  plan: ConnectPlan,
  settings: ConnSettings,
  order: Endpoint[],
): Promise<Conn> {
  const failures: string[] = [];
  const errors: unknown[] = [];
  const passes: TargetSessionAttrs[] = plan.targetSessionAttrs === "prefer-standby"
    ? ["prefer-standby", "any"]
    : [plan.targetSessionAttrs];
  for (const attrs of passes) {
    for (const endpoint of order) {
      let addresses: (string | undefined)[];
      try {
        addresses = await addressesOf(plan, endpoint);
        if (plan.loadBalanceHosts) addresses = shuffled(addresses);
      } catch (e) {
        failures.push(`${describeEndpoint(endpoint)}: ${reason(e)}`);
        errors.push(e);
        continue;
      }
      for (const address of addresses) {
        const where = describeEndpoint(endpoint, address);
        const outcome = await attemptAddress(plan, settings, endpoint, address, attrs);
        if ("conn" in outcome) return outcome.conn;
        if (outcome.fatal) throw outcome.error;
        failures.push(`${where}: ${reason(outcome.error)}`);
        errors.push(outcome.error);
        if (outcome.nextHost) break;
      }
    }
  }
  if (errors.length === 1 && errors[0] instanceof TransportError) throw errors[0];
  if (failures.length === 1) {
    throw new TransportError(`could not connect to ${failures[0]}`, "ECONNECT", {
      cause: errors[0],
    });
  }
  throw new TransportError(
    `could not connect to any of ${plan.endpoints.length} hosts: ${failures.join("; ")}`,
    "ECONNECT",
  );
}

type Outcome =
  | { conn: Conn }
  | { error: unknown; fatal: boolean; nextHost: boolean };

/** One address: its TLS attempts in libpq's order, and the session check. */
async function attemptAddress(
  plan: ConnectPlan,
  settings: ConnSettings,
  endpoint: Endpoint,
  address: string | undefined,
  attrs: TargetSessionAttrs,
): Promise<Outcome> {
  const choices = tlsChoices(plan.tls, endpoint, plan.sslnegotiation);
  let last: unknown;
  /** Why the attempt before failed, for the message if the next one fails too (as libpq). */
  let earlier: string | undefined;
  const outcome = (error: unknown, fatal: boolean, nextHost: boolean): Outcome => {
    if (earlier !== undefined && error instanceof Error) {
      error.message = `${firstLine(error)} (${earlier})`;
    }
    return { error, fatal, nextHost };
  };
  for (let i = 0; i < choices.length; i++) {
    const choice = choices[i];
    const more = i + 1 < choices.length;
    const deadline = new Deadline(plan.connectTimeout, describeEndpoint(endpoint, address));
    let neg: Negotiated | undefined;
    try {
      neg = await negotiate(endpoint, address, {
        plan: plan.tls,
        choice,
        keepAlive: plan.keepAlive,
        deadline,
        socket: plan.socket,
      });
      const conn = await startConn(neg, endpoint, deadline, settings);
      if (attrs !== "any") {
        const kind = await sessionKind(conn);
        if (!sessionMatches(attrs, kind)) {
          conn.retire();
          const what = attrs === "read-write" || attrs === "read-only"
            ? (kind.readOnly ? "session is read-only" : "session is read-write")
            : (kind.standby
              ? "server is in hot standby mode"
              : "server is not in hot standby mode");
          return {
            error: new Error(`${what} (target_session_attrs=${attrs})`),
            fatal: false,
            nextHost: true,
          };
        }
      }
      if (settings.onConnect) await runOnConnect(conn, settings.onConnect);
      return { conn };
    } catch (e) {
      last = e;
      if ((e as { code?: unknown })?.code === "ON_CONNECT_FAILED") {
        return { error: e, fatal: true, nextHost: false };
      }
      if (isServerError(e)) {
        if (cannotConnectNow(e)) return outcome(e, false, true);
        // libpq: allow retries over TLS, prefer retries in plaintext, after a refused login.
        if (more && ((choice === "plain" && choices[i + 1] === "tls") || neg?.tls)) {
          earlier = neg?.tls
            ? `after a failed TLS attempt: ${reason(e)}`
            : `after a refused plaintext attempt: ${reason(e)}`;
          continue;
        }
        return outcome(e, true, false);
      }
      if (deadline.expired) return outcome(deadline.expired, false, false);
      // prefer: a TLS attempt that failed before the login (TLS files, handshake, verification)
      // is retried in plaintext, as libpq does. A TLS error once the session started (a TLS 1.3
      // alert rejecting the client certificate arrives when the server first reads) is final in
      // libpq too: it comes while reading the server's answer, which libpq does not retry.
      if (
        more && choice === "tls-or-plain" && neg === undefined && e instanceof TransportError &&
        e.tls
      ) {
        earlier = `after a failed TLS attempt: ${reason(e)}`;
        continue;
      }
      if (neg?.tls && !(e instanceof TransportError) && tlsAlert(e) !== undefined) {
        // The server's TLS alert came once the session started: say which certificate was sent.
        return outcome(tlsError(e, plan.tls, neg.where), false, false);
      }
      return outcome(e, false, false);
    } finally {
      deadline.done();
    }
  }
  return outcome(last, isServerError(last), false);
}

/**
 * Runs the `onConnect` hook on a new connection; a failure closes it and
 * fails the attempt with `ON_CONNECT_FAILED` (it is never handed out).
 */
async function runOnConnect(conn: Conn, hook: (sql: postgres.Sql) => unknown): Promise<void> {
  try {
    await hook(conn.sql);
    if (!conn.clean) throw new Error("it left the connection busy or in a transaction");
  } catch (e) {
    conn.destroy(e instanceof Error ? e : new Error(String(e)));
    throw Object.assign(
      new Error(`onConnect failed on ${conn.where}: ${firstLine(e)}`, { cause: e }),
      { code: "ON_CONNECT_FAILED" },
    );
  }
}

/**
 * A socket to the first reachable host of `plan` with the first TLS choice
 * that works there, for connections postgres.js logs in itself (LISTEN,
 * logical replication) and for CancelRequests.
 */
export async function negotiateAny(
  plan: ConnectPlan,
  only?: { endpoint: Endpoint; tls: boolean },
): Promise<Negotiated> {
  const failures: string[] = [];
  const endpoints = only
    ? [only.endpoint]
    : plan.socket
    ? plan.endpoints.slice(0, 1)
    : plan.endpoints;
  for (const endpoint of endpoints) {
    let addresses: (string | undefined)[];
    try {
      addresses = await addressesOf(plan, endpoint);
    } catch (e) {
      failures.push(`${describeEndpoint(endpoint)}: ${reason(e)}`);
      continue;
    }
    const choices: TlsChoice[] = only
      ? [only.tls ? "tls" : "plain"]
      : tlsChoices(plan.tls, endpoint);
    for (const address of addresses) {
      for (const choice of choices) {
        const deadline = new Deadline(plan.connectTimeout, describeEndpoint(endpoint, address));
        try {
          return await negotiate(endpoint, address, {
            plan: plan.tls,
            choice,
            keepAlive: plan.keepAlive,
            deadline,
            socket: plan.socket,
          });
        } catch (e) {
          failures.push(`${describeEndpoint(endpoint, address)}: ${reason(e)}`);
        } finally {
          deadline.done();
        }
      }
    }
  }
  throw new TransportError(`could not connect to ${failures.join("; ")}`, "ECONNECT");
}
