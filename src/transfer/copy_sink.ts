/**
 * One `COPY … FROM STDIN` stream of an import, fed whole blocks of rows:
 * it frames binary COPY (header first, trailer last), keeps one block in
 * flight in a buffer of its own (so the converter's buffers can be reused at
 * once and no block is allocated per send), and remembers which rows of the
 * file each block held, so that a server error "line K" of this stream can be
 * traced back to the row of the file.
 *
 * @example
 * ```ts ignore
 * await using conn = await db.acquire();
 * const sink = await CopySink.open(conn.sql, 'COPY "t" FROM STDIN WITH (FORMAT binary)', true);
 * await sink.send(block, 0, rowsInBlock);
 * await sink.end(); // the rows the server copied
 * ```
 *
 * @module
 */
import type { ReservedSql } from "../connect/handle.ts";
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from "./copy_binary.ts";
import { type CopyIn, copyIn } from "./copy_stream.ts";

/** A COPY stream taking blocks of complete rows. */
export class CopySink {
  readonly #copy: CopyIn;
  readonly #binary: boolean;
  #buffer = new Uint8Array(64 << 10);
  #inFlight: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;
  /** Per block sent: its first row in this stream (0-based) and in the file. */
  readonly #localStarts: number[] = [];
  readonly #fileStarts: number[] = [];
  #rows = 0;
  #ending: Promise<number | undefined> | undefined;

  private constructor(copy: CopyIn, binary: boolean) {
    this.#copy = copy;
    this.#binary = binary;
  }

  /** Starts `statement` (a `COPY … FROM STDIN`) on `sql`. */
  static async open(sql: ReservedSql, statement: string, binary: boolean): Promise<CopySink> {
    const sink = new CopySink(await copyIn(sql, statement), binary);
    if (binary) await sink.#copy.write(COPY_BINARY_HEADER);
    return sink;
  }

  /** Rows sent so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Whether a block is still being written. */
  get busy(): boolean {
    return this.#inFlight !== undefined;
  }

  /** The block being written (resolves at once when idle); rejects with the stream's error. */
  async idle(): Promise<void> {
    await this.#inFlight;
    if (this.#failure) throw this.#failure.error;
  }

  /**
   * Copies `block` (`rows` complete rows, the first being row `fileRow` of
   * the file, 0-based) into this sink's buffer and starts writing it;
   * resolves when the write has started. The caller may reuse `block` at
   * once. Waits for the previous block first.
   */
  async send(block: Uint8Array, fileRow: number, rows: number): Promise<void> {
    await this.idle();
    if (this.#buffer.length < block.length) {
      this.#buffer = new Uint8Array(block.length + (block.length >> 1));
    }
    this.#buffer.set(block);
    this.#localStarts.push(this.#rows);
    this.#fileStarts.push(fileRow);
    this.#rows += rows;
    const writing = this.#copy.write(this.#buffer.subarray(0, block.length));
    this.#inFlight = writing.then(
      () => {
        this.#inFlight = undefined;
      },
      (error) => {
        this.#inFlight = undefined;
        this.#failure ??= { error };
      },
    );
  }

  /** Ends the stream; resolves to the rows the server copied (throws its error). */
  end(): Promise<number | undefined> {
    this.#ending ??= (async () => {
      await this.idle();
      if (this.#binary) await this.#copy.write(COPY_BINARY_TRAILER);
      return await this.#copy.end();
    })();
    return this.#ending;
  }

  /**
   * Cancels the COPY (CopyFail) and waits for the server; once {@link end}
   * was called, waits for that instead. Never throws.
   */
  async abort(reason: Error): Promise<void> {
    await this.#inFlight;
    if (this.#ending) await this.#ending.catch(() => {});
    else await this.#copy.abort(reason);
  }

  /**
   * The file row (1-based, counting data rows only) of this stream's row
   * `line` (1-based, as in the server's `COPY t, line N` context).
   */
  fileRow(line: number): number | undefined {
    const local = line - 1;
    if (local < 0 || local >= this.#rows) return undefined;
    let lo = 0;
    let hi = this.#localStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#localStarts[mid] <= local) lo = mid;
      else hi = mid - 1;
    }
    return this.#fileStarts[lo] + (local - this.#localStarts[lo]) + 1;
  }
}
