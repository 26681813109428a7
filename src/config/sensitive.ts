/**
 * Which config keys hold secrets. Same rule as pgmonkey (Python)'s
 * `_is_sensitive_key`, shared by env interpolation, redaction and the
 * validator's error messages.
 *
 * @module
 */

/**
 * Key names that are sensitive when they match exactly (case-insensitive).
 *
 * @example
 * ```ts
 * import { SENSITIVE_KEYS } from "./sensitive.ts";
 * SENSITIVE_KEYS.includes("password"); // true
 * ```
 */
export const SENSITIVE_KEYS: readonly string[] = ["password", "sslkey", "sslcert", "sslrootcert"];

/**
 * Substrings that make any key sensitive (case-insensitive).
 *
 * @example
 * ```ts
 * import { SENSITIVE_SUBSTRINGS } from "./sensitive.ts";
 * SENSITIVE_SUBSTRINGS.some((s) => "aws_secret_key".includes(s)); // true
 * ```
 */
export const SENSITIVE_SUBSTRINGS: readonly string[] = ["token", "secret", "credential"];

/**
 * True when `key` names a secret: its lower-cased form is one of
 * `password`, `sslkey`, `sslcert`, `sslrootcert`, or contains `token`,
 * `secret` or `credential`.
 *
 * @example
 * ```ts
 * import { isSensitiveKey } from "./sensitive.ts";
 * isSensitiveKey("Password"); // true
 * isSensitiveKey("api_token"); // true
 * isSensitiveKey("password[0]"); // false (as upstream)
 * isSensitiveKey("host"); // false
 * ```
 */
export function isSensitiveKey(key: string): boolean {
  const lower = key.toLowerCase();
  if (SENSITIVE_KEYS.includes(lower)) return true;
  return SENSITIVE_SUBSTRINGS.some((sub) => lower.includes(sub));
}
