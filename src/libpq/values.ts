/**
 * Parsing libpq parameter values given as text (environment variables and
 * service file entries) the way libpq does, with one-line errors naming
 * where the value came from.
 *
 * @module
 */
import { type Source, type SourceContext, sourceError } from "./source.ts";

const C_SPACE = /[ \t\n\v\f\r]/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * libpq's integer parameters (`pqParseIntParam`): optional surrounding
 * whitespace, an optional sign, decimal digits, within 32-bit range.
 * Returns `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { parseLibpqInt } from "./values.ts";
 * parseLibpqInt(" 10 "); // 10
 * parseLibpqInt("10s"); // undefined
 * parseLibpqInt("2.5"); // undefined
 * ```
 */
export function parseLibpqInt(text: string): number | undefined {
  let i = 0;
  while (i < text.length && C_SPACE.test(text[i])) i++;
  let j = i;
  if (text[j] === "+" || text[j] === "-") j++;
  const digitsStart = j;
  while (j < text.length && text[j] >= "0" && text[j] <= "9") j++;
  if (j === digitsStart) return undefined;
  const value = Number(text.slice(i, j));
  if (value < INT32_MIN || value > INT32_MAX) return undefined;
  for (let k = j; k < text.length; k++) if (!C_SPACE.test(text[k])) return undefined;
  return value === 0 ? 0 : value; // no -0
}

/**
 * An integer parameter, or a `ConfigError` with libpq's wording:
 * `invalid integer value "x" for connection option "connect_timeout"`.
 *
 * @example
 * ```ts
 * import { libpqInt } from "./values.ts";
 * libpqInt("30", "connect_timeout", "env:PGCONNECT_TIMEOUT"); // 30
 * ```
 */
export function libpqInt(
  text: string,
  keyword: string,
  source: Source,
  context?: SourceContext,
): number {
  const value = parseLibpqInt(text);
  if (value === undefined) {
    throw sourceError(
      source,
      keyword,
      `invalid integer value "${text}" for connection option "${keyword}"`,
      context,
    );
  }
  return value;
}

/**
 * A port list entry: `undefined` for an empty entry (libpq's default, 5432),
 * else an integer from 1 to 65535.
 *
 * @example
 * ```ts
 * import { libpqPort } from "./values.ts";
 * libpqPort("5433", "env:PGPORT"); // 5433
 * libpqPort("", "env:PGPORT"); // undefined
 * ```
 */
export function libpqPort(
  text: string,
  source: Source,
  context?: SourceContext,
): number | undefined {
  if (text === "") return undefined;
  const port = libpqInt(text, "port", source, context);
  if (port < 1 || port > 65535) {
    throw sourceError(
      source,
      "port",
      `invalid port number "${text}"; expected an integer from 1 to 65535`,
      context,
    );
  }
  return port;
}

/**
 * A parameter that takes one of a few words (`sslmode`,
 * `target_session_attrs`, …), or a `ConfigError` naming the source and the
 * valid words.
 *
 * @example
 * ```ts
 * import { libpqChoice } from "./values.ts";
 * libpqChoice("random", "load_balance_hosts", ["disable", "random"], "env:PGLOADBALANCEHOSTS");
 * ```
 */
export function libpqChoice<T extends string>(
  text: string,
  keyword: string,
  allowed: readonly T[],
  source: Source,
  context?: SourceContext,
): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw sourceError(
      source,
      keyword,
      `invalid ${keyword} value "${text}"; expected one of: ${allowed.join(", ")}`,
      context,
    );
  }
  return text as T;
}

/**
 * The time limit libpq applies to each connection attempt, in seconds, from
 * a `connect_timeout` value: none (`undefined`) for zero, negative or unset;
 * at least 2 seconds otherwise ("to prevent waiting hardly at all").
 *
 * @example
 * ```ts
 * import { effectiveConnectTimeout } from "./values.ts";
 * effectiveConnectTimeout(1); // 2
 * effectiveConnectTimeout(0); // undefined
 * effectiveConnectTimeout(10); // 10
 * ```
 */
export function effectiveConnectTimeout(seconds: number | undefined): number | undefined {
  if (seconds === undefined || !(seconds > 0)) return undefined;
  return Math.max(seconds, 2);
}
