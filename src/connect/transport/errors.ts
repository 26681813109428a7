/**
 * Connection errors of the transport: one line each, naming `host:port`
 * (never a password), with a machine-readable `code`.
 *
 * @module
 */
import type { TlsPlan } from "../tls.ts";

/**
 * A connection could not be established or was lost: network, TLS or
 * timeout. `code` is the system error code where there is one
 * (`ECONNREFUSED`, `ENOTFOUND`, …), `CONNECT_TIMEOUT`, `SSL_NOT_SUPPORTED`,
 * `CONNECTION_LOST`, `POOL_CLOSED`, or the TLS error code
 * (`ERR_TLS_CERT_ALTNAME_INVALID`, `SELF_SIGNED_CERT_IN_CHAIN`, …).
 *
 * @example
 * ```ts
 * import { TransportError } from "./errors.ts";
 * const e = new TransportError("could not connect to db:5432: connection refused", "ECONNREFUSED");
 * console.log(e.code); // ECONNREFUSED
 * ```
 */
export class TransportError extends Error {
  /** Machine-readable reason. */
  readonly code: string;
  /** True when TLS failed (handshake, verification, or an alert from the server). */
  readonly tls: boolean;
  /** Creates the error; `message` must be one line and free of secrets. */
  constructor(message: string, code: string, options?: ErrorOptions & { tls?: boolean }) {
    super(message, options);
    this.name = "TransportError";
    this.code = code;
    this.tls = options?.tls ?? false;
  }
}

/** Plain words for the system error codes a connection attempt meets. */
export const NET_REASONS: Readonly<Record<string, string>> = {
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

/** First line of an error's message. */
export function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0].trim();
}

/** The string `code` of an error, if it has one. */
export function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

/** `could not connect to WHERE: reason` for a network-level failure. */
export function networkError(where: string, e: unknown): TransportError {
  if (e instanceof TransportError) return e;
  const code = errorCode(e) ?? "ECONNECT";
  return new TransportError(
    `could not connect to ${where}: ${NET_REASONS[code] ?? firstLine(e)}`,
    code,
    { cause: e },
  );
}

/** Verification failures of a server certificate's chain (OpenSSL's names, as Node reports them). */
const CHAIN_REASONS: Readonly<Record<string, string>> = {
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in certificate chain",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "unable to verify the first certificate",
  UNABLE_TO_GET_ISSUER_CERT: "unable to get issuer certificate",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "unable to get local issuer certificate",
  CERT_HAS_EXPIRED: "certificate has expired",
  CERT_NOT_YET_VALID: "certificate is not yet valid",
  CERT_UNTRUSTED: "certificate not trusted",
  CERT_REJECTED: "certificate rejected",
  CERT_SIGNATURE_FAILURE: "certificate signature failure",
  CERT_REVOKED: "certificate revoked",
  INVALID_CA: "invalid CA certificate",
  INVALID_PURPOSE: "unsupported certificate purpose",
};

/** The name of the TLS alert an error reports (`UnknownCA`, `unknown ca`, …), if it is one. */
export function tlsAlert(e: unknown): string | undefined {
  return /\balert[:\s]+([A-Za-z_ ]+)/i.exec(firstLine(e))?.[1]?.trim();
}

/** The one-line error for a failed TLS handshake or verification. */
export function tlsError(e: unknown, plan: TlsPlan, where: string): TransportError {
  const code = errorCode(e) ?? "ERR_TLS";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    // The message is libpq's (./host_name.ts): `server certificate for "a" … does not match …`.
    return new TransportError(
      `could not connect to ${where}: ${firstLine(e)} (sslmode=${plan.sslmode})`,
      code,
      { cause: e, tls: true },
    );
  }
  if (code in CHAIN_REASONS) {
    const roots = plan.rootCert === "system"
      ? "the system's trusted roots (sslrootcert=system)"
      : `root certificate file "${plan.rootCert}"`;
    return new TransportError(
      `could not connect to ${where}: certificate verify failed: ${
        CHAIN_REASONS[code]
      } (checked against ${roots}, sslmode=${plan.sslmode})`,
      code,
      { cause: e, tls: true },
    );
  }
  const alert = tlsAlert(e);
  const reason = alert
    ? `the server rejected the TLS connection (alert ${alert}${
      plan.certFile ? `; client certificate "${plan.certFile}"` : "; no client certificate sent"
    })`
    : firstLine(e);
  return new TransportError(
    `could not connect to ${where}: TLS handshake failed: ${reason}`,
    code,
    {
      cause: e,
      tls: true,
    },
  );
}
