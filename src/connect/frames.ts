/**
 * A zero-copy scanner for PostgreSQL wire-protocol frames, used by the
 * transport to see which requests are outstanding on a connection.
 *
 * Every frame is `type (1 byte) + length (4 bytes, counting itself) + body`,
 * except the very first frame a client sends (StartupMessage, SSLRequest,
 * CancelRequest), which has no type byte. The scanner keeps only the frame
 * state across chunks (bytes of a header still missing, body bytes still to
 * skip), so it never copies or concatenates the chunks it is shown. The one
 * exception is a frame whose visitor asks for the first bytes of its body
 * (the transport does this for `Q` and `P` messages, to spot `LISTEN`) when
 * those bytes are split across chunks: then at most {@link PEEK_LIMIT} bytes
 * are copied.
 *
 * @module
 */

/** Most body bytes a visitor may ask to see (see {@link FrameVisitor.frame}). */
export const PEEK_LIMIT = 512;

/** The type byte the scanner reports for the untyped first client message. */
export const UNTYPED = 0;

/**
 * Receives the frames a {@link FrameScanner} finds.
 *
 * @example
 * ```ts
 * import { FrameScanner, type FrameVisitor } from "./frames.ts";
 * let readyForQuery = 0;
 * const visitor: FrameVisitor = {
 *   frame(type) {
 *     if (type === 0x5a) readyForQuery++; // 'Z'
 *     return 0;
 *   },
 * };
 * new FrameScanner(visitor).feed(new Uint8Array([0x5a, 0, 0, 0, 5, 0x49]));
 * console.log(readyForQuery); // 1
 * ```
 */
export interface FrameVisitor {
  /**
   * Called once per frame, as soon as its header is complete.
   *
   * @param type the type byte (`UNTYPED` for an untyped first message)
   * @param bodyLength length of the body (the frame's length minus 4)
   * @param chunk the chunk the header was found in
   * @param bodyStart where the body starts in `chunk` (may be `chunk.length`)
   * @returns how many leading body bytes the visitor needs to look at (0 for
   * none). If `chunk` holds them all, the visitor should read them in place
   * and return 0; otherwise the scanner collects them and calls
   * {@link FrameVisitor.body}.
   */
  frame(type: number, bodyLength: number, chunk: Uint8Array, bodyStart: number): number;
  /** Receives the leading body bytes requested by {@link FrameVisitor.frame}. */
  body?(type: number, bytes: Uint8Array): void;
}

// Scanner states.
const FRAME_START = 0;
const IN_HEADER = 1;
const IN_BODY = 2;

/**
 * Splits a byte stream into protocol frames without copying it.
 *
 * @example
 * ```ts
 * import { FrameScanner } from "./frames.ts";
 * const types: string[] = [];
 * const scanner = new FrameScanner({
 *   frame(type) {
 *     types.push(String.fromCharCode(type));
 *     return 0;
 *   },
 * });
 * // A ReadyForQuery frame split over two chunks:
 * scanner.feed(new Uint8Array([0x5a, 0, 0]));
 * scanner.feed(new Uint8Array([0, 5, 0x49]));
 * console.log(types); // ["Z"]
 * ```
 */
export class FrameScanner {
  #visitor: FrameVisitor;
  #untyped: boolean;
  #state = FRAME_START;
  #type = 0;
  #length = 0;
  #headerLeft = 0;
  #bodyLeft = 0;
  #peek: Uint8Array | null = null;
  #peekWant = 0;
  #peekHave = 0;

  /**
   * Creates a scanner that reports to `visitor`.
   *
   * @param visitor receives each frame
   * @param untypedFirst the first frame has no type byte (a client's stream)
   */
  constructor(visitor: FrameVisitor, untypedFirst = false) {
    this.#visitor = visitor;
    this.#untyped = untypedFirst;
  }

  /** Scans the next chunk of the stream. */
  feed(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.#state === IN_BODY) {
        const left = this.#bodyLeft;
        const step = left < n - i ? left : n - i;
        if (this.#peekHave < this.#peekWant) this.#collect(chunk, i, step);
        i += step;
        this.#bodyLeft = left - step;
        if (this.#bodyLeft === 0) this.#state = FRAME_START;
        continue;
      }
      if (this.#state === FRAME_START) {
        if (this.#untyped) {
          this.#untyped = false;
          this.#type = UNTYPED;
        } else {
          this.#type = chunk[i++];
        }
        if (i + 4 <= n) {
          // Fast path: the whole length is in this chunk.
          this.#length = ((chunk[i] << 24) | (chunk[i + 1] << 16) | (chunk[i + 2] << 8) |
            chunk[i + 3]) >>> 0;
          i += 4;
          i = this.#begin(chunk, i);
          continue;
        }
        this.#length = 0;
        this.#headerLeft = 4;
        this.#state = IN_HEADER;
      }
      // IN_HEADER: length bytes split across chunks.
      while (this.#headerLeft > 0 && i < n) {
        this.#length = (this.#length * 256 + chunk[i++]) >>> 0;
        this.#headerLeft--;
      }
      if (this.#headerLeft === 0) i = this.#begin(chunk, i);
    }
  }

  /** Header complete at `i`: report the frame and skip what of its body is here. */
  #begin(chunk: Uint8Array, i: number): number {
    const bodyLength = this.#length > 4 ? this.#length - 4 : 0;
    const want = this.#visitor.frame(this.#type, bodyLength, chunk, i);
    const available = chunk.length - i;
    if (bodyLength <= available) {
      // The whole body is here (the common case): the visitor has seen it.
      this.#state = FRAME_START;
      return i + bodyLength;
    }
    if (want > 0) {
      this.#peekWant = want < PEEK_LIMIT ? want : PEEK_LIMIT;
      this.#peekHave = 0;
      this.#peek ??= new Uint8Array(PEEK_LIMIT);
      this.#collect(chunk, i, available);
    }
    this.#bodyLeft = bodyLength - available;
    this.#state = IN_BODY;
    return chunk.length;
  }

  /** Copies up to `count` bytes from `chunk[at..]` into the peek buffer. */
  #collect(chunk: Uint8Array, at: number, count: number): void {
    const take = Math.min(count, this.#peekWant - this.#peekHave);
    if (take > 0) {
      this.#peek!.set(chunk.subarray(at, at + take), this.#peekHave);
      this.#peekHave += take;
    }
    if (this.#peekHave === this.#peekWant && this.#peekWant > 0) {
      const bytes = this.#peek!.subarray(0, this.#peekWant);
      this.#peekWant = this.#peekHave = 0;
      this.#visitor.body?.(this.#type, bytes);
    }
  }
}

/** What a `LISTEN` or `UNLISTEN` statement does. */
export interface ListenCommand {
  /** `true` for `UNLISTEN`. */
  unlisten: boolean;
  /** The channel name as the server sees it (folded if unquoted), or `*`. */
  channel: string;
}

const decoder = new TextDecoder();

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isIdentChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x5f || c === 0x24 || c >= 0x80;
}

/** Skips white space and SQL comments from `i`; returns the next position. */
function skipBlank(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (isSpace(c)) i++;
    else if (c === 0x2d && b[i + 1] === 0x2d && i + 1 < end) {
      while (i < end && b[i] !== 0x0a) i++;
    } else if (c === 0x2f && b[i + 1] === 0x2a && i + 1 < end) {
      i += 2;
      while (i + 1 < end && !(b[i] === 0x2a && b[i + 1] === 0x2f)) i++;
      i += 2;
    } else break;
  }
  return i;
}

/** Case-insensitive match of the lower-case ASCII `word` at `b[i..]`. */
function matchWord(b: Uint8Array, i: number, end: number, word: string): boolean {
  if (end - i < word.length) return false;
  for (let k = 0; k < word.length; k++) {
    if ((b[i + k] | 0x20) !== word.charCodeAt(k)) return false;
  }
  const after = i + word.length;
  return after === end || !isIdentChar(b[after]);
}

/**
 * Recognises a statement that starts with `LISTEN channel` or
 * `UNLISTEN channel|*` (case-insensitive, after white space and comments) in
 * the query text `bytes[start..end]`. Returns `null` for anything else; cheap
 * for ordinary statements (it looks at one byte after the white space).
 *
 * @example
 * ```ts
 * import { parseListen } from "./frames.ts";
 * const sql = new TextEncoder().encode('  listen "Jobs"\0');
 * console.log(parseListen(sql, 0, sql.length)); // { unlisten: false, channel: "Jobs" }
 * ```
 */
export function parseListen(bytes: Uint8Array, start: number, end: number): ListenCommand | null {
  let i = skipBlank(bytes, start, end);
  if (i >= end) return null;
  const first = bytes[i] | 0x20;
  if (first !== 0x6c && first !== 0x75) return null; // 'l' | 'u'
  let unlisten = false;
  if (matchWord(bytes, i, end, "listen")) i += 6;
  else if (matchWord(bytes, i, end, "unlisten")) {
    unlisten = true;
    i += 8;
  } else return null;
  i = skipBlank(bytes, i, end);
  if (i >= end) return null;
  if (bytes[i] === 0x2a) return unlisten ? { unlisten, channel: "*" } : null; // '*'
  if (bytes[i] === 0x22) {
    // Quoted identifier: "" is an escaped quote.
    const parts: string[] = [];
    let from = ++i;
    while (i < end) {
      if (bytes[i] === 0x22) {
        parts.push(decoder.decode(bytes.subarray(from, i)));
        if (bytes[i + 1] === 0x22 && i + 1 < end) {
          parts.push('"');
          i += 2;
          from = i;
          continue;
        }
        return { unlisten, channel: parts.join("") };
      }
      i++;
    }
    return null;
  }
  const from = i;
  while (i < end && isIdentChar(bytes[i])) i++;
  if (i === from) return null;
  // Unquoted identifiers fold to lower case (ASCII only, as the server does).
  return {
    unlisten,
    channel: decoder.decode(bytes.subarray(from, i)).replace(/[A-Z]+/g, (s) => s.toLowerCase()),
  };
}
