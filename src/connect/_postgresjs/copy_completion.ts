/**
 * Workaround file (postgres.js 3.4.9): knowing when a COPY has really ended.
 *
 * Upstream behaviour: for `COPY … FROM STDIN` postgres.js resolves the query
 * with the writable stream (CopyInResponse), and when the server reports an
 * error after the client's CopyDone (a row the column type rejects, a
 * `statement_timeout`), the stream's `finish` callback is never called: a
 * caller waiting for the writable to finish waits forever, and the error is
 * lost. The query object itself still sees the end: its `resolve` is called
 * a second time with the result (ReadyForQuery, `COPY n`), or its `reject`
 * with the server's error. So we wrap both (own properties of each query)
 * and wait for that. The canary test `tests/connect/postgresjs_canary.test.ts`
 * checks that upstream still calls `resolve` twice for a COPY.
 *
 * @module
 */

/** A postgres.js query object as far as this touches it. */
export interface CopyQuery {
  resolve: (value: unknown) => unknown;
  reject: (error: unknown) => unknown;
}

/**
 * A promise for the real end of the COPY `query` (not started yet): the row
 * count of its command tag (`COPY 5`), or the server's error. Never
 * unhandled (attach your own handlers to use it).
 */
export function copyCompletion(query: CopyQuery): Promise<number | undefined> {
  let calls = 0;
  const done = new Promise<number | undefined>((resolve, reject) => {
    const originalResolve = query.resolve;
    const originalReject = query.reject;
    // First resolve: the COPY stream (CopyIn/OutResponse); second: the result (ReadyForQuery).
    query.resolve = (value) => {
      if (++calls === 2) {
        const count = (value as { count?: unknown } | null)?.count;
        resolve(typeof count === "number" ? count : undefined);
      }
      return originalResolve(value);
    };
    query.reject = (error) => {
      reject(error);
      return originalReject(error);
    };
  });
  done.catch(() => {});
  return done;
}
