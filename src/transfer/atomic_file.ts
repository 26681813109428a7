/**
 * Writing a file so that it appears whole or not at all: the data goes to a
 * temporary file in the same directory, which is renamed over the target
 * only when everything was written. A failure (or Ctrl-C) removes the
 * temporary file and never touches an existing target.
 *
 * @module
 */
import { open, rename, stat, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { fsReason as reason, TransferError } from "./errors.ts";

/** Buffered writes go out in blocks of this size. */
const BLOCK = 64 << 10;
/**
 * Every this many bytes the data written so far is synced in the background,
 * so that the sync before the rename has little left to do.
 */
const SYNC_EVERY = 16 << 20;

/**
 * A file being written atomically.
 *
 * @example
 * ```ts ignore
 * import { AtomicFile } from "./atomic_file.ts";
 * const file = await AtomicFile.create("users.csv");
 * try {
 *   await file.write(new TextEncoder().encode("id\n1\n"));
 *   await file.commit();
 * } finally {
 *   await file.discard(); // no-op after commit
 * }
 * ```
 */
export class AtomicFile {
  /** The final path. */
  readonly target: string;
  /** The temporary path. */
  readonly temporary: string;
  #fh: FileHandle | undefined;
  #buffer = new Uint8Array(BLOCK);
  /** The other block: written out while this one fills (no garbage per block). */
  #spare = new Uint8Array(BLOCK);
  #used = 0;
  /** Bytes handed to writes (done or under way). */
  #written = 0;
  /** The block write under way, if any (never rejects: see `#failure`). */
  #writing: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;
  /** A background sync under way (never rejects: the final sync reports errors). */
  #syncing: Promise<void> | undefined;
  #syncedUpTo = 0;
  #done = false;
  readonly #onSignal: () => void;

  private constructor(target: string, temporary: string, fh: FileHandle) {
    this.target = target;
    this.temporary = temporary;
    this.#fh = fh;
    this.#onSignal = () => {
      try {
        unlinkSync(temporary);
      } catch {
        // already gone
      }
      process.exit(130);
    };
    process.once("SIGINT", this.#onSignal);
    process.once("SIGTERM", this.#onSignal);
  }

  /**
   * Creates the temporary file beside `target`. Fails with a clear
   * {@link TransferError} when the directory is missing or not writable, or
   * when `target` is a directory.
   */
  static async create(target: string): Promise<AtomicFile> {
    try {
      if ((await stat(target)).isDirectory()) {
        throw new TransferError(`cannot write ${target}: Is a directory`);
      }
    } catch (e) {
      if (e instanceof TransferError) throw e;
      // missing: fine
    }
    const temporary = join(
      dirname(target),
      `.${basename(target)}.${crypto.randomUUID().slice(0, 8)}.tmp`,
    );
    try {
      return new AtomicFile(target, temporary, await open(temporary, "wx", 0o666));
    } catch (e) {
      throw new TransferError(`cannot write ${target}: ${reason(e)}`, { cause: e });
    }
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.#written + this.#used;
  }

  /** Appends bytes (buffered; resolves at once unless a block is written). */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.#used + bytes.length <= this.#buffer.length) {
      this.#buffer.set(bytes, this.#used);
      this.#used += bytes.length;
      return;
    }
    await this.#flush();
    if (bytes.length >= this.#buffer.length) {
      await this.#settle();
      this.#written += bytes.length;
      await this.#writeOut(bytes);
    } else {
      this.#buffer.set(bytes, 0);
      this.#used = bytes.length;
    }
  }

  /**
   * Lets `fill` write at most `max` bytes straight into the buffer, from
   * `at`, returning where it stopped: no copy, no allocation. Returns
   * `undefined` when done at once, else a promise (a block was written out
   * first, or `max` exceeds the buffer and `fill` went to a block of its own).
   */
  writeInto(
    max: number,
    fill: (buffer: Uint8Array, at: number) => number,
  ): Promise<void> | undefined {
    if (this.#used + max <= this.#buffer.length) {
      this.#used = fill(this.#buffer, this.#used);
      return undefined;
    }
    return (async () => {
      await this.#flush();
      if (max <= this.#buffer.length) {
        this.#used = fill(this.#buffer, 0);
      } else {
        const own = new Uint8Array(max);
        const block = own.subarray(0, fill(own, 0));
        await this.#settle();
        this.#written += block.length;
        await this.#writeOut(block);
      }
    })();
  }

  /** Whether {@link write} would return at once for `n` more bytes. */
  fits(n: number): boolean {
    return this.#used + n <= this.#buffer.length;
  }

  async #writeOut(bytes: Uint8Array): Promise<void> {
    try {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await this.#fh!.write(bytes, off, bytes.length - off);
        off += bytesWritten;
      }
    } catch (e) {
      throw new TransferError(`cannot write ${this.target}: ${reason(e)}`, { cause: e });
    }
  }

  /** Waits for the block being written (its buffer is the spare); throws its error. */
  async #settle(): Promise<void> {
    await this.#writing;
    if (this.#failure) throw this.#failure.error;
  }

  /**
   * Starts writing the buffered block and switches to the spare buffer; the
   * write goes on while the next block fills (waiting only for the one
   * before, whose buffer becomes the spare).
   */
  async #flush(): Promise<void> {
    if (this.#used === 0) return;
    await this.#settle();
    const block = this.#buffer.subarray(0, this.#used);
    [this.#buffer, this.#spare] = [this.#spare, this.#buffer];
    this.#written += this.#used;
    this.#used = 0;
    this.#writing = this.#writeOut(block).catch((error) => {
      this.#failure ??= { error };
    });
    if (this.#written - this.#syncedUpTo >= SYNC_EVERY && !this.#syncing) {
      // Start the disk writes early, while the export goes on.
      this.#syncedUpTo = this.#written;
      const fh = this.#fh!;
      this.#syncing = this.#writing.then(() => fh.datasync()).then(
        () => {
          this.#syncing = undefined;
        },
        () => {
          this.#syncing = undefined;
        },
      );
    }
  }

  /** Writes what is buffered, syncs it to disk, closes, and renames the file into place. */
  async commit(): Promise<void> {
    await this.#flush();
    await this.#settle();
    await this.#syncing;
    const fh = this.#fh!;
    this.#fh = undefined;
    try {
      // On disk before it takes the target's name: a crash never leaves a short file there.
      await fh.sync();
      await fh.close();
      await rename(this.temporary, this.target);
    } catch (e) {
      throw new TransferError(`cannot write ${this.target}: ${reason(e)}`, { cause: e });
    }
    this.#done = true;
    this.#unhook();
  }

  /** Removes the temporary file unless committed. Never throws. */
  async discard(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#unhook();
    await this.#writing;
    await this.#syncing;
    await this.#fh?.close().catch(() => {});
    this.#fh = undefined;
    await unlink(this.temporary).catch(() => {});
  }

  #unhook(): void {
    process.off("SIGINT", this.#onSignal);
    process.off("SIGTERM", this.#onSignal);
  }
}
