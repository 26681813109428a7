/**
 * `db.sql.largeObject(oid?, mode?)`: postgres.js's large-object API (see its
 * README), run in a transaction of ours on a borrowed connection, which stays
 * borrowed until `close()`. postgres.js's own version runs in its `begin()`,
 * which crashes the process when the connection dies meanwhile.
 *
 * @module
 */
import type postgres from "postgres";
import { Readable, Writable } from "node:stream";
import type { TransactionSql } from "./transaction.ts";

/** INV_READ | INV_WRITE. */
const READ_WRITE = 0x00020000 | 0x00040000;

/** What {@link largeObject} needs: a way to run a transaction. */
export interface LargeObjectHost {
  /** Runs `fn` in a transaction. */
  transaction<T>(fn: (tx: TransactionSql) => T | Promise<T>): Promise<T>;
}

/**
 * Opens (or, without `oid`, creates) a large object; the transaction ends
 * when the returned object's `close()` is called.
 */
export function largeObject(
  host: LargeObjectHost,
  oid?: number,
  mode: number = READ_WRITE,
): Promise<postgres.LargeObject> {
  return new Promise((resolve, reject) => {
    host.transaction(async (sql) => {
      if (!oid) [{ oid }] = await sql`select lo_creat(-1) as oid`;
      const [{ fd }] = await sql`select lo_open(${oid!}, ${mode}) as fd`;
      let finish!: () => void;
      const done = new Promise<void>((r) => finish = r);
      const lo = {
        readable: async ({ highWaterMark = 2048 * 8, start = 0, end = Infinity } = {}) => {
          let left = end - start;
          if (start) await lo.seek(start);
          return new Readable({
            highWaterMark,
            read(size) {
              const want = Math.min(size, left);
              left -= want;
              lo.read(want).then(([{ data }]) => {
                this.push(data);
                if (data.length < size || left <= 0) this.push(null);
              }, (e) => this.destroy(e));
            },
          });
        },
        writable: async ({ highWaterMark = 2048 * 8, start = 0 } = {}) => {
          if (start) await lo.seek(start);
          return new Writable({
            highWaterMark,
            write(chunk, _encoding, callback) {
              lo.write(chunk).then(() => callback(), callback);
            },
          });
        },
        close: () => sql`select lo_close(${fd})`.then((r) => (finish(), r)),
        tell: () => sql`select lo_tell64(${fd})`,
        read: (n: number) => sql`select loread(${fd}, ${n}) as data`,
        write: (data: Uint8Array) => sql`select lowrite(${fd}, ${data})`,
        truncate: (n: number) => sql`select lo_truncate64(${fd}, ${n})`,
        seek: (n: number, whence = 0) => sql`select lo_lseek64(${fd}, ${n}, ${whence})`,
        size: () =>
          sql`
          select lo_lseek64(${fd}, location, 0) as position, seek.size
          from (
            select lo_lseek64(${fd}, 0, 2) as size, tell.location
            from (select lo_tell64(${fd}) as location) tell
          ) seek`,
      };
      resolve(lo as unknown as postgres.LargeObject);
      await done;
    }).catch(reject);
  });
}
