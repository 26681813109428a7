/**
 * Python's `int(x)` for parsed config values, as pgmonkey (Python) applies it
 * to `max_size` and to `pg_settings.setting` in `pgserverconfig`.
 *
 * @module
 */

/** ASCII digits with single `_` separators, an optional sign: what `int(str)` accepts. */
const INT_TEXT = /^[+-]?[0-9]+(?:_[0-9]+)*$/;

/**
 * Python `int(value)`, or `undefined` where Python raises (`ValueError`,
 * `TypeError`, `OverflowError`):
 *
 * - integers and bigints as they are; `true`/`false` → `1`/`0`;
 * - other finite numbers are truncated toward zero (`int(20.5)` → `20`);
 * - strings: surrounding whitespace ignored, optional sign, decimal digits
 *   with single `_` separators, leading zeros allowed (`' 30 '`, `'1_000'`,
 *   `'007'`); `'20.5'`, `'abc'`, `''` fail. Only ASCII digits are accepted
 *   (Python also takes other Unicode decimal digits);
 * - `null`, NaN, infinities, lists, mappings, dates fail.
 *
 * @example
 * ```ts
 * import { pyInt } from "./pyint.ts";
 * pyInt("30"); // 30n
 * pyInt(20.5); // 20n
 * pyInt("20.5"); // undefined
 * ```
 */
export function pyInt(value: unknown): bigint | undefined {
  switch (typeof value) {
    case "bigint":
      return value;
    case "boolean":
      return value ? 1n : 0n;
    case "number":
      return Number.isFinite(value) ? BigInt(Math.trunc(value)) : undefined;
    case "string": {
      const text = value.trim();
      return INT_TEXT.test(text) ? BigInt(text.replaceAll("_", "")) : undefined;
    }
    default:
      return undefined;
  }
}
