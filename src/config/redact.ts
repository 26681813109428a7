/**
 * Masking secrets in configs and in text. Same rule as pgmonkey (Python)'s
 * `redact_config`, plus one fix: lists are walked too, so
 * `[{password: "p"}]` no longer leaks.
 *
 * @module
 */

import { isSensitiveKey } from "./sensitive.ts";
import { defineEntry, isMapping, type Mapping, pyTruthy } from "./values.ts";

/**
 * The mask that replaces a secret value.
 *
 * @example
 * ```ts
 * import { REDACTED, redactConfig } from "./redact.ts";
 * redactConfig({ password: "pw" }).password === REDACTED; // true
 * ```
 */
export const REDACTED = "***REDACTED***";

function redactValue(value: unknown): unknown {
  if (isMapping(value)) return redactMapping(value);
  if (Array.isArray(value)) return value.map(redactValue);
  return value;
}

function redactMapping(config: Mapping): Mapping {
  const result: Mapping = {};
  for (const [key, value] of Object.entries(config)) {
    let out: unknown;
    if (isMapping(value)) out = redactMapping(value);
    else if (isSensitiveKey(key) && pyTruthy(value)) out = REDACTED;
    else out = redactValue(value);
    defineEntry(result, key, out);
  }
  return result;
}

/**
 * Returns a deep copy of `config` in which every truthy value under a
 * sensitive key (see `isSensitiveKey`) is replaced by `'***REDACTED***'`.
 * Mappings are walked (so `password: {from_env: X}` stays visible, it holds
 * no secret), and — unlike upstream — so are lists. Empty strings, `null`,
 * `0`, `false` and `[]` are kept (nothing to leak). A value that is neither
 * a mapping nor a list is returned unchanged.
 *
 * @example
 * ```ts
 * import { redactConfig } from "./redact.ts";
 * redactConfig({ connection_settings: { user: "u", password: "pw", sslkey: "" } });
 * // { connection_settings: { user: "u", password: "***REDACTED***", sslkey: "" } }
 * ```
 */
export function redactConfig<T>(config: T): T {
  return redactValue(config) as T;
}

/**
 * Sensitive keys whose values are file paths (or the word `system`): masked by
 * `redactConfig`, as upstream does, but not secrets to scrub from messages —
 * an error must be able to name the certificate or key file it is about.
 */
const PATH_KEYS = new Set(["sslkey", "sslcert", "sslrootcert"]);

function collectInto(value: unknown, underSensitive: boolean, out: Set<string>): void {
  if (isMapping(value)) {
    for (const [key, v] of Object.entries(value)) {
      collectInto(v, isSensitiveKey(key) && !PATH_KEYS.has(key.toLowerCase()), out);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) collectInto(item, underSensitive, out);
  } else if (underSensitive) {
    if (typeof value === "string" && value !== "") out.add(value);
    else if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "bigint") {
      if (value) out.add(String(value));
    }
  }
}

/**
 * Every secret in `config`: the non-empty strings (and non-zero numbers, as
 * text) held by sensitive keys at any depth, including strings inside lists
 * under a sensitive key — except `sslkey`, `sslcert` and `sslrootcert`, whose
 * values are file paths (or `system`), which messages must be able to name.
 * A `password: {from_env: X}` reference contributes nothing (`X` is not a
 * secret). Feed the result to {@link redactText}.
 *
 * @example
 * ```ts
 * import { collectSecrets } from "./redact.ts";
 * collectSecrets({ connection_settings: { user: "u", password: "pw" }, x: { api_token: "t" } });
 * // ["pw", "t"]
 * ```
 */
export function collectSecrets(config: unknown): string[] {
  const out = new Set<string>();
  collectInto(config, false, out);
  return [...out];
}

/**
 * Replaces every occurrence of each non-empty secret in `text` with
 * `'***REDACTED***'` (longest secrets first, so a secret that contains
 * another is masked whole). Use it on error messages that may echo
 * connection parameters.
 *
 * @example
 * ```ts
 * import { redactText } from "./redact.ts";
 * redactText("password authentication failed for 's3cr3t'", ["s3cr3t"]);
 * // "password authentication failed for '***REDACTED***'"
 * ```
 */
export function redactText(text: string, secrets: readonly string[]): string {
  // Only the secrets that occur; no regular expression (a 70000-byte password
  // would make one too large to compile, and the crash would show it).
  const present = [
    ...new Set(secrets.filter((s) => typeof s === "string" && s !== "" && text.includes(s))),
  ];
  if (present.length === 0) return text;
  present.sort((a, b) => b.length - a.length);
  // One pass, so a short secret can never match inside an inserted mask.
  let out = "";
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const secret = present.find((s) => text.startsWith(s, i));
    if (secret === undefined) {
      i++;
      continue;
    }
    out += text.slice(copied, i) + REDACTED;
    i += secret.length;
    copied = i;
  }
  return out + text.slice(copied);
}
