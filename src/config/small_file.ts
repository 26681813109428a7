/**
 * Reading a small regular file (a config file, a `from_file` secret) so that
 * hostile paths fail fast: a directory, FIFO, device or socket is refused
 * from its `stat` before it is opened (a FIFO would block the reader
 * forever, `/dev/zero` would fill memory), the file is opened non-blocking
 * and checked again on the open descriptor (in case it was swapped), and
 * never more than `limit` bytes are read, whatever the file claims its size
 * is (`/proc` files say 0).
 *
 * Synchronous on purpose: the files are at most a few hundred KiB, and the
 * `from_file` interpolation that reads secrets is synchronous.
 *
 * @module
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from "node:fs";

/**
 * A file was refused before (or instead of) being read: it is not a regular
 * file, or it is larger than the limit. The message is a short reason
 * without the path, e.g. `is a named pipe (FIFO), expected a regular file`;
 * callers put the path in front.
 *
 * @example
 * ```ts
 * import { readSmallFileSync, SmallFileError } from "./small_file.ts";
 * try {
 *   readSmallFileSync("/dev/zero", 1024);
 * } catch (e) {
 *   if (e instanceof SmallFileError) console.error(`/dev/zero: ${e.message}`);
 * }
 * ```
 */
export class SmallFileError extends Error {
  /** Why: the file is not a regular file, or it is too large. */
  readonly reason: "not-regular" | "too-large";
  /** Creates the error with a reason and a one-line message (no path). */
  constructor(reason: "not-regular" | "too-large", message: string) {
    super(message);
    this.name = "SmallFileError";
    this.reason = reason;
  }
}

/** What a non-regular file is, for messages (`a named pipe (FIFO)`, …). */
function kindOf(st: Stats): string {
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** `1 MiB (1048576 bytes)` for a limit in bytes. */
export function describeByteLimit(limit: number): string {
  const mib = limit / (1 << 20);
  const kib = limit / 1024;
  const round = Number.isInteger(mib) ? `${mib} MiB` : Number.isInteger(kib) ? `${kib} KiB` : "";
  return round ? `${round} (${limit} bytes)` : `${limit} bytes`;
}

function tooLarge(size: number | undefined, limit: number): SmallFileError {
  const what = size === undefined ? `more than ${limit} bytes` : `${size} bytes`;
  return new SmallFileError(
    "too-large",
    `is ${what}, larger than the ${describeByteLimit(limit)} allowed`,
  );
}

/** Throws unless `st` is a regular file of at most `limit` bytes. Directories keep `EISDIR`. */
function check(st: Stats, limit: number): void {
  if (st.isDirectory()) {
    throw Object.assign(new Error("EISDIR: illegal operation on a directory"), { code: "EISDIR" });
  }
  if (!st.isFile()) {
    throw new SmallFileError("not-regular", `is ${kindOf(st)}, expected a regular file`);
  }
  if (st.size > limit) throw tooLarge(st.size, limit);
}

/**
 * The bytes of `path`, a regular file of at most `limit` bytes. Throws
 * {@link SmallFileError} for anything else; a directory gives an `EISDIR`
 * error and other operating-system errors (`ENOENT`, `EACCES`, …) pass
 * through unchanged with their `code`, so callers keep their wording.
 *
 * @example
 * ```ts
 * import { readSmallFileSync } from "./small_file.ts";
 * const bytes = readSmallFileSync("/etc/hostname", 1 << 20);
 * ```
 */
export function readSmallFileSync(path: string, limit: number): Uint8Array {
  check(statSync(path), limit);
  // O_NONBLOCK: a FIFO swapped in after the stat still cannot block the open.
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    check(st, limit);
    let buffer = new Uint8Array(Math.min(limit, st.size) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > limit) throw tooLarge(undefined, limit);
        const bigger = new Uint8Array(Math.min(limit + 1, buffer.length * 2));
        bigger.set(buffer);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > limit) throw tooLarge(undefined, limit);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
