/**
 * Observability through `node:diagnostics_channel` (the convention of
 * undici and the OpenTelemetry instrumentations; it works in Deno too).
 * Nothing is published, and nothing costs more than a `hasSubscribers`
 * check, while no one subscribes.
 *
 * | channel | message |
 * |---|---|
 * | `pgmonkey:connect` | a physical connection opened or failed: `{ connectionType, handle, host, port, tls, durationMs, pid?, error? }` |
 * | `pgmonkey:checkout` | a borrow (`transaction()`/`acquire()`) got a connection or gave up: `{ connectionType, handle, waitMs, error? }` |
 * | `pgmonkey:query:start` | a statement starts: `{ id, connectionType, handle }` |
 * | `pgmonkey:query` | a statement ended: `{ id, connectionType, handle, text, durationMs, rows?, command?, error? }` (`text` has `$1` placeholders, never parameter values) |
 * | `pgmonkey:pool` | the number of connections changed: `{ connectionType, handle, size, idle, inUse, waiting }` |
 * | `pgmonkey:error` | a connection failed or was discarded: `{ connectionType, handle, error }` |
 *
 * `handle` is a short id of the handle (the first 12 hex digits of its
 * config hash, as in `manager.cacheInfo`). `error` is `{ message, code? }`
 * with secrets already redacted.
 *
 * @example
 * ```ts
 * import { subscribe } from "node:diagnostics_channel";
 * import { CHANNELS } from "./observe.ts";
 * subscribe(CHANNELS.query, (m) => {
 *   const q = m as { text: string; durationMs: number };
 *   if (q.durationMs > 100) console.log("slow:", q.text);
 * });
 * ```
 *
 * @module
 */
import dc from "node:diagnostics_channel";

/** The channel names pgmonkey publishes on. */
export const CHANNELS = {
  connect: "pgmonkey:connect",
  checkout: "pgmonkey:checkout",
  queryStart: "pgmonkey:query:start",
  query: "pgmonkey:query",
  pool: "pgmonkey:pool",
  error: "pgmonkey:error",
} as const;

const channels = {
  connect: dc.channel(CHANNELS.connect),
  checkout: dc.channel(CHANNELS.checkout),
  queryStart: dc.channel(CHANNELS.queryStart),
  query: dc.channel(CHANNELS.query),
  pool: dc.channel(CHANNELS.pool),
  error: dc.channel(CHANNELS.error),
};

/** What every message carries. */
export interface HandleTag {
  /** The handle's connection type. */
  connectionType: string;
  /** Short id of the handle. */
  handle: string;
}

/** An error as published: one line, redacted. */
export interface PublishedError {
  /** The message (secrets redacted). */
  message: string;
  /** SQLSTATE or driver code, when there is one. */
  code?: string;
}

/** The publishing side, bound to one handle; `redact` masks its secrets. */
export class Observer {
  readonly #tag: HandleTag;
  readonly #redact: (text: string) => string;

  /** An observer for one handle. */
  constructor(tag: HandleTag, redact: (text: string) => string) {
    this.#tag = tag;
    this.#redact = redact;
  }

  /** An error as published. */
  error(e: unknown): PublishedError {
    const out: PublishedError = {
      message: this.#redact(String((e as Error)?.message ?? e).split("\n")[0]),
    };
    const code = (e as { code?: unknown })?.code;
    if (typeof code === "string") out.code = code;
    return out;
  }

  /** A physical connection opened (or failed, with `error`). */
  connect(info: Record<string, unknown>, error?: unknown): void {
    if (channels.connect.hasSubscribers) {
      channels.connect.publish({
        ...this.#tag,
        ...info,
        ...(error ? { error: this.error(error) } : {}),
      });
    }
    if (error && channels.error.hasSubscribers) {
      channels.error.publish({ ...this.#tag, error: this.error(error) });
    }
  }

  /** A borrow got a connection after `waitMs` (or failed with `error`). */
  checkout(waitMs: number, error?: unknown): void {
    if (!channels.checkout.hasSubscribers) return;
    channels.checkout.publish({
      ...this.#tag,
      waitMs,
      ...(error ? { error: this.error(error) } : {}),
    });
  }

  /** The pool's counters (computed only when someone listens) after a change in size. */
  pool(counters: () => object): void {
    if (channels.pool.hasSubscribers) channels.pool.publish({ ...this.#tag, ...counters() });
  }

  /** A connection was discarded or failed. */
  failure(e: unknown): void {
    if (channels.error.hasSubscribers) {
      channels.error.publish({ ...this.#tag, error: this.error(e) });
    }
  }

  /** True while someone listens to statements. */
  get watchingQueries(): boolean {
    return channels.query.hasSubscribers || channels.queryStart.hasSubscribers;
  }

  /**
   * Publishes the start of `q` now and its end when it settles (wrapping its
   * `resolve`/`reject`). Call only when {@link Observer.watchingQueries}.
   */
  query(q: QueryParts): void {
    const id = nextQueryId++;
    const started = performance.now();
    if (channels.queryStart.hasSubscribers) channels.queryStart.publish({ ...this.#tag, id });
    const resolve = q.resolve;
    const reject = q.reject;
    let done = false;
    let resolves = 0;
    const end = (result: unknown, error?: unknown) => {
      if (done) return;
      done = true;
      if (!channels.query.hasSubscribers) return;
      const r = result as { count?: unknown; command?: unknown } | undefined;
      const message: Record<string, unknown> = {
        ...this.#tag,
        id,
        text: this.#redact(queryText(q)),
        durationMs: performance.now() - started,
      };
      if (typeof r?.count === "number") message.rows = r.count;
      if (typeof r?.command === "string") message.command = r.command;
      if (error !== undefined) message.error = this.error(error);
      channels.query.publish(message);
    };
    q.resolve = (x: unknown) => {
      if (!q.streaming || ++resolves === 2) end(x);
      return resolve(x);
    };
    q.reject = (e: unknown) => {
      end(undefined, e);
      return reject(e);
    };
  }
}

let nextQueryId = 1;

/** The parts of a postgres.js query observed here. */
export interface QueryParts {
  resolve(x: unknown): unknown;
  reject(e: unknown): unknown;
  strings?: readonly string[];
  string?: string;
  streaming?: boolean;
}

/** The statement text without parameter values: postgres.js's built text, else the template. */
function queryText(q: QueryParts): string {
  if (typeof q.string === "string") return q.string;
  return (q.strings ?? []).map((s, i) => (i === 0 ? s : `$${i}${s}`)).join("");
}
