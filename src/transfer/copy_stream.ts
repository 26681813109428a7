/**
 * COPY on a postgres.js connection with a reliable end: postgres.js 3.4.9
 * loses an error the server reports after the client's CopyDone (the
 * writable then never finishes), so we watch the query's own completion —
 * its second `resolve` (ReadyForQuery) or its `reject` — and wait for that.
 *
 * @module
 */
import type { Readable, Writable } from "node:stream";
import type { ReservedSql } from "../connect/handle.ts";

/** A postgres.js query object as far as we touch it. */
interface RawQuery extends PromiseLike<unknown> {
  resolve: (value: unknown) => unknown;
  reject: (error: unknown) => unknown;
  writable(): Promise<Writable>;
  readable(): Promise<Readable>;
}

/** Starts `statement` and returns it with a promise for its completion. */
function start(sql: ReservedSql, statement: string): { query: RawQuery; done: Promise<void> } {
  const query = sql.unsafe(statement) as unknown as RawQuery;
  let calls = 0;
  const done = new Promise<void>((resolve, reject) => {
    const originalResolve = query.resolve;
    const originalReject = query.reject;
    // First resolve: the COPY stream (CopyIn/OutResponse); second: the result (ReadyForQuery).
    query.resolve = (value) => {
      if (++calls === 2) resolve();
      return originalResolve(value);
    };
    query.reject = (error) => {
      reject(error);
      return originalReject(error);
    };
  });
  done.catch(() => {});
  return { query, done };
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
  /** Sends COPY data; waits while the socket is full. Throws the server's error. */
  write(chunk: Uint8Array): Promise<void>;
  /** Ends the data and waits until the server has finished (or throws its error). */
  end(): Promise<void>;
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
  done.catch((e) => failure ??= e);
  const drained = () =>
    new Promise<void>((resolve) => {
      const finish = () => {
        stream.off("drain", finish);
        stream.off("close", finish);
        resolve();
      };
      stream.on("drain", finish);
      stream.on("close", finish);
      done.then(finish, finish);
    });
  return {
    async write(chunk) {
      if (failure !== undefined) throw failure;
      if (stream.destroyed) {
        await done;
        throw new Error("the COPY stream closed");
      }
      if (!stream.write(chunk)) await drained();
      if (failure !== undefined) throw failure;
    },
    async end() {
      if (failure !== undefined) throw failure;
      stream.end();
      await done;
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
 * the server has finished.
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
): Promise<void> {
  const { query, done } = start(sql, statement);
  const stream = await query.readable();
  let failure: unknown;
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Uint8Array) => {
      if (failure !== undefined) return;
      let result: void | Promise<void>;
      try {
        result = onData(chunk);
      } catch (e) {
        failure = e;
        stream.destroy();
        reject(e);
        return;
      }
      if (result) {
        stream.pause();
        result.then(() => stream.resume(), (e) => {
          failure = e;
          stream.destroy();
          reject(e);
        });
      }
    });
    stream.on("end", () => resolve());
    stream.on("error", (e) => reject(e));
    done.catch(reject);
  });
  await done;
}
