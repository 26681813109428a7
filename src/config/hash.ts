/**
 * Cache keys that equal pgmonkey (Python)'s:
 * `sha256(json.dumps(config, sort_keys=True, default=str)).hexdigest() + ':' + type`.
 *
 * @module
 */

import { pyBytesRepr, pyFloatRepr, pyStr } from "./pystr.ts";
import { isMapping } from "./values.ts";

function jsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ch = text[i];
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20 || c > 0x7e) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Python `str()` of the date/datetime a JS Date stands for (UTC). */
function dateStr(d: Date): string {
  if (Number.isNaN(d.getTime())) return "Invalid Date";
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const [h, m, s, ms] = [
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  ];
  if (h === 0 && m === 0 && s === 0 && ms === 0) return date;
  return `${date} ${pad(h)}:${pad(m)}:${pad(s)}${ms ? `.${pad(ms * 1000, 6)}` : ""}+00:00`;
}

function jsonNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "Infinity";
  if (n === -Infinity) return "-Infinity";
  if (Number.isInteger(n) && !Object.is(n, -0)) {
    return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
  }
  return pyFloatRepr(n);
}

/** One value of `json.dumps(..., sort_keys=True, default=str)`. */
function dump(value: unknown, sortKeys: boolean): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return jsonString(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return jsonNumber(value);
    case "bigint":
      return value.toString();
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => dump(v, sortKeys)).join(", ")}]`;
  }
  if (isMapping(value)) {
    const keys = Object.keys(value);
    if (sortKeys) keys.sort(compareCodePoints);
    return `{${keys.map((k) => `${jsonString(k)}: ${dump(value[k], sortKeys)}`).join(", ")}}`;
  }
  // json.dumps(default=str): anything else is dumped as the string str(value).
  if (value instanceof Date) return jsonString(dateStr(value));
  if (value instanceof Uint8Array) return jsonString(pyBytesRepr(value));
  return jsonString(pyStr(value));
}

function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Python's `json.dumps(value, sort_keys=True, default=str)`, byte for byte:
 * `", "` and `": "` separators, keys sorted by code point, non-ASCII escaped
 * as lowercase `\uXXXX` (surrogate pairs above U+FFFF), floats as Python
 * `repr` (`2.5`, `1e-05`), `NaN`/`Infinity`, and anything that is not JSON
 * (a `Date`, bytes) as its Python `str()` — a Date prints as `2024-01-02`
 * when it is midnight UTC, else as `2024-01-02 10:00:00+00:00`.
 *
 * JS cannot tell `1.0` from `1`: a number that is an integer always prints
 * as an int. (YAML timestamps are already strings here, see `parseYaml`.)
 * Pass `{ sortKeys: false }` for plain `json.dumps(value, default=str)`.
 *
 * @example
 * ```ts
 * import { pyJsonDumps } from "./hash.ts";
 * pyJsonDumps({ b: 1, a: { y: [1, 2.5, null, true], x: "é" } });
 * // '{"a": {"x": "\\u00e9", "y": [1, 2.5, null, true]}, "b": 1}'
 * ```
 */
export function pyJsonDumps(value: unknown, options: { sortKeys?: boolean } = {}): string {
  return dump(value, options.sortKeys ?? true);
}

/**
 * SHA-256 (lowercase hex) of {@link pyJsonDumps} of `config`: the same
 * digest pgmonkey (Python)'s `PGConnectionManager._config_hash` computes.
 *
 * @example
 * ```ts
 * import { configHash } from "./hash.ts";
 * await configHash({ connection_settings: { host: "localhost" } }); // 64 hex digits
 * ```
 */
export async function configHash(config: unknown): Promise<string> {
  return await sha256Hex(pyJsonDumps(config));
}

/**
 * SHA-256 of a text's UTF-8 bytes, as lowercase hex (Python's `hexdigest()`).
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./hash.ts";
 * await sha256Hex("abc"); // "ba7816bf…"
 * ```
 */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The connection cache key: `configHash(config) + ':' + connectionType`.
 *
 * @example
 * ```ts
 * import { cacheKey } from "./hash.ts";
 * await cacheKey({ connection_settings: { host: "localhost" } }, "pool"); // "<64 hex>:pool"
 * ```
 */
export async function cacheKey(config: unknown, connectionType: string): Promise<string> {
  return `${await configHash(config)}:${connectionType}`;
}
