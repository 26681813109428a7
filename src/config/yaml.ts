/**
 * YAML parsing with PyYAML `safe_load` semantics (YAML 1.1), so that a config
 * file means the same thing here as in pgmonkey (Python).
 *
 * Implicit typing of plain (unquoted) scalars follows PyYAML's resolver
 * exactly, not the YAML 1.1 spec:
 *
 * | text | value |
 * |---|---|
 * | `yes no on off true false` (lower, Capitalized or UPPER case) | boolean |
 * | `y n Y N yEs` | string |
 * | `~ null Null NULL` and empty | `null` |
 * | `0777` / `0b101` / `0x1F` / `1_000` / `1:30` | 511 / 5 / 31 / 1000 / 90 |
 * | `09`, `0o17` | string |
 * | `1.5`, `1.`, `.5`, `1.5e+3`, `1:30.5`, `.inf`, `-.inf`, `.nan` | number |
 * | `1e3`, `1.5e3` (no `.` or unsigned exponent) | string |
 * | `2024-01-02`, `2024-01-02 10:00:00` | string (see below) |
 * | `=` | error (as in PyYAML) |
 *
 * **Timestamps** are returned as strings, namely the text Python's `str()`
 * gives for the `date`/`datetime` PyYAML constructs: `2024-01-02`,
 * `2001-12-14 21:59:43.100000-05:00`, `2024-01-02 10:00:00+00:00` (for `Z`).
 * That is what pgmonkey (Python) sends to the server (`str(value)`) and hashes
 * (`json.dumps(default=str)`), so both stay identical; impossible dates
 * (`2024-02-30`) are errors, as in PyYAML.
 *
 * Duplicate keys: the last value wins (PyYAML). Merge keys (`<<`) are
 * supported. Keys are strings (a JS object): `1:` becomes `"1"`, `yes:`
 * becomes `"true"`. A list or mapping used as a key is an error ("found
 * unhashable key"). Integers beyond 2^53 lose precision (JS numbers).
 * `!!binary` gives a `Uint8Array`; `!!set`/`!!omap`/`!!pairs` give npm:yaml's
 * `Set`/`Map` values (PyYAML: set, list of tuples). Alias expansion is capped
 * at 1000 (a guard against "billion laughs" files; PyYAML has no cap).
 *
 * @module
 */

import {
  isCollection,
  isPair,
  LineCounter,
  parseAllDocuments,
  type ScalarTag,
  Schema,
  visit,
} from "yaml";
import { ConfigError } from "../errors.ts";

const INT_TAG = "tag:yaml.org,2002:int";
const FLOAT_TAG = "tag:yaml.org,2002:float";
const BOOL_TAG = "tag:yaml.org,2002:bool";
const NULL_TAG = "tag:yaml.org,2002:null";
const TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp";
const VALUE_TAG = "tag:yaml.org,2002:value";

// PyYAML's implicit resolvers (yaml/resolver.py), verbatim.
const BOOL_RE = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const NULL_RE = /^(?:~|null|Null|NULL|)$/;
const INT_RE =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT_RE =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const TIMESTAMP_RE =
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;
// PyYAML's SafeConstructor.timestamp_regexp.
const TIMESTAMP_PARTS_RE =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;

/** PyYAML `construct_yaml_bool` (case-insensitive for explicit `!!bool`). */
function constructBool(text: string): boolean {
  const lower = text.toLowerCase();
  if (lower === "yes" || lower === "true" || lower === "on") return true;
  if (lower === "no" || lower === "false" || lower === "off") return false;
  throw new Error(`invalid boolean ${JSON.stringify(text)}`);
}

function parseRadix(digits: string, radix: 2 | 8 | 10 | 16): number {
  const ok = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix];
  if (!ok.test(digits)) throw new Error(`invalid literal for int() with base ${radix}`);
  if (radix === 10) return Number(digits);
  const prefix = { 2: "0b", 8: "0o", 16: "0x" }[radix];
  return Number(BigInt(prefix + digits));
}

/** PyYAML `construct_yaml_int`. */
function constructInt(text: string): number {
  let s = text.replaceAll("_", "");
  const sign = s[0] === "-" ? -1 : 1;
  if (s[0] === "-" || s[0] === "+") s = s.slice(1);
  let value: number;
  if (s === "0") value = 0;
  else if (s.startsWith("0b")) value = parseRadix(s.slice(2), 2);
  else if (s.startsWith("0x")) value = parseRadix(s.slice(2), 16);
  else if (s[0] === "0") value = parseRadix(s, 8);
  else if (s.includes(":")) {
    value = 0;
    for (const part of s.split(":")) value = value * 60 + parseRadix(part, 10);
  } else value = parseRadix(s, 10);
  return sign * value || 0;
}

const PY_FLOAT_RE = /^(?:[0-9]+\.?[0-9]*(?:e[-+]?[0-9]+)?|\.[0-9]+(?:e[-+]?[0-9]+)?)$/;

function pyFloat(text: string): number {
  if (text === "inf" || text === "infinity") return Infinity;
  if (text === "nan") return NaN;
  if (!PY_FLOAT_RE.test(text)) throw new Error("could not convert string to float");
  return Number(text);
}

/** PyYAML `construct_yaml_float`. */
function constructFloat(text: string): number {
  let s = text.replaceAll("_", "").toLowerCase();
  const sign = s[0] === "-" ? -1 : 1;
  if (s[0] === "-" || s[0] === "+") s = s.slice(1);
  if (s === ".inf") return sign * Infinity;
  if (s === ".nan") return NaN;
  if (s.includes(":")) {
    let value = 0;
    for (const part of s.split(":")) value = value * 60 + pyFloat(part);
    return sign * value;
  }
  return sign * pyFloat(s);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/**
 * PyYAML `construct_yaml_timestamp` followed by Python `str()` of the
 * resulting `date` / `datetime`.
 */
function constructTimestamp(text: string): string {
  const m = TIMESTAMP_PARTS_RE.exec(text);
  if (!m) throw new Error("invalid timestamp");
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1) throw new Error(`year ${year} is out of range`);
  if (month < 1 || month > 12) throw new Error("month must be in 1..12");
  if (day < 1 || day > daysInMonth(year, month)) throw new Error("day is out of range for month");
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  if (m[4] === undefined) return date;
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hour > 23) throw new Error("hour must be in 0..23");
  if (minute > 59) throw new Error("minute must be in 0..59");
  if (second > 59) throw new Error("second must be in 0..59");
  let out = `${date} ${pad(hour)}:${pad(minute)}:${pad(second)}`;
  const fraction = Number((m[7] ?? "").slice(0, 6).padEnd(6, "0"));
  if (fraction) out += `.${pad(fraction, 6)}`;
  if (m[8] === "Z") out += "+00:00";
  else if (m[9] !== undefined) {
    const minutes = Number(m[10]) * 60 + Number(m[11] ?? 0);
    if (minutes >= 24 * 60) {
      throw new Error(
        "offset must be strictly between -timedelta(hours=24) and timedelta(hours=24)",
      );
    }
    const sign = minutes === 0 || m[9] === "+" ? "+" : "-";
    out += `${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  }
  return out;
}

/** An implicit resolver plus a test-less twin used for explicit `!!tag` values. */
function tagPair(tag: string, test: RegExp, resolve: (text: string) => unknown): ScalarTag[] {
  const implicit: ScalarTag = { tag, default: true, test, resolve: (text) => resolve(text) };
  const explicit: ScalarTag = { tag, default: false, resolve: (text) => resolve(text) };
  return [implicit, explicit];
}

const valueTag: ScalarTag = {
  tag: VALUE_TAG,
  default: true,
  test: /^=$/,
  resolve(text, onError) {
    onError(`could not determine a constructor for the tag '${VALUE_TAG}'`);
    return text;
  },
};

/** The PyYAML-compatible schema (failsafe map/seq/str + PyYAML's resolvers). */
const PYYAML_SCHEMA = new Schema({
  schema: "failsafe",
  merge: true,
  resolveKnownTags: false,
  customTags: [
    ...tagPair(BOOL_TAG, BOOL_RE, constructBool),
    ...tagPair(FLOAT_TAG, FLOAT_RE, constructFloat),
    ...tagPair(INT_TAG, INT_RE, constructInt),
    ...tagPair(NULL_TAG, NULL_RE, () => null),
    ...tagPair(TIMESTAMP_TAG, TIMESTAMP_RE, constructTimestamp),
    valueTag,
    "binary",
    "omap",
    "pairs",
    "set",
  ],
});

const MAX_REASON = 120;

function yamlError(
  file: string | undefined,
  reason: string,
  pos?: { line: number; col: number },
): ConfigError {
  let short = reason.split("\n")[0].replace(/ at line \d+, column \d+:?\s*$/, "").trim();
  if (/^[A-Z](?:[a-z]| )/.test(short)) short = short[0].toLowerCase() + short.slice(1);
  if (short.length > MAX_REASON) short = short.slice(0, MAX_REASON - 3) + "...";
  const where = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
  return new ConfigError(`invalid YAML${where}: ${short}`, { file });
}

/**
 * Parses one YAML document the way PyYAML's `safe_load` does (see the module
 * documentation for the typing rules). An empty document (or one holding
 * only comments) gives `null`.
 *
 * Throws `ConfigError` with a one-line message such as
 * `config.yaml: invalid YAML at line 3, column 5: missing closing "quote`
 * for malformed YAML, several documents in one file, unknown tags
 * (`!python/object`), unhashable keys and impossible timestamps.
 *
 * @param text The YAML source.
 * @param file The file name used in error messages.
 *
 * @example
 * ```ts
 * import { parseYaml } from "./yaml.ts";
 * parseYaml("a: yes\nb: y\nc: 0777\nd: 1e3\n");
 * // { a: true, b: "y", c: 511, d: "1e3" }
 * ```
 */
export function parseYaml(text: string, file?: string): unknown {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    version: "1.1",
    schema: PYYAML_SCHEMA,
    uniqueKeys: false,
    lineCounter,
    logLevel: "silent",
    prettyErrors: true,
  });
  if (docs.length === 0) return null;
  const doc = docs[0];
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw yamlError(file, problem.message, problem.linePos?.[0]);
  if (docs.length > 1) {
    // PyYAML stops at the start of the second document.
    const pos = lineCounter.linePos(docs[1].range[0]);
    throw yamlError(file, "expected a single document but found another document", pos);
  }
  let unhashable: number | undefined;
  visit(doc, {
    Pair(_key, pair) {
      if (isPair(pair) && isCollection(pair.key)) {
        unhashable = pair.key.range?.[0] ?? 0;
        return visit.BREAK;
      }
    },
  });
  if (unhashable !== undefined) {
    throw yamlError(file, "found unhashable key", lineCounter.linePos(unhashable));
  }
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw yamlError(file, e instanceof Error ? e.message : String(e));
  }
}
