/**
 * Output of the `pgmonkey` CLI: stdout/stderr writers, secret redaction of
 * everything printed about errors, and the mapping of errors to exit
 * statuses (0 success, 1 runtime failure, 2 usage error).
 *
 * Uses `node:process` only, so the same code runs on Node.
 *
 * @example
 * ```ts
 * import { processOutput, reportError, Secrets } from "./output.ts";
 * const secrets = new Secrets();
 * secrets.addConfig({ connection_settings: { password: "s3cret" } });
 * const status = reportError(processOutput, "pgmonkey: error: ", new Error("bad s3cret"), secrets);
 * // stderr: "pgmonkey: error: bad ***REDACTED***", status 1
 * ```
 *
 * @module
 */
import process from "node:process";
import { collectSecrets, redactText } from "../config/redact.ts";
import { isSensitiveKey } from "../config/sensitive.ts";
import { UsageError } from "./args.ts";

/** Where the CLI writes. Both functions take text that already ends with `\n`. */
export interface Output {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
}

/**
 * The process's stdout and stderr (synchronous writes under Deno, so output
 * is complete when the CLI exits).
 *
 * @example
 * ```ts
 * import { processOutput } from "./output.ts";
 * processOutput.stdout("hello\n");
 * ```
 */
export const processOutput: Output = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * An expected runtime failure whose message is ready to print (exit status 1).
 *
 * @example
 * ```ts
 * import { CliError } from "./output.ts";
 * throw new CliError("Configuration file already exists: config.yaml");
 * ```
 */
export class CliError extends Error {
  /** Creates the error with a one-line message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CliError";
  }
}

/** Error classes whose message is meant for users (no "unexpected" marker). */
const EXPECTED_ERRORS = new Set([
  "CliError",
  "ConfigError",
  "ConnectionError",
  "EnvInterpolationError",
  "PoolTimeoutError",
  "RecommendError",
  "PostgresError",
]);

/**
 * Every secret the CLI has seen (passwords and other sensitive values of the
 * configs it loaded, before and after interpolation). Everything printed about
 * an error goes through {@link Secrets.redact}.
 *
 * @example
 * ```ts
 * import { Secrets } from "./output.ts";
 * const secrets = new Secrets();
 * secrets.addConfig({ connection_settings: { password: "pw-123" } });
 * secrets.redact("auth failed for pw-123"); // "auth failed for ***REDACTED***"
 * ```
 */
export class Secrets {
  readonly #values = new Set<string>();

  /** Adds the secrets held by a (raw or interpolated) config. */
  addConfig(config: unknown): void {
    for (const s of collectSecrets(config)) this.#values.add(s);
  }

  /**
   * Best effort for a config file that does not parse: the values of
   * `sensitive_key: value` lines of its text.
   */
  addFromText(text: string): void {
    for (const line of text.split("\n")) {
      const m = /^\s*(?:-\s+)?["']?([\w.-]+)["']?\s*:\s*(.*?)\s*$/.exec(line);
      if (!m || !isSensitiveKey(m[1])) continue;
      const value = m[2].replace(/\s+#.*$/, "");
      for (const v of [value, value.replace(/^(["'])(.*)\1$/, "$2")]) {
        if (v !== "" && v !== "''" && v !== '""') this.#values.add(v);
      }
    }
  }

  /** `text` with every known secret replaced by `***REDACTED***`. */
  redact(text: string): string {
    return redactText(text, [...this.#values]);
  }
}

/** True when `PGMONKEY_DEBUG` is set to something other than `''`/`0`. */
export function debugEnabled(): boolean {
  try {
    const value = process.env.PGMONKEY_DEBUG;
    return value !== undefined && value !== "" && value !== "0";
  } catch {
    return false; // no permission to read the environment
  }
}

/** The exit status for an error: 2 for usage errors, 1 for everything else. */
export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}

/**
 * The user-facing, one-line text of an error. Known pgmonkey and driver
 * errors show their message; anything else is marked unexpected with its
 * class name.
 *
 * @example
 * ```ts
 * import { describeError } from "./output.ts";
 * describeError(new TypeError("x is undefined")); // "unexpected TypeError: x is undefined"
 * ```
 */
export function describeError(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    // Driver and network errors carry a string code (ECONNRESET, CONNECTION_CLOSED, SQLSTATE).
    const expected = EXPECTED_ERRORS.has(error.name) ||
      EXPECTED_ERRORS.has(error.constructor.name) ||
      typeof (error as { code?: unknown }).code === "string";
    text = expected ? error.message : `unexpected ${error.name}: ${error.message}`;
  } else {
    text = `unexpected error: ${String(error)}`;
  }
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * Prints one line `<prefix><message>` to stderr (redacted; with
 * `PGMONKEY_DEBUG=1` followed by the stack and causes, also redacted) and
 * returns the exit status for the error.
 *
 * @example
 * ```ts
 * import { processOutput, reportError, Secrets } from "./output.ts";
 * const status = reportError(processOutput, "pgmonkey: error: ", new Error("boom"), new Secrets());
 * // status === 1
 * ```
 */
export function reportError(io: Output, prefix: string, error: unknown, secrets: Secrets): number {
  io.stderr(`${prefix}${secrets.redact(describeError(error))}\n`);
  if (debugEnabled()) {
    let current: unknown = error;
    for (let depth = 0; current !== undefined && depth < 5; depth++) {
      const stack = current instanceof Error ? current.stack ?? String(current) : String(current);
      io.stderr(`${depth === 0 ? "" : "Caused by: "}${secrets.redact(stack)}\n`);
      current = current instanceof Error ? current.cause : undefined;
    }
  }
  return exitCodeFor(error);
}
