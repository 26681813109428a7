/**
 * Verifying the server certificate once the TLS handshake is done, with the
 * reason OpenSSL (and so libpq 18: `certificate verify failed: …`) gives.
 * Deno's `node:tls` reports every chain failure as
 * `UNABLE_TO_VERIFY_LEAF_SIGNATURE` ("unable to verify the first
 * certificate"), whether the certificate expired or comes from another CA;
 * Node reports that too for a certificate from an unknown CA. So the
 * handshake runs with `rejectUnauthorized: false`, nothing is written before
 * this check, and on a failure the chain is examined here in OpenSSL's
 * order: the issuer chain first (an expired certificate from another CA is
 * "unable to get local issuer certificate"), then CA flags, then signatures
 * and validity dates from the root down.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import type tls from "node:tls";
import type { TlsPlan } from "../tls.ts";
import { hostNameMismatch } from "./host_name.ts";

/** Splits PEM text into its certificates, skipping any that cannot be parsed. */
function pemCertificates(pem: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)) {
    try {
      out.push(new X509Certificate(m[0]));
    } catch {
      // not a certificate OpenSSL would load either
    }
  }
  return out;
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer);
  } catch {
    return false;
  }
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** The validity problem of one certificate at `now`, if any. */
function timeProblem(cert: X509Certificate, now: Date): string | undefined {
  const dates = cert as { validFromDate?: Date; validToDate?: Date };
  if (now < (dates.validFromDate ?? new Date(cert.validFrom))) return "CERT_NOT_YET_VALID";
  if (now > (dates.validToDate ?? new Date(cert.validTo))) return "CERT_HAS_EXPIRED";
  return undefined;
}

/**
 * Why a server's certificate chain fails verification against `roots` (PEM;
 * undefined: the runtime's store, then only the dates can be told), as the
 * OpenSSL code for the first problem OpenSSL would stop at, or undefined
 * when nothing is found wrong. `presented` is the chain as the server sent
 * it (DER), leaf first.
 *
 * @example
 * ```ts ignore
 * import { chainFailure } from "./verify.ts";
 * chainFailure([leafDer], caPem); // "CERT_HAS_EXPIRED"
 * ```
 */
export function chainFailure(
  presented: Uint8Array[],
  roots: string | undefined,
  now: Date = new Date(),
): string | undefined {
  if (presented.length === 0) return undefined;
  const [leaf, ...untrusted] = presented.map((der) => new X509Certificate(der));
  if (roots === undefined) return timeProblem(leaf, now);
  const trusted = pemCertificates(roots);
  // Build the chain like OpenSSL: a trusted issuer first, else one the server sent.
  const path = [leaf];
  for (let cur = leaf;;) {
    const anchor = trusted.find((r) => issuedBy(cur, r));
    if (anchor) {
      if (anchor.fingerprint256 !== cur.fingerprint256) path.push(anchor);
      break;
    }
    if (issuedBy(cur, cur)) {
      return path.length === 1 ? "DEPTH_ZERO_SELF_SIGNED_CERT" : "SELF_SIGNED_CERT_IN_CHAIN";
    }
    const next = untrusted.find((u) => issuedBy(cur, u) && !path.includes(u));
    if (!next || path.length > 10) return "UNABLE_TO_GET_ISSUER_CERT_LOCALLY";
    path.push(next);
    cur = next;
  }
  for (const issuer of path.slice(1)) if (!issuer.ca) return "INVALID_CA";
  // Signatures and dates, from the root down (the trusted root's own signature is not checked).
  for (let i = path.length - 1; i >= 0; i--) {
    if (i < path.length - 1 && !signedBy(path[i], path[i + 1])) return "CERT_SIGNATURE_FAILURE";
    const late = timeProblem(path[i], now);
    if (late) return late;
  }
  return undefined;
}

/** The chain a TLS socket's peer presented, leaf first (DER). */
function presentedChain(peer: tls.DetailedPeerCertificate): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  for (let c: tls.DetailedPeerCertificate | undefined = peer; c?.raw; c = c.issuerCertificate) {
    if (seen.has(c.fingerprint256)) break;
    seen.add(c.fingerprint256);
    out.push(c.raw);
  }
  return out;
}

/**
 * The verification error for a socket whose handshake just finished, or
 * undefined when the plan asks for no verification or the server passed it:
 * the chain (an `Error` whose `code` is OpenSSL's, e.g. `CERT_HAS_EXPIRED`),
 * then for `verify-full` the host name as libpq checks it (`./host_name.ts`;
 * code `ERR_TLS_CERT_ALTNAME_INVALID`, message in libpq's words).
 *
 * @example
 * ```ts ignore
 * import { verificationError } from "./verify.ts";
 * const e = verificationError(socket, plan, "db.example.com");
 * if (e) socket.destroy();
 * ```
 */
export function verificationError(
  socket: tls.TLSSocket,
  plan: TlsPlan,
  host: string,
): Error | undefined {
  if (plan.verify === "none") return undefined;
  const peer = socket.getPeerCertificate(true);
  if (!socket.authorized) {
    const code = String(socket.authorizationError ?? "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    let refined: string | undefined;
    try {
      refined = peer?.raw ? chainFailure(presentedChain(peer), plan.ca) : undefined;
    } catch {
      refined = undefined; // a certificate we cannot parse: keep the runtime's reason
    }
    return Object.assign(new Error(code), { code: refined ?? code });
  }
  if (plan.verify !== "verify-full") return undefined;
  const mismatch = hostNameMismatch(host, peer ?? {});
  return mismatch === undefined
    ? undefined
    : Object.assign(new Error(mismatch), { code: "ERR_TLS_CERT_ALTNAME_INVALID" });
}
