/**
 * How generated programs and their header lines describe each connection
 * type and library (pgmonkey (Python)'s wording).
 *
 * @module
 */
import type { ConnectionType } from "../config/types.ts";

/** The libraries `generate-code --library` can target. */
export type CodegenLibrary = "pgmonkey" | "postgres";

/**
 * How the header line and the example comment describe each connection
 * type — pgmonkey (Python)'s wording (`Generated normal synchronous
 * connection code using pgmonkey:`).
 */
export const CONNECTION_DESCRIPTIONS: Readonly<Record<ConnectionType, string>> = {
  normal: "normal synchronous",
  pool: "pooled synchronous",
  async: "asynchronous",
  async_pool: "asynchronous pooled",
};

/** The library names shown in the header line and the example comment. */
export const LIBRARY_LABELS: Readonly<Record<CodegenLibrary, string>> = {
  pgmonkey: "pgmonkey",
  postgres: "postgres.js",
};

/** What each type means here, where every call is awaited. */
export const TYPE_NOTES: Readonly<Record<ConnectionType, string>> = {
  normal: "One dedicated connection with sync_settings (every call is awaited).",
  pool: "A pool sized by pool_settings, sessions get sync_settings.",
  async: "One dedicated connection with async_settings.",
  async_pool: "A pool sized by async_pool_settings, sessions get async_settings.",
};

/**
 * Whether `type` is one of the pool types.
 *
 * @example
 * ```ts
 * import { isPoolType } from "./describe.ts";
 * isPoolType("async_pool"); // true
 * ```
 */
export function isPoolType(type: ConnectionType): boolean {
  return type === "pool" || type === "async_pool";
}

/**
 * `// Example: Pooled synchronous connection using pgmonkey`.
 *
 * @example
 * ```ts
 * import { exampleTitle } from "./describe.ts";
 * exampleTitle("async", "postgres"); // "// Example: Asynchronous connection using postgres.js"
 * ```
 */
export function exampleTitle(type: ConnectionType, library: CodegenLibrary): string {
  const d = CONNECTION_DESCRIPTIONS[type];
  return `// Example: ${d[0].toUpperCase()}${d.slice(1)} connection using ${
    LIBRARY_LABELS[library]
  }`;
}

/** Turns program lines into text: one `\n` after each line. */
export function joinLines(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join("");
}
