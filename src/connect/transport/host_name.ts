/**
 * libpq 18's `verify-full` host name check
 * (`pq_verify_peer_name_matches_certificate` in `fe-secure-common.c` and
 * `fe-secure-openssl.c`), which differs from Node's `checkServerIdentity`:
 *
 * - the DNS and IP subject alternative names are compared with the host; the
 *   common name only when no alternative name has the host's type — so for
 *   an IP address host, the common name counts even next to DNS names;
 * - names compare case-insensitively; a wildcard is only a leading `*.`
 *   and matches one label;
 * - IP addresses compare as bytes (IPv4 and IPv6).
 *
 * The message is libpq's: `server certificate for "a" (and 1 other name)
 * does not match host name "h"`.
 *
 * @module
 */
import net from "node:net";

/** The parts of a peer certificate (`getPeerCertificate()`) the check reads. */
export interface PeerNames {
  /** The subject; `CN` is its common name(s). */
  subject?: { CN?: string | string[] };
  /** `DNS:a, IP Address:1.2.3.4, …` as Node and Deno print it. */
  subjectaltname?: string;
}

/** The subject alternative names of a certificate, in order. */
function alternativeNames(text: string | undefined): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  const entry = /\s*([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,|$)/g;
  for (const m of (text ?? "").matchAll(entry)) {
    const raw = m[2].trim();
    const value = raw.startsWith('"') ? JSON.parse(raw) as string : raw;
    out.push({ type: m[1].trim(), value });
  }
  return out;
}

/** The bytes of an IPv4 or IPv6 address, or undefined for anything else. */
export function ipBytes(text: string): number[] | undefined {
  if (net.isIPv4(text)) return text.split(".").map(Number);
  const s = text.replace(/%.*$/, "");
  if (!net.isIPv6(s)) return undefined;
  // An IPv4 tail (`::ffff:1.2.3.4`) stands for the last two groups.
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  const tail = v4 ? v4[2].split(".").map(Number) : [];
  const head = v4 ? (v4[1].endsWith("::") ? v4[1] : v4[1].slice(0, -1)) : s;
  const groups = v4 ? 6 : 8;
  const [l, r] = head.includes("::") ? head.split("::") : [head, undefined];
  const left = l ? l.split(":") : [];
  const right = r ? r.split(":") : [];
  const words = r === undefined
    ? left
    : [...left, ...Array(groups - left.length - right.length).fill("0"), ...right];
  return [...words.flatMap((w) => [parseInt(w, 16) >> 8, parseInt(w, 16) & 0xff]), ...tail];
}

/** libpq's `wildcard_certificate_match`: `*.rest` matches one label followed by `.rest`. */
function wildcardMatches(pattern: string, host: string): boolean {
  if (pattern.length < 3 || !pattern.startsWith("*.") || pattern.length > host.length) {
    return false;
  }
  const suffix = pattern.slice(1).toLowerCase();
  if (!host.toLowerCase().endsWith(suffix)) return false;
  return !host.slice(0, host.length - suffix.length).includes(".");
}

function nameMatches(name: string, host: string): boolean {
  return name.toLowerCase() === host.toLowerCase() || wildcardMatches(name, host);
}

function sameBytes(a: number[] | undefined, b: number[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length &&
    a.every((x, i) => x === b[i]);
}

/**
 * libpq's message when the certificate does not name `host`, or undefined
 * when it does.
 *
 * @example
 * ```ts
 * import { hostNameMismatch } from "./host_name.ts";
 * const cert = { subject: { CN: "localhost" }, subjectaltname: "DNS:localhost" };
 * hostNameMismatch("localhost", cert); // undefined
 * hostNameMismatch("127.0.0.1", cert);
 * // 'server certificate for "localhost" (and 1 other name) does not match host name "127.0.0.1"'
 * ```
 */
export function hostNameMismatch(host: string, cert: PeerNames): string | undefined {
  const hostIp = ipBytes(host);
  const hostType = hostIp ? "IP Address" : "DNS";
  let checkCn = true;
  let examined = 0;
  let first: string | undefined;
  for (const { type, value } of alternativeNames(cert.subjectaltname)) {
    if (type === hostType) checkCn = false;
    if (type !== "DNS" && type !== "IP Address") continue;
    examined++;
    first ??= value;
    const matches = type === "DNS" ? nameMatches(value, host) : sameBytes(ipBytes(value), hostIp);
    if (matches) return undefined;
  }
  if (checkCn) {
    const cn = Array.isArray(cert.subject?.CN) ? cert.subject.CN[0] : cert.subject?.CN;
    if (typeof cn === "string") {
      examined++;
      first ??= cn;
      if (nameMatches(cn, host)) return undefined;
    }
  }
  if (first === undefined) return "could not get server's host name from server certificate";
  const others = examined - 1;
  return `server certificate for "${first}"` +
    (others > 0 ? ` (and ${others} other name${others > 1 ? "s" : ""})` : "") +
    ` does not match host name "${host}"`;
}
