/**
 * Small helpers for looking at parsed config values the way Python does
 * (`isinstance(v, dict)`, truthiness, type names in messages).
 *
 * @module
 */

/**
 * A parsed YAML mapping (a plain object).
 *
 * @example
 * ```ts
 * import type { Mapping } from "./values.ts";
 * const section: Mapping = { host: "localhost", port: 5432 };
 * ```
 */
export type Mapping = Record<string, unknown>;

/**
 * True for a plain object — what PyYAML would give as a `dict`. Arrays,
 * `null`, Dates, byte arrays and class instances are not mappings.
 *
 * @example
 * ```ts
 * import { isMapping } from "./values.ts";
 * isMapping({ a: 1 }); // true
 * isMapping([1]); // false
 * ```
 */
export function isMapping(value: unknown): value is Mapping {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Python truthiness: `None`, `False`, `0`, `''`, `[]` and `{}` are falsy;
 * `NaN` is truthy (as in Python).
 *
 * @example
 * ```ts
 * import { pyTruthy } from "./values.ts";
 * pyTruthy(0); // false
 * pyTruthy([]); // false
 * pyTruthy("x"); // true
 * ```
 */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  switch (typeof value) {
    case "boolean":
      return value;
    case "number":
      return value !== 0;
    case "bigint":
      return value !== 0n;
    case "string":
      return value.length > 0;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (value instanceof Uint8Array) return value.length > 0;
  if (isMapping(value)) return Object.keys(value).length > 0;
  return true;
}

/**
 * A short, value-free name of a value's type for error messages:
 * `null`, `boolean`, `integer`, `number`, `string`, `list`, `mapping`, …
 *
 * @example
 * ```ts
 * import { typeName } from "./values.ts";
 * typeName([1, 2]); // "list"
 * typeName(1.5); // "number"
 * ```
 */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "list";
  if (isMapping(value)) return "mapping";
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) ? "integer" : "number";
    case "bigint":
      return "integer";
    case "string":
    case "boolean":
      return typeof value;
  }
  if (value instanceof Uint8Array) return "binary value";
  if (value instanceof Set) return "set";
  if (value instanceof Map) return "mapping";
  if (value instanceof Date) return "date";
  return typeof value;
}

/**
 * {@link typeName} with an article, for "got …" messages: `a list`,
 * `an integer`, `null`.
 *
 * @example
 * ```ts
 * import { describeType } from "./values.ts";
 * describeType([]); // "a list"
 * describeType(null); // "null"
 * ```
 */
export function describeType(value: unknown): string {
  const name = typeName(value);
  if (name === "null") return name;
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

/**
 * Deep copy of plain data (mappings and lists are copied, everything else is
 * shared), like Python's `copy.deepcopy` on YAML data.
 *
 * @example
 * ```ts
 * import { deepCopy } from "./values.ts";
 * const a = { x: [1, { y: 2 }] };
 * const b = deepCopy(a);
 * b.x.push(3); // `a` is unchanged
 * ```
 */
export function deepCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => deepCopy(v)) as T;
  if (isMapping(value)) {
    const out: Mapping = {};
    for (const [k, v] of Object.entries(value)) defineEntry(out, k, deepCopy(v));
    return out as T;
  }
  return value;
}

/**
 * Sets `obj[key] = value` as an own, enumerable property even when `key` is
 * `__proto__` (which plain assignment would treat as the prototype).
 *
 * @example
 * ```ts
 * import { defineEntry } from "./values.ts";
 * const o: Record<string, unknown> = {};
 * defineEntry(o, "__proto__", 1);
 * Object.keys(o); // ["__proto__"]
 * ```
 */
export function defineEntry(obj: Mapping, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}
