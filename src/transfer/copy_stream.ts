/**
 * COPY on a postgres.js connection with a reliable end: postgres.js 3.4.9
 * loses an error the server reports after the client's CopyDone (the
 * writable then never finishes), so we wait for the query's own completion
 * (see `src/connect/_postgresjs/copy_completion.ts`).
 *
 * @module
 */
import type { Readable, Writable } from "node:stream";
import type { ReservedSql } from "../connect/handle.ts";
import { copyCompletion } from "../connect/_postgresjs/copy_completion.ts";

/** A postgres.js query object as far as we touch it. */
interface RawQuery extends PromiseLike<unknown> {
  resolve: (value: unknown) => unknown;
  reject: (error: unknown) => unknown;
  writable(): Promise<Writable>;
  readable(): Promise<Readable>;
}

/**
 * Starts `statement` and returns it with a promise for its completion, which
 * resolves to the row count of the command tag (`COPY 5`).
 */
function start(
  sql: ReservedSql,
  statement: string,
): { query: RawQuery; done: Promise<number | undefined> } {
  const query = sql.unsafe(statement) as unknown as RawQuery;
  return { query, done: copyCompletion(query) };
}

/**
 * A running `COPY … FROM STDIN`.
 *
 * @example
 * ```ts ignore
 * const copy = await copyIn(conn.sql, 'COPY "public"."t" ("a") FROM STDIN');
 * await copy.write(new TextEncoder().encode("x\n"));
 * await copy.end(); // throws the server's error, if any
 * ```
 */
export interface CopyIn {
  /**
   * Sends COPY data and resolves once it has been written to the socket (the
   * bytes may then be reused). Throws the server's error.
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Ends the data and waits until the server has finished (or throws its
   * error); resolves to the rows the server copied.
   */
  end(): Promise<number | undefined>;
  /** Cancels the COPY (CopyFail) and waits until the server has acknowledged it. */
  abort(reason: Error): Promise<void>;
}

/**
 * Starts a `COPY … FROM STDIN` statement on a borrowed connection.
 *
 * @example
 * ```ts ignore
 * await using conn = await db.acquire();
 * const copy = await copyIn(conn.sql, "COPY t FROM STDIN");
 * await copy.write(bytes);
 * await copy.end();
 * ```
 */
export async function copyIn(sql: ReservedSql, statement: string): Promise<CopyIn> {
  const { query, done } = start(sql, statement);
  const stream = await query.writable();
  stream.on("error", () => {}); // reported through `done`
  let failure: unknown;
  let wake: (() => void) | undefined;
  done.then(() => wake?.(), (e) => {
    failure ??= e;
    wake?.();
  });
  return {
    async write(chunk) {
      if (failure !== undefined) throw failure;
      if (stream.destroyed) {
        await done;
        throw new Error("the COPY stream closed");
      }
      // Resolves once postgres.js has sent the chunk (its write callback), so
      // the caller may reuse the bytes; an error of the COPY ends the wait too.
      await new Promise<void>((resolve) => {
        wake = resolve;
        stream.write(chunk, () => resolve());
      });
      wake = undefined;
      if (failure !== undefined) throw failure;
    },
    async end() {
      if (failure !== undefined) throw failure;
      stream.end();
      return await done;
    },
    async abort(reason) {
      if (!stream.destroyed) stream.destroy(reason);
      await done.catch(() => {});
    },
  };
}

/**
 * Runs a `COPY … TO STDOUT` statement and gives every chunk of data to
 * `onData` (synchronously, in order; the chunk may not be kept). When
 * `onData` returns a promise, reading pauses until it settles. Resolves when
 * the server has finished, to the rows copied (from the command tag). When
 * `onData` fails, the statement is cancelled, the rest of the data is
 * drained, and that failure is thrown.
 *
 * @example
 * ```ts ignore
 * await using conn = await db.acquire();
 * await copyOut(conn.sql, "COPY t TO STDOUT WITH (FORMAT csv)", (chunk) => sink.push(chunk));
 * ```
 */
export async function copyOut(
  sql: ReservedSql,
  statement: string,
  onData: (chunk: Uint8Array) => void | Promise<void>,
): Promise<number | undefined> {
  const { query, done } = start(sql, statement);
  const stream = await query.readable();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    if (failure) return;
    failure = { error };
    try {
      (query as unknown as { cancel?: () => void }).cancel?.();
    } catch {
      // the data is drained either way
    }
  };
  stream.on("data", (chunk: Uint8Array) => {
    if (failure) return; // drain
    let result: void | Promise<void>;
    try {
      result = onData(chunk);
    } catch (e) {
      fail(e);
      return;
    }
    if (result) {
      stream.pause();
      result.then(() => stream.resume(), (e) => {
        fail(e);
        stream.resume();
      });
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on("end", () => resolve());
      stream.on("error", reject);
      done.catch(reject);
    });
    const count = await done;
    if (!failure) return count;
  } catch (e) {
    if (!failure) throw e;
  }
  throw failure!.error;
}
