/**
 * Strict UTF-8 decoding with Python's error wording, for config and secret
 * files (Python opens them in text mode with the UTF-8 locale encoding).
 *
 * @module
 */

/**
 * Where and why bytes are not valid UTF-8, worded like Python's `UnicodeDecodeError`.
 *
 * @example
 * ```ts
 * import { findUtf8Problem, type Utf8Problem } from "./utf8.ts";
 * const p: Utf8Problem | undefined = findUtf8Problem(new Uint8Array([0xc3]));
 * p?.reason; // "unexpected end of data"
 * ```
 */
export interface Utf8Problem {
  /** Offset of the first byte of the bad sequence. */
  start: number;
  /** Offset just past the bad sequence (Python's `end`). */
  end: number;
  /** `invalid start byte`, `invalid continuation byte` or `unexpected end of data`. */
  reason: string;
  /** Python's text, e.g. `'utf-8' codec can't decode byte 0xff in position 0: invalid start byte`. */
  message: string;
}

/**
 * Finds the first invalid UTF-8 sequence in `bytes`, or `undefined` if the
 * bytes are valid UTF-8 (overlong forms and surrogates are invalid).
 *
 * @example
 * ```ts
 * import { findUtf8Problem } from "./utf8.ts";
 * findUtf8Problem(new Uint8Array([0x61, 0xff]))?.message;
 * // "'utf-8' codec can't decode byte 0xff in position 1: invalid start byte"
 * ```
 */
export function findUtf8Problem(bytes: Uint8Array): Utf8Problem | undefined {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return problem(bytes, i, i + 1, "invalid start byte");
    for (let k = 1; k <= need; k++) {
      const j = i + k;
      if (j >= n) return problem(bytes, i, n, "unexpected end of data");
      const c = bytes[j];
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      if (c < min || c > max) return problem(bytes, i, j, "invalid continuation byte");
    }
    i += need + 1;
  }
  return undefined;
}

function problem(bytes: Uint8Array, start: number, end: number, reason: string): Utf8Problem {
  const where = end - start === 1
    ? `byte 0x${bytes[start].toString(16).padStart(2, "0")} in position ${start}`
    : `bytes in position ${start}-${end - 1}`;
  return { start, end, reason, message: `'utf-8' codec can't decode ${where}: ${reason}` };
}

/**
 * Thrown by {@link decodeUtf8Strict}; carries the {@link Utf8Problem}.
 *
 * @example
 * ```ts
 * import { decodeUtf8Strict, Utf8DecodeError } from "./utf8.ts";
 * try {
 *   decodeUtf8Strict(new Uint8Array([0xff]));
 * } catch (e) {
 *   if (e instanceof Utf8DecodeError) console.error(e.problem.start); // 0
 * }
 * ```
 */
export class Utf8DecodeError extends Error {
  /** The first invalid sequence. */
  readonly problem: Utf8Problem;
  /** Creates the error from a problem report. */
  constructor(problem: Utf8Problem) {
    super(problem.message);
    this.name = "Utf8DecodeError";
    this.problem = problem;
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 exactly like Python's strict `utf-8` codec: a leading BOM is
 * kept (as `\ufeff`), invalid bytes throw {@link Utf8DecodeError}.
 *
 * @example
 * ```ts
 * import { decodeUtf8Strict } from "./utf8.ts";
 * decodeUtf8Strict(new TextEncoder().encode("héllo")); // "héllo"
 * ```
 */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    const p = findUtf8Problem(bytes);
    if (p) throw new Utf8DecodeError(p);
    throw new Utf8DecodeError({
      start: 0,
      end: bytes.length,
      reason: "invalid data",
      message: "'utf-8' codec can't decode the data",
    });
  }
}
