/**
 * `PGConnectionManager`: turns a config file (or object) and a connection type
 * into a cached connection handle.
 *
 * @module
 */
import process from "node:process";
import { pyJsonDumps, sha256Hex } from "../config/hash.ts";
import {
  loadConfigFile,
  loadConfigObject,
  type LoadedConfig,
  type ParseCache,
  passwordRereader,
} from "../config/load.ts";
import type { ConnectionType, LoadOptions, RawConfig } from "../config/types.ts";
import { printWarning, type WarningHandler } from "../config/warn.ts";
import type { PGConnection } from "./handle.ts";
import { openConnection } from "./open.ts";
import type { PostgresPassthrough } from "./options.ts";
import type { HandleHealth, Sql } from "./handle.ts";
import { prometheusText } from "./metrics.ts";
import { isMapping } from "../config/values.ts";

/**
 * Options of `getDatabaseConnection` / `getDatabaseConnectionFromConfig`:
 * the loader's options (`resolveEnv`, `allowSensitiveDefaults`, and an
 * `onWarning` for this call) plus `forceReload`.
 *
 * @example
 * ```ts ignore
 * import { type GetConnectionOptions, PGConnectionManager } from "@pgmonkey/pgmonkey";
 * const options: GetConnectionOptions = { resolveEnv: true, forceReload: true };
 * const db = await new PGConnectionManager().getDatabaseConnection("config.yaml", "pool", options);
 * ```
 */
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
  /**
   * Runs once on every new physical connection before it is first used, on
   * all four types (e.g. `SET ROLE`, loading extensions' types). `sql` is that
   * one connection. A hook that throws fails that connection with
   * `onConnect failed on host:port: …`, and it is never handed out. Handles
   * with different hooks are cached apart.
   *
   * @example
   * ```ts ignore
   * const db = await manager.getDatabaseConnection("config.yaml", "pool", {
   *   onConnect: async (sql) => {
   *     await sql`SET ROLE app_reader`;
   *   },
   * });
   * ```
   */
  onConnect?: (sql: Sql) => unknown;
  /**
   * The password, asked for by every new physical connection: a cloud IAM
   * token, a rotating secret. Wins over the config's password and libpq's
   * sources (`PGPASSWORD`, `.pgpass`).
   */
  password?: () => string | undefined | Promise<string | undefined>;
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

/**
 * Options of `new PGConnectionManager(options)`.
 *
 * @example
 * ```ts ignore
 * import { PGConnectionManager } from "@pgmonkey/pgmonkey";
 * const warnings: string[] = [];
 * const manager = new PGConnectionManager({ onWarning: (m) => warnings.push(m) });
 * ```
 */
export interface PGConnectionManagerOptions {
  /**
   * Receives config warnings (unknown keys, the deprecated `postgresql:`
   * wrapper), one line each. Default: printed to stderr. A call's own
   * `onWarning` option wins.
   */
  onWarning?: WarningHandler;
}

/** What `cacheInfo` reports. */
export interface CacheInfo {
  /** Number of cached handles. */
  size: number;
  /** One entry per cached handle: the first 12 hex digits of its config hash, and its type. */
  entries: { key: string; connectionType: ConnectionType }[];
}

/** Set by the class's static block: the manager's private entry for {@link connectLoaded}. */
let connectLoadedConfig: (
  manager: PGConnectionManager,
  loaded: LoadedConfig,
  type: ConnectionType | string | undefined,
  options: Pick<GetConnectionOptions, "forceReload">,
) => Promise<PGConnection>;

interface Entry {
  type: ConnectionType;
  handle: Promise<PGConnection>;
  /** Set once the handle opened. */
  ready?: PGConnection;
}

/** What `manager.health()` reports for one cached handle. */
export interface HealthEntry extends Partial<HandleHealth> {
  /** The first 12 hex digits of the config hash (as in `cacheInfo`). */
  key: string;
  /** The connection type. */
  connectionType: ConnectionType;
  /** `opening` while the handle is being created, else `open` or `closed`. */
  state: "opening" | "open" | "closed";
  /** True when the probe answered (false while opening). */
  reachable: boolean;
}

/** Options of {@link PGConnectionManager.closeOnSignals}. */
export interface CloseOnSignalsOptions {
  /** Seconds the work in flight gets to finish (default 10). */
  timeoutSeconds?: number;
  /** Exit the process afterwards with 130 (SIGINT) / 143 (SIGTERM); default true. */
  exit?: boolean;
  /**
   * Runs first, before the pools drain: stop taking new work here (e.g.
   * `await server.shutdown()` for `Deno.serve`, `server.close()` for Node),
   * so that requests in flight finish on the pools and no new ones start.
   */
  beforeClose?: () => unknown;
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
  static {
    connectLoadedConfig = (manager, loaded, type, options) => manager.#get(loaded, type, options);
  }

  readonly #cache = new Map<string, Entry>();
  /** Last parse of each file, keyed by path: parsed again only when the text changes. */
  readonly #parsed: ParseCache = new Map();
  /** sha256 (hex) of a config's canonical JSON, keyed by that JSON (bounded). */
  readonly #digests = new Map<string, string>();
  readonly #onWarning: WarningHandler;

  /** A manager with an empty cache; `onWarning` receives config warnings. */
  constructor(options: PGConnectionManagerOptions = {}) {
    this.#onWarning = options.onWarning ?? printWarning;
  }

  /**
   * A handle for the config in `path`. `type` defaults to the file's
   * `connection_type`, then `normal`.
   */
  async getDatabaseConnection(
    path: string,
    type?: ConnectionType | string,
    options: GetConnectionOptions = {},
  ): Promise<PGConnection> {
    const loaded = await loadConfigFile(path, this.#loadOptions(options), this.#parsed);
    return await this.#get(loaded, type, options);
  }

  /** A handle for an in-memory config object (same rules as a file). */
  async getDatabaseConnectionFromConfig(
    config: RawConfig,
    type?: ConnectionType | string,
    options: GetConnectionOptions = {},
  ): Promise<PGConnection> {
    return await this.#get(loadConfigObject(config, this.#loadOptions(options)), type, options);
  }

  readonly #closing = new AbortController();

  /**
   * Aborted when `closeOnSignals` starts shutting down (before the pools
   * drain): pass it to a server that should stop accepting work, e.g.
   * `Deno.serve({ signal: manager.closingSignal }, handler)`.
   */
  get closingSignal(): AbortSignal {
    return this.#closing.signal;
  }

  /**
   * Readiness of every cached handle: per handle its type, target, whether
   * a `SELECT 1` answers within `timeoutMs` (default 1000, probes run in
   * parallel), the last error, and its stats. Never throws.
   *
   * @example
   * ```ts ignore
   * const ok = (await manager.health()).every((h) => h.reachable);
   * ```
   */
  async health(timeoutMs = 1000): Promise<HealthEntry[]> {
    return await Promise.all([...this.#cache.entries()].map(async ([key, e]) => {
      const base = { key: key.slice(0, 12), connectionType: e.type };
      if (!e.ready) return { ...base, state: "opening" as const, reachable: false };
      try {
        const h = await e.ready.health(timeoutMs);
        return { ...base, ...h, state: h.closed ? "closed" as const : "open" as const };
      } catch (err) {
        return { ...base, state: "open" as const, reachable: false, lastError: String(err) };
      }
    }));
  }

  /**
   * The statistics of every cached handle in the Prometheus text format,
   * labelled with type, handle id and target.
   */
  metrics(): string {
    const samples = [...this.#cache.values()].flatMap((e) =>
      e.ready ? [e.ready.metricsSample()] : []
    );
    return prometheusText(samples);
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
  closeOnSignals(options: CloseOnSignalsOptions = {}): () => void {
    const timeout = options.timeoutSeconds ?? 10;
    let started = false;
    const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
      const handler = () => {
        if (started) return;
        started = true;
        this.#closing.abort();
        void (async () => {
          try {
            await options.beforeClose?.();
          } catch {
            // the drain goes on
          }
          await this.clearCache(timeout);
        })().finally(() => {
          if (options.exit !== false) process.exit(signal === "SIGINT" ? 130 : 143);
        });
      };
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });
    return () => handlers.forEach((off) => off());
  }

  #loadOptions(options: GetConnectionOptions): LoadOptions {
    return {
      resolveEnv: options.resolveEnv,
      allowSensitiveDefaults: options.allowSensitiveDefaults,
      onWarning: options.onWarning ?? this.#onWarning,
    };
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
    loaded: LoadedConfig,
    requested: ConnectionType | string | undefined,
    options: Pick<GetConnectionOptions, "forceReload" | "postgres" | "onConnect" | "password">,
  ): Promise<PGConnection> {
    const config = loaded.validate(requested);
    const type = config.connection_type;
    // js_settings.reread_secrets: the password is read again for every new connection, so the
    // handle is cached by the password's reference (from_file/from_env), not by its value.
    const reread = config.js_settings.reread_secrets ? passwordRereader(loaded) : undefined;
    let identity = loaded.resolved;
    let password = options.password;
    if (reread && isMapping(identity) && isMapping(identity.connection_settings)) {
      identity = {
        ...identity,
        connection_settings: { ...identity.connection_settings, password: reread.reference },
      };
      password ??= () => reread.read();
    }
    const extra = optionsKey({
      postgres: options.postgres,
      onConnect: options.onConnect,
      password: options.password,
    });
    const digest = await this.#digest(identity);
    const key = `${digest}:${type}${extra !== "{}" ? `:${await this.#digest(extra)}` : ""}`;
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
      handle: openConnection(config, type, {
        postgres: options.postgres,
        file: loaded.file,
        onWarning: loaded.options.onWarning,
        onConnect: options.onConnect,
        password,
        id: digest.slice(0, 12),
      }),
    };
    this.#cache.set(key, entry);
    try {
      const handle = await entry.handle;
      entry.ready = handle;
      return handle;
    } catch (e) {
      if (this.#cache.get(key) === entry) this.#cache.delete(key);
      throw e;
    }
  }
}

/**
 * A handle for a config that was already loaded through the pipeline
 * (`loadConfigFile`), with the same cache and rules as
 * `manager.getDatabaseConnection`: the file is not read again, and
 * validation warnings go to the `onWarning` the config was loaded with.
 * For the CLI (exported from the `./internal` entry point only).
 *
 * @example
 * ```ts ignore
 * import { connectLoaded, loadConfigFile } from "@pgmonkey/pgmonkey/internal";
 * import { PGConnectionManager } from "@pgmonkey/pgmonkey";
 * const loaded = await loadConfigFile("config.yaml", { resolveEnv: true });
 * const db = await connectLoaded(new PGConnectionManager(), loaded, "pool");
 * ```
 */
export function connectLoaded(
  manager: PGConnectionManager,
  loaded: LoadedConfig,
  type?: ConnectionType | string,
  options: Pick<GetConnectionOptions, "forceReload"> = {},
): Promise<PGConnection> {
  return connectLoadedConfig(manager, loaded, type, options);
}

async function closeQuietly(handle: Promise<PGConnection>, timeoutSeconds = 5): Promise<void> {
  try {
    await (await handle).close(timeoutSeconds);
  } catch {
    // creation failed or close failed: nothing left to close
  }
}
