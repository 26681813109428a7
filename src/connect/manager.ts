/**
 * `PGConnectionManager`: turns a config file (or object) and a connection type
 * into a cached connection handle.
 *
 * @module
 */
import process from "node:process";
import { pyJsonDumps, sha256Hex } from "../config/hash.ts";
import {
  applyLoadOptions,
  loadConfigFromObject,
  parseConfigText,
  readConfigTextSync,
} from "../config/load.ts";
import { resolveConnectionType, validateConfig } from "../config/validate.ts";
import type { ConnectionType, LoadOptions, RawConfig } from "../config/types.ts";
import type { PGConnection } from "./handle.ts";
import { openConnection } from "./open.ts";
import type { PostgresPassthrough } from "./options.ts";

/** Options of `getDatabaseConnection` / `getDatabaseConnectionFromConfig`. */
export interface GetConnectionOptions extends LoadOptions {
  /** Close the cached handle for this config and type, and open a new one. */
  forceReload?: boolean;
  /**
   * postgres.js options for every connection of the handle: `transform`
   * (e.g. `postgres.camel`), `types`, `onnotice`, `onnotify`, `onparameter`,
   * `debug`, `fetch_types`, `prepare`, `max_pipeline`, `connection`,
   * `backoff`, `publications`. Options the layer owns (host, port, user,
   * password, ssl, max, timeouts, socket…) are refused with a `ConfigError`:
   * they come from the config file. Handles with different `postgres`
   * options are cached apart.
   */
  postgres?: PostgresPassthrough;
}

/** A stable text for a `postgres` options object (functions by their source), for the cache key. */
function optionsKey(options: unknown): string {
  if (options === undefined) return "";
  const seen = new WeakMap<object, number>();
  let ids = 0;
  return JSON.stringify(options, (_k, v) => {
    if (typeof v === "function") return `fn:${v.toString()}`;
    if (v && typeof v === "object") {
      if (seen.has(v)) return `ref:${seen.get(v)}`;
      seen.set(v, ids++);
      if (!Array.isArray(v)) {
        return Object.fromEntries(
          Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]),
        );
      }
    }
    return v;
  });
}

/** What `cacheInfo` reports. */
export interface CacheInfo {
  /** Number of cached handles. */
  size: number;
  /** One entry per cached handle: the first 12 hex digits of its config hash, and its type. */
  entries: { key: string; connectionType: ConnectionType }[];
}

interface Entry {
  type: ConnectionType;
  handle: Promise<PGConnection>;
}

/**
 * Hands out connection handles, one per (resolved config, type): the same
 * config content and type always give the same handle, also under a storm of
 * concurrent first calls (the in-flight creation is shared). A failed creation
 * is not cached.
 *
 * @example
 * ```ts ignore
 * import { PGConnectionManager } from "@pgmonkey/pgmonkey";
 *
 * const manager = new PGConnectionManager();
 * const db = await manager.getDatabaseConnection("config.yaml", "pool", { resolveEnv: true });
 * const rows = await db.transaction(async (tx) => {
 *   await tx`INSERT INTO customers ${tx({ name: "Frank" })}`;
 *   return await tx`SELECT name FROM customers`;
 * });
 * console.log(rows.length, manager.cacheInfo);
 * await manager.clearCache();
 * ```
 */
export class PGConnectionManager {
  readonly #cache = new Map<string, Entry>();
  /** Last parse of each file, keyed by path: parsed again only when the text changes. */
  readonly #parsed = new Map<string, { text: string; value: unknown }>();
  /** sha256 (hex) of a config's canonical JSON, keyed by that JSON (bounded). */
  readonly #digests = new Map<string, string>();

  /**
   * A handle for the config in `path`. `type` defaults to the file's
   * `connection_type`, then `normal`.
   */
  async getDatabaseConnection(
    path: string,
    type?: ConnectionType | string,
    options: GetConnectionOptions = {},
  ): Promise<PGConnection> {
    const text = readConfigTextSync(path);
    let parsed = this.#parsed.get(path);
    if (parsed === undefined || parsed.text !== text) {
      parsed = { text, value: parseConfigText(text, path) };
      this.#parsed.set(path, parsed);
    }
    const raw = applyLoadOptions(parsed.value, options);
    return await this.#get(raw, type, options, path);
  }

  /** A handle for an in-memory config object (same rules as a file). */
  async getDatabaseConnectionFromConfig(
    config: RawConfig,
    type?: ConnectionType | string,
    options: GetConnectionOptions = {},
  ): Promise<PGConnection> {
    const raw = loadConfigFromObject(config, options);
    return await this.#get(raw, type, options);
  }

  /** Size of the cache and the type of every cached handle. */
  get cacheInfo(): CacheInfo {
    return {
      size: this.#cache.size,
      entries: [...this.#cache.entries()].map(([key, e]) => ({
        key: key.slice(0, 12),
        connectionType: e.type,
      })),
    };
  }

  /**
   * Closes every cached handle and empties the cache. In-flight queries get up
   * to `timeoutSeconds` (default 5) to finish. Never throws.
   */
  async clearCache(timeoutSeconds = 5): Promise<void> {
    const entries = [...this.#cache.values()];
    this.#cache.clear();
    await Promise.all(entries.map((e) => closeQuietly(e.handle, timeoutSeconds)));
  }

  /**
   * Opt-in graceful shutdown: on SIGINT or SIGTERM, stop handing out work,
   * let in-flight queries and transactions finish for up to `timeoutSeconds`
   * (default 10), close every cached handle, then exit with the usual status
   * (130 for SIGINT, 143 for SIGTERM). Returns a function that removes the
   * handlers. The handlers do not keep the process alive.
   *
   * @example
   * ```ts ignore
   * const manager = new PGConnectionManager();
   * manager.closeOnSignals({ timeoutSeconds: 15 });
   * ```
   */
  closeOnSignals(options: { timeoutSeconds?: number; exit?: boolean } = {}): () => void {
    const timeout = options.timeoutSeconds ?? 10;
    const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
      const handler = () => {
        void this.clearCache(timeout).finally(() => {
          if (options.exit !== false) process.exit(signal === "SIGINT" ? 130 : 143);
        });
      };
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });
    return () => handlers.forEach((off) => off());
  }

  async #digest(raw: unknown): Promise<string> {
    const json = pyJsonDumps(raw);
    let hex = this.#digests.get(json);
    if (hex === undefined) {
      hex = await sha256Hex(json);
      if (this.#digests.size >= 64) this.#digests.clear();
      this.#digests.set(json, hex);
    }
    return hex;
  }

  async #get(
    raw: unknown,
    requested: ConnectionType | string | undefined,
    options: GetConnectionOptions,
    file?: string,
  ): Promise<PGConnection> {
    const type = resolveConnectionType(requested, raw, file);
    const config = validateConfig(raw, { file, connectionType: type });
    const extra = optionsKey(options.postgres);
    const key = `${await this.#digest(raw)}:${type}${extra ? `:${await this.#digest(extra)}` : ""}`;
    const existing = this.#cache.get(key);
    if (existing && !options.forceReload) {
      const handle = await existing.handle;
      if (!handle.closed) return handle;
    }
    if (existing) {
      this.#cache.delete(key);
      await closeQuietly(existing.handle);
      // Another caller may have started a fresh handle while we were closing.
      const fresh = this.#cache.get(key);
      if (fresh) return await fresh.handle;
    }
    const entry: Entry = {
      type,
      handle: openConnection(config, type, { postgres: options.postgres, file }),
    };
    this.#cache.set(key, entry);
    try {
      return await entry.handle;
    } catch (e) {
      if (this.#cache.get(key) === entry) this.#cache.delete(key);
      throw e;
    }
  }
}

async function closeQuietly(handle: Promise<PGConnection>, timeoutSeconds = 5): Promise<void> {
  try {
    await (await handle).close(timeoutSeconds);
  } catch {
    // creation failed or close failed: nothing left to close
  }
}
