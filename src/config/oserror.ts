/**
 * Python's wording of operating-system errors (`str(OSError)`), so messages
 * that embed them read exactly like pgmonkey (Python)'s on Linux.
 *
 * @module
 */

import { pyRepr } from "./pystr.ts";

/** errno code → [Linux errno number, Python/strerror text]. */
const ERRNO: Readonly<Record<string, readonly [number, string]>> = {
  EPERM: [1, "Operation not permitted"],
  ENOENT: [2, "No such file or directory"],
  EIO: [5, "Input/output error"],
  ENXIO: [6, "No such device or address"],
  EBADF: [9, "Bad file descriptor"],
  EAGAIN: [11, "Resource temporarily unavailable"],
  ENOMEM: [12, "Cannot allocate memory"],
  EACCES: [13, "Permission denied"],
  EBUSY: [16, "Device or resource busy"],
  ENODEV: [19, "No such device"],
  ENOTDIR: [20, "Not a directory"],
  EISDIR: [21, "Is a directory"],
  EINVAL: [22, "Invalid argument"],
  ENFILE: [23, "Too many open files in system"],
  EMFILE: [24, "Too many open files"],
  ETXTBSY: [26, "Text file busy"],
  EFBIG: [27, "File too large"],
  ENAMETOOLONG: [36, "File name too long"],
  ELOOP: [40, "Too many levels of symbolic links"],
};

/**
 * The `code` (`ENOENT`, `EACCES`, …) of a Node or Deno file-system error,
 * if it has one.
 *
 * @example
 * ```ts
 * import { errorCode } from "./oserror.ts";
 * try {
 *   Deno.readTextFileSync("/nonexistent");
 * } catch (e) {
 *   errorCode(e); // "ENOENT"
 * }
 * ```
 */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code !== "") return code;
  // Older Deno versions: map the error class name.
  const byName: Record<string, string> = {
    NotFound: "ENOENT",
    PermissionDenied: "EACCES",
    IsADirectory: "EISDIR",
    NotADirectory: "ENOTDIR",
  };
  return byName[(error as { name?: string }).name ?? ""];
}

/**
 * Python's `str()` of the `OSError` that opening `path` would raise, e.g.
 * `[Errno 21] Is a directory: '/tmp'`. Errors without a known errno code
 * fall back to their own message.
 *
 * @example
 * ```ts
 * import { pyOsErrorText } from "./oserror.ts";
 * pyOsErrorText({ code: "EACCES" }, "/etc/shadow");
 * // "[Errno 13] Permission denied: '/etc/shadow'"
 * ```
 */
export function pyOsErrorText(error: unknown, path: string): string {
  const code = errorCode(error);
  const known = code ? ERRNO[code] : undefined;
  if (known) return `[Errno ${known[0]}] ${known[1]}: ${pyRepr(path)}`;
  if (error instanceof Error) return error.message.split("\n")[0];
  return String(error);
}
