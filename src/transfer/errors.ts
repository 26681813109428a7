/**
 * The error type of pgimport/pgexport, and the file-system error helpers they share.
 *
 * @module
 */
import { stat } from "node:fs/promises";

/**
 * An import or export could not be done. The message is one line, ready to
 * show to a user: it names the file (and line) or the table involved and
 * what was wrong.
 *
 * @example
 * ```ts
 * import { TransferError } from "./errors.ts";
 * throw new TransferError("data.csv: line 3: 2 fields, expected 4");
 * ```
 */
export class TransferError extends Error {
  /** Creates the error with a one-line message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransferError";
  }
}

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EROFS: "Read-only file system",
  ENOSPC: "No space left on device",
  EEXIST: "File exists",
};

/**
 * The reason of a file-system error in the words of `strerror`
 * (`No such file or directory`), else the error's message.
 *
 * @example
 * ```ts
 * import { fsReason } from "./errors.ts";
 * fsReason(Object.assign(new Error("x"), { code: "EACCES" })); // "Permission denied"
 * ```
 */
export function fsReason(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && FS_REASONS[code]) return FS_REASONS[code];
  return e instanceof Error ? e.message : String(e);
}

/**
 * Whether `code` says a path does not exist (also when a parent is not a
 * directory).
 */
export function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** Whether `path` exists; errors other than "missing" (e.g. permission denied) are thrown. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (isMissing(e)) return false;
    throw e;
  }
}
