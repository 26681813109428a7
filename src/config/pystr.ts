/**
 * Python `str()` / `repr()` of parsed config values, for the places where
 * pgmonkey (Python) shows or sends them as text (GUC values are sent as
 * `str(value)`, error messages quote with `repr`).
 *
 * JavaScript has a single number type: a number that is an integer prints as
 * an int (`1`), every other number prints like a Python float (`1.5`,
 * `1e-05`). A YAML float such as `1.0` therefore prints as `1`, not `1.0`.
 *
 * @module
 */

import { isMapping } from "./values.ts";

/**
 * Python `repr()` of a string: single quotes unless the text contains `'`
 * and no `"`, with `\\`, `\n`, `\r`, `\t` and other control characters
 * escaped.
 *
 * @example
 * ```ts
 * import { pyRepr } from "./pystr.ts";
 * pyRepr("/tmp"); // "'/tmp'"
 * pyRepr("it's"); // "\"it's\""
 * pyRepr("a\nb"); // "'a\\nb'"
 * ```
 */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex(cp, 2);
    else if (!isPrintable(cp)) out += pyCodePointEscape(cp);
    else out += ch;
  }
  return out + quote;
}

/** Approximates Python's `str.isprintable()` for the characters that matter. */
function isPrintable(cp: number): boolean {
  // Python: everything except categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other than space.
  return PRINTABLE.test(String.fromCodePoint(cp));
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, "0");
}

/**
 * Python's escape for one code point: `\xhh`, `\uhhhh` or `\Uhhhhhhhh`,
 * the shortest that fits. `repr()` writes lowercase hex, PyYAML uppercase.
 *
 * @example
 * ```ts
 * import { pyCodePointEscape } from "./pystr.ts";
 * pyCodePointEscape(0xe9); // "\\xe9"
 * pyCodePointEscape(0x1f600, true); // "\\U0001F600"
 * ```
 */
export function pyCodePointEscape(cp: number, upperHex = false): string {
  const [prefix, width] = cp <= 0xff ? ["\\x", 2] : cp <= 0xffff ? ["\\u", 4] : ["\\U", 8];
  const digits = hex(cp, width);
  return prefix + (upperHex ? digits.toUpperCase() : digits);
}

/**
 * Python `repr(float)` (which is also `str(float)`) of a JS number: shortest
 * round-trip digits, scientific notation when the exponent is below -4 or at
 * least 16, `inf`/`-inf`/`nan`. Integral values get a `.0` suffix, as a
 * Python float would (`pyStr` prints integral numbers as ints instead).
 *
 * @example
 * ```ts
 * import { pyFloatRepr } from "./pystr.ts";
 * pyFloatRepr(2.5); // "2.5"
 * pyFloatRepr(1e-5); // "1e-05"
 * pyFloatRepr(1.5e16); // "1.5e+16"
 * pyFloatRepr(3); // "3.0"
 * ```
 */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const sign = value < 0 ? "-" : "";
  const [mantissa, expText] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
    const e = String(Math.abs(exp)).padStart(2, "0");
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/**
 * Python text of a number as it came from YAML: integers as digits
 * (`5432`), everything else like a Python float.
 *
 * @example
 * ```ts
 * import { pyNumberStr } from "./pystr.ts";
 * pyNumberStr(5432); // "5432"
 * pyNumberStr(0.5); // "0.5"
 * ```
 */
export function pyNumberStr(value: number | bigint): string {
  if (typeof value === "bigint") return value.toString();
  if (Number.isInteger(value) && !Object.is(value, -0)) {
    return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
  }
  return pyFloatRepr(value);
}

/**
 * Python `str(value)` of parsed YAML data: strings unchanged, `True`/`False`,
 * `None`, numbers as {@link pyNumberStr}, lists and mappings as Python
 * reprs (`['a', 1]`, `{'k': True}`).
 *
 * @example
 * ```ts
 * import { pyStr } from "./pystr.ts";
 * pyStr(true); // "True"
 * pyStr(1.5); // "1.5"
 * pyStr(["a", null]); // "['a', None]"
 * ```
 */
export function pyStr(value: unknown): string {
  return typeof value === "string" ? value : pyReprValue(value);
}

/**
 * Python `repr(value)` of parsed YAML data.
 *
 * @example
 * ```ts
 * import { pyReprValue } from "./pystr.ts";
 * pyReprValue({ a: "x", b: [1, false] }); // "{'a': 'x', 'b': [1, False]}"
 * ```
 */
export function pyReprValue(value: unknown): string {
  if (value === null || value === undefined) return "None";
  switch (typeof value) {
    case "string":
      return pyRepr(value);
    case "boolean":
      return value ? "True" : "False";
    case "number":
    case "bigint":
      return pyNumberStr(value);
  }
  if (Array.isArray(value)) return `[${value.map(pyReprValue).join(", ")}]`;
  if (isMapping(value)) {
    const items = Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyReprValue(v)}`);
    return `{${items.join(", ")}}`;
  }
  if (value instanceof Uint8Array) return pyBytesRepr(value);
  return String(value);
}

/**
 * Python `repr(bytes)`: `b'...'` with `\\xNN` escapes.
 *
 * @example
 * ```ts
 * import { pyBytesRepr } from "./pystr.ts";
 * pyBytesRepr(new Uint8Array([104, 105, 0])); // "b'hi\\x00'"
 * ```
 */
export function pyBytesRepr(bytes: Uint8Array): string {
  const hasSingle = bytes.includes(0x27);
  const quote = hasSingle && !bytes.includes(0x22) ? '"' : "'";
  let out = "b" + quote;
  for (const b of bytes) {
    if (b === quote.charCodeAt(0) || b === 0x5c) out += "\\" + String.fromCharCode(b);
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x09) out += "\\t";
    else if (b < 0x20 || b >= 0x7f) out += "\\x" + hex(b, 2);
    else out += String.fromCharCode(b);
  }
  return out + quote;
}
