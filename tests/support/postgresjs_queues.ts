/**
 * Reads the lengths of postgres.js's internal queues through the V8
 * inspector (closure scopes): the arrays behind each `Queue` of an instance
 * (`queries`, `connecting`, `reserved`, `closed`, `ended`, `open`, `busy`,
 * `full`) and each connection's `sent` queue. postgres.js 3.4.9's `Queue`
 * keeps every shifted slot until the queue is fully drained, so under
 * sustained concurrency its arrays grow with every operation; this measures
 * the backing array (`xs.length`), not the number of live entries.
 *
 * @module
 */
import inspector from "node:inspector";
import type postgres from "postgres";

type Post = (method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>;

interface RemoteProperty {
  name: string;
  value?: {
    objectId?: string;
    type?: string;
    subtype?: string;
    description?: string;
    value?: unknown;
  };
}

/** A connected inspector session on this isolate. */
export class QueueInspector {
  readonly #session = new inspector.Session();
  readonly #post: Post;

  constructor() {
    this.#session.connect();
    this.#post = (method, params) =>
      new Promise((resolve, reject) =>
        this.#session.post(
          method,
          params as never,
          (e: unknown, r: unknown) => e ? reject(e) : resolve(r as Record<string, unknown>),
        )
      );
  }

  async #properties(objectId: string): Promise<RemoteProperty[]> {
    const r = await this.#post("Runtime.getProperties", { objectId, ownProperties: true });
    return [
      ...(r.result as RemoteProperty[] ?? []),
      ...(r.internalProperties as RemoteProperty[] ?? []),
    ];
  }

  /** The variables of the closure scopes of the function `objectId`. */
  async #closure(objectId: string): Promise<Map<string, RemoteProperty["value"]>> {
    const out = new Map<string, RemoteProperty["value"]>();
    const props = await this.#properties(objectId);
    const scopes = props.find((p) => p.name === "[[Scopes]]")?.value?.objectId;
    if (!scopes) return out;
    for (const scope of await this.#properties(scopes)) {
      if (!scope.value?.objectId || !/^\d+$/.test(scope.name)) continue;
      const description = scope.value.description ?? "";
      if (/Global|Script/.test(description)) continue;
      for (const v of await this.#properties(scope.value.objectId)) {
        if (!out.has(v.name)) out.set(v.name, v.value);
      }
    }
    return out;
  }

  /** `xs.length` of a postgres.js Queue object. */
  async #queueLength(queue: RemoteProperty["value"]): Promise<number | undefined> {
    if (!queue?.objectId) return undefined;
    const push = (await this.#properties(queue.objectId)).find((p) => p.name === "push");
    if (!push?.value?.objectId) return undefined;
    const xs = (await this.#closure(push.value.objectId)).get("xs");
    if (!xs?.objectId) return undefined;
    const props = await this.#properties(xs.objectId);
    return Number(props.find((p) => p.name === "length")?.value?.value ?? NaN);
  }

  /**
   * The backing-array lengths of every queue of the instance that owns
   * `handler` (its internal query handler), by queue name; `sent:<i>` for
   * each connection.
   */
  async queueLengths(handler: unknown): Promise<Record<string, number>> {
    (globalThis as Record<string, unknown>).__pgmQueueProbe = handler;
    try {
      const r = await this.#post("Runtime.evaluate", { expression: "globalThis.__pgmQueueProbe" });
      const id = (r.result as { objectId?: string }).objectId!;
      const scope = await this.#closure(id);
      const out: Record<string, number> = {};
      for (
        const name of [
          "queries",
          "connecting",
          "reserved",
          "closed",
          "ended",
          "open",
          "busy",
          "full",
        ]
      ) {
        const n = await this.#queueLength(scope.get(name));
        if (n !== undefined) out[name] = n;
      }
      const connections = scope.get("connections");
      if (connections?.objectId) {
        for (const c of await this.#properties(connections.objectId)) {
          if (!/^\d+$/.test(c.name) || !c.value?.objectId) continue;
          const execute = (await this.#properties(c.value.objectId)).find((p) =>
            p.name === "execute"
          );
          if (!execute?.value?.objectId) continue;
          const n = await this.#queueLength(
            (await this.#closure(execute.value.objectId)).get("sent"),
          );
          if (n !== undefined) out[`sent:${c.name}`] = n;
        }
      }
      return out;
    } finally {
      delete (globalThis as Record<string, unknown>).__pgmQueueProbe;
    }
  }

  /** Ends the session. */
  close(): void {
    this.#session.disconnect();
  }
}

/** The internal query handler of a postgres.js instance (what `queueLengths` starts from). */
export function handlerOf(sql: postgres.Sql): unknown {
  return (sql.unsafe("") as unknown as { handler: unknown }).handler;
}
