/**
 * The pg_hba.conf ADDRESS pgmonkey (Python) recommends for a configured
 * host: `ipaddress.ip_network(f"{ip_address(host)}/24", strict=False)` when
 * the host is an IP address, the host unchanged otherwise.
 *
 * @module
 */

const IPV4_MAX = 0xffff_ffffn;
const IPV6_MAX = (1n << 128n) - 1n;
const IPV4_MASK_24 = 0xffff_ff00n;
const IPV6_MASK_24 = ((1n << 24n) - 1n) << 104n;

/**
 * The pg_hba.conf address for `host`, exactly as pgmonkey (Python) derives it:
 *
 * - an IPv4 address → its `/24` network (`192.168.1.10` → `192.168.1.0/24`);
 * - an IPv6 address → also its `/24` network, as upstream does (`::1` →
 *   `::/24`, `2001:db8::1` → `2001:d00::/24`); a `%scope` survives only when
 *   the address already is the network address, as in Python;
 * - an integer → IPv4 when below 2³², IPv6 when below 2¹²⁸ (Python's
 *   `ip_address(int)`), otherwise its digits;
 * - anything else (host names, `10.1.2.3/8`, `${VAR}`, `1.2.3.04`) unchanged.
 *
 * Addresses are parsed with Python's `ipaddress` rules: dotted decimal with
 * exactly four ASCII octets and no leading zeros; IPv6 with at most one `::`
 * and an optional trailing dotted IPv4 part.
 *
 * @example
 * ```ts
 * import { hostToSubnet } from "./address.ts";
 * hostToSubnet("192.168.1.10"); // "192.168.1.0/24"
 * hostToSubnet("::1"); // "::/24"
 * hostToSubnet("db.example.com"); // "db.example.com"
 * hostToSubnet(3232235777); // "192.168.1.0/24"
 * ```
 */
export function hostToSubnet(host: string | number | bigint): string {
  if (typeof host !== "string") {
    if (typeof host === "number" && !Number.isInteger(host)) return String(host);
    const n = BigInt(host);
    if (n >= 0n && n <= IPV4_MAX) return ipv4Network(n);
    if (n > IPV4_MAX && n <= IPV6_MAX) return ipv6Network(n, undefined);
    return n.toString();
  }
  const v4 = parseIPv4(host);
  if (v4 !== undefined) return ipv4Network(v4);
  const v6 = parseIPv6WithScope(host);
  if (v6 !== undefined) return ipv6Network(v6.value, v6.scope);
  return host;
}

function ipv4Network(value: bigint): string {
  return `${formatIPv4(value & IPV4_MASK_24)}/24`;
}

function ipv6Network(value: bigint, scope: string | undefined): string {
  const masked = value & IPV6_MASK_24;
  // Python keeps the scope only when masking leaves the address unchanged.
  const suffix = scope !== undefined && masked === value ? `%${scope}` : "";
  return `${formatIPv6(masked)}${suffix}/24`;
}

function formatIPv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

/** Python's `str(IPv6Address)`: lowercase hextets, longest zero run (≥ 2) as `::`. */
function formatIPv6(value: bigint): string {
  const hextets: string[] = [];
  for (let i = 7n; i >= 0n; i--) hextets.push(((value >> (i * 16n)) & 0xffffn).toString(16));
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  let runLen = 0;
  hextets.forEach((h, i) => {
    if (h === "0") {
      if (runStart < 0) runStart = i;
      runLen++;
      if (runLen > bestLen) {
        bestLen = runLen;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
      runLen = 0;
    }
  });
  if (bestLen > 1) {
    const end = bestStart + bestLen;
    const head = hextets.slice(0, bestStart);
    const tail = hextets.slice(end);
    if (end === hextets.length) tail.push("");
    if (bestStart === 0) head.unshift("");
    return [...head, "", ...tail].join(":");
  }
  return hextets.join(":");
}

/** Python `IPv4Address(str)`: four ASCII decimal octets, no leading zeros, each ≤ 255. */
function parseIPv4(text: string): bigint | undefined {
  const octets = text.split(".");
  if (octets.length !== 4) return undefined;
  let value = 0n;
  for (const octet of octets) {
    if (!/^[0-9]{1,3}$/.test(octet)) return undefined;
    if (octet.length > 1 && octet[0] === "0") return undefined;
    const n = Number(octet);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** Python `IPv6Address(str)`, including a `%scope` suffix. */
function parseIPv6WithScope(text: string): { value: bigint; scope?: string } | undefined {
  if (text.includes("/")) return undefined;
  const percent = text.indexOf("%");
  let address = text;
  let scope: string | undefined;
  if (percent >= 0) {
    address = text.slice(0, percent);
    scope = text.slice(percent + 1);
    if (scope === "" || scope.includes("%")) return undefined;
  }
  const value = parseIPv6(address);
  return value === undefined ? undefined : { value, scope };
}

function parseIPv6(text: string): bigint | undefined {
  if (text === "") return undefined;
  const parts = text.split(":");
  if (parts.length < 3) return undefined;
  if (parts[parts.length - 1].includes(".")) {
    const v4 = parseIPv4(parts.pop()!);
    if (v4 === undefined) return undefined;
    parts.push(((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
  }
  if (parts.length > 9) return undefined;
  let skip: number | undefined;
  for (let i = 1; i < parts.length - 1; i++) {
    if (parts[i] === "") {
      if (skip !== undefined) return undefined;
      skip = i;
    }
  }
  let hi: number;
  let lo: number;
  let skipped: number;
  if (skip !== undefined) {
    hi = skip;
    lo = parts.length - skip - 1;
    if (parts[0] === "" && --hi !== 0) return undefined;
    if (parts[parts.length - 1] === "" && --lo !== 0) return undefined;
    skipped = 8 - (hi + lo);
    if (skipped < 1) return undefined;
  } else {
    if (parts.length !== 8 || parts[0] === "" || parts[7] === "") return undefined;
    hi = 8;
    lo = 0;
    skipped = 0;
  }
  let value = 0n;
  const take = (hextet: string): boolean => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(hextet)) return false;
    value = (value << 16n) | BigInt(parseInt(hextet, 16));
    return true;
  };
  for (let i = 0; i < hi; i++) if (!take(parts[i])) return undefined;
  value <<= 16n * BigInt(skipped);
  for (let i = parts.length - lo; i < parts.length; i++) if (!take(parts[i])) return undefined;
  return value;
}
