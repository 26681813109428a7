/**
 * A process of its own for the 32-client load (`bench/load.ts`), as pgbench
 * is one: ours and raw postgres.js then never share a JIT. (They share
 * postgres.js's code: measured, two seconds of raw postgres.js `max: 8`
 * under this load in the same process slow our pools down by 12 % for the
 * rest of the process, the inline caches of postgres.js's functions having
 * seen both ways of using them.)
 *
 * The parent ({@link LoadWorker}) sends one JSON command per line on stdin
 * and reads one JSON answer per line on stdout:
 *
 * - `{ "cmd": "open", "name": N, "config": PATH }`: a pgmonkey `async_pool`
 *   handle from a config file; `{ "cmd": "open", "name": N, "raw": TARGET,
 *   "max": 8 }`: raw postgres.js with all `max` connections opened.
 * - `{ "cmd": "run", "name": N, "seconds": S }`: the load on that handle;
 *   answers a `LoadResult`.
 * - `{ "cmd": "close", "name": N }`: closes it. End of stdin: closes all and exits.
 *
 * @module
 */
import type postgres from "postgres";
import { PGConnectionManager } from "../mod.ts";
import { anchorSql, type BenchTarget, type LoadResult, selectByKey } from "./cases.ts";

/** A command of the protocol (see the module documentation). */
export type WorkerCommand =
  | { cmd: "open"; name: string; config: string }
  | { cmd: "open"; name: string; raw: BenchTarget; max: number }
  | { cmd: "run"; name: string; seconds: number }
  | { cmd: "close"; name: string };

/** The parent's side: a running worker process. */
export class LoadWorker {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** Starts a worker process. */
  static start(): LoadWorker {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    return new LoadWorker(child);
  }

  async #send(command: WorkerCommand): Promise<Record<string, unknown>> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(command) + "\n"));
    for (;;) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        const answer = JSON.parse(line) as Record<string, unknown>;
        if (typeof answer.error === "string") {
          throw new Error(`load worker: ${command.cmd} ${command.name}: ${answer.error}`);
        }
        return answer;
      }
      const { value, done } = await this.#reader.read();
      if (done) throw new Error(`load worker ended during ${command.cmd} ${command.name}`);
      this.#buffer += value;
    }
  }

  /** Opens a pgmonkey `async_pool` handle from `config` under `name`. */
  async openOurs(name: string, config: string): Promise<void> {
    await this.#send({ cmd: "open", name, config });
  }

  /** Opens raw postgres.js (`max` connections, all opened) under `name`. */
  async openRaw(name: string, raw: BenchTarget, max: number): Promise<void> {
    await this.#send({ cmd: "open", name, raw, max });
  }

  /** Runs the 32-client load on `name` for `seconds`. */
  async run(name: string, seconds: number): Promise<LoadResult> {
    return await this.#send({ cmd: "run", name, seconds }) as unknown as LoadResult;
  }

  /** Closes `name`. */
  async close(name: string): Promise<void> {
    await this.#send({ cmd: "close", name });
  }

  /** Closes everything and waits for the process to end. */
  async stop(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#reader.cancel().catch(() => {});
    await this.#child.status;
  }
}

async function serve(): Promise<void> {
  const manager = new PGConnectionManager();
  const handles = new Map<string, { sql: postgres.Sql; close(): Promise<unknown> }>();
  const out = (answer: unknown) => console.log(JSON.stringify(answer));
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const command = JSON.parse(buffer.slice(0, nl)) as WorkerCommand;
      buffer = buffer.slice(nl + 1);
      try {
        if (command.cmd === "open") {
          if ("config" in command) {
            const db = await manager.getDatabaseConnection(command.config, "async_pool");
            handles.set(command.name, { sql: db.sql, close: () => db.close() });
          } else {
            const sql = await anchorSql(command.raw, command.max, { warm: true });
            handles.set(command.name, { sql, close: () => sql.end({ timeout: 1 }) });
          }
          out({ ok: true });
        } else {
          const handle = handles.get(command.name);
          if (!handle) throw new Error(`no handle named ${command.name}`);
          if (command.cmd === "run") out(await selectByKey(handle.sql, command.seconds));
          else {
            handles.delete(command.name);
            await handle.close();
            out({ ok: true });
          }
        }
      } catch (e) {
        out({ error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  for (const h of handles.values()) await h.close();
  await manager.clearCache(1);
}

if (import.meta.main) await serve();
