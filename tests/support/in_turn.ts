/**
 * Running many subprocess jobs on a 2-core machine: at most `limit` at once.
 *
 * @module
 */

/** Runs `jobs` with at most `limit` at once; results in the order of `jobs`. */
export async function inTurn<T>(jobs: (() => Promise<T>)[], limit = 4): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  }));
  return results;
}
