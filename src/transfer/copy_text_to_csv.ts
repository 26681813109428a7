/**
 * The export's data path: rows of COPY text (as `COPY … TO STDOUT` sends
 * them by default) in, CSV out — byte for byte what the server's own
 * `FORMAT csv` writes (PostgreSQL's `CopyAttributeOutCSV`): a field is quoted
 * when it holds the delimiter, the quote character, `\r` or `\n`, when it is
 * the empty string, or when it is `\.` in a one-column table; quote
 * characters inside are doubled; NULL is written as nothing.
 *
 * Why: formatting CSV is the most expensive part of `COPY … TO` for the
 * server (twice the time of COPY text), and the server is the bottleneck of
 * an export; this conversion runs on the client's core instead.
 *
 * It works on bytes, so it needs an ASCII delimiter and quote and data in an
 * encoding whose multi-byte characters never contain ASCII bytes (UTF-8).
 *
 * @example
 * ```ts
 * import { CopyTextToCsv } from "./copy_text_to_csv.ts";
 * const conv = new CopyTextToCsv({ delimiter: 0x2c, quote: 0x22 });
 * const enc = new TextEncoder();
 * new TextDecoder().decode(conv.push(enc.encode("id\tnote\n")).slice()); // 'id,note\n'
 * new TextDecoder().decode(conv.push(enc.encode("1\ta,b\\n\n")).slice()); // '1,"a,b\n"\n'
 * new TextDecoder().decode(conv.push(enc.encode("2\t\\N\n")).slice()); // '2,\n'
 * ```
 *
 * @module
 */

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

/** What follows a backslash in COPY text, decoded (-1: `\N`, NULL). */
const UNESCAPE = new Int16Array(256);
for (let b = 0; b < 256; b++) UNESCAPE[b] = b;
UNESCAPE[0x62] = 0x08; // \b
UNESCAPE[0x66] = 0x0c; // \f
UNESCAPE[0x6e] = LF; // \n
UNESCAPE[0x72] = CR; // \r
UNESCAPE[0x74] = TAB; // \t
UNESCAPE[0x76] = 0x0b; // \v
UNESCAPE[0x4e] = -1; // \N

// Byte classes of the input.
const PLAIN = 0;
const FIELD_END = 1; // tab or newline
const ESCAPE = 2; // backslash
const SPECIAL = 3; // delimiter, quote, CR, LF (after unescaping): the field needs quotes

/** Options of {@link CopyTextToCsv}. */
export interface CopyTextToCsvOptions {
  /** CSV delimiter byte (ASCII). */
  readonly delimiter: number;
  /** CSV quote byte (ASCII); also the escape character, as in COPY's CSV default. */
  readonly quote: number;
}

/**
 * Converts COPY text rows (default delimiter tab, NULL `\N`) to CSV rows.
 * The first row seen (the header, or the first data row) tells the number
 * of columns.
 */
export class CopyTextToCsv {
  readonly #delimiter: number;
  readonly #quote: number;
  /** Byte classes of raw input bytes. */
  readonly #class = new Uint8Array(256);
  /** Bytes (decoded) that make a field quoted. */
  readonly #special = new Uint8Array(256);
  #out = new Uint8Array(64 << 10);
  /** A row cut off at the end of the last chunk. */
  #carry: Uint8Array | undefined;
  /** Columns per row; 0 until the first row was seen. */
  #columns = 0;

  /** Creates a converter; see {@link CopyTextToCsvOptions}. */
  constructor(options: CopyTextToCsvOptions) {
    const { delimiter, quote } = options;
    if (delimiter > 0x7f || quote > 0x7f) throw new Error("delimiter and quote must be ASCII");
    this.#delimiter = delimiter;
    this.#quote = quote;
    for (const b of [delimiter, quote, LF, CR]) {
      this.#special[b] = 1;
      this.#class[b] = SPECIAL;
    }
    this.#class[TAB] = FIELD_END;
    this.#class[LF] = FIELD_END;
    this.#class[BACKSLASH] = ESCAPE;
  }

  /** The most bytes {@link convertInto} writes for `n` input bytes. */
  static maxOutput(n: number): number {
    // A doubled quote per byte at worst, plus two quotes per field.
    return 4 * n + 16;
  }

  /**
   * Converts the complete rows in `chunk` (a row cut off at its end is kept
   * for the next call). The result is a view of an internal buffer, valid
   * until the next call.
   */
  push(chunk: Uint8Array): Uint8Array {
    const need = CopyTextToCsv.maxOutput(chunk.length + (this.#carry?.length ?? 0));
    if (this.#out.length < need) this.#out = new Uint8Array(need + (need >> 1));
    return this.#out.subarray(0, this.convertInto(chunk, this.#out, 0));
  }

  /**
   * Like {@link push}, but writes the CSV into `out` at `at` (which must have
   * room for {@link maxOutput} of the chunk's length plus any carried bytes)
   * and returns where it ended.
   */
  convertInto(chunk: Uint8Array, out: Uint8Array, at: number): number {
    let input = chunk;
    if (this.#carry) {
      input = new Uint8Array(this.#carry.length + chunk.length);
      input.set(this.#carry);
      input.set(chunk, this.#carry.length);
      this.#carry = undefined;
    }
    let end = input.length;
    while (end > 0 && input[end - 1] !== LF) end--;
    if (end < input.length) this.#carry = input.slice(end);
    if (end === 0) return at;
    if (this.#columns === 0) {
      let tabs = 0;
      for (let i = 0; i < end && input[i] !== LF; i++) if (input[i] === TAB) tabs++;
      this.#columns = tabs + 1;
    }
    return this.#convert(input, end, out, at);
  }

  /** Carried bytes of a row not yet complete. */
  get carried(): number {
    return this.#carry?.length ?? 0;
  }

  /** The rows of `input[0, end)` (ending with `\n`) as CSV into `out` from `o`; returns the end. */
  #convert(input: Uint8Array, end: number, out: Uint8Array, o: number): number {
    const cls = this.#class;
    const special = this.#special;
    const quote = this.#quote;
    const delimiter = this.#delimiter;
    const single = this.#columns === 1;
    let start = o; // where the current field's output begins
    let quoted = false;
    let isNull = false;
    for (let i = 0; i < end; i++) {
      let b = input[i];
      const c = cls[b];
      if (c === PLAIN) {
        out[o++] = b;
        continue;
      }
      if (c === FIELD_END) {
        if (!isNull) {
          const length = o - start;
          const dotOnly = single && !quoted && length === 2 && out[start] === BACKSLASH &&
            out[start + 1] === DOT;
          if (!quoted && (length === 0 || dotOnly)) {
            out.copyWithin(start + 1, start, o);
            out[start] = quote;
            o++;
            quoted = true;
          }
          if (quoted) out[o++] = quote;
        }
        out[o++] = b === TAB ? delimiter : LF;
        start = o;
        quoted = false;
        isNull = false;
        continue;
      }
      if (c === ESCAPE) {
        const u = UNESCAPE[input[++i]];
        if (u < 0) {
          isNull = true;
          continue;
        }
        b = u;
        if (special[b] === 0) {
          out[o++] = b;
          continue;
        }
      }
      // The field needs quotes: open them (once) at its start.
      if (!quoted) {
        out.copyWithin(start + 1, start, o);
        out[start] = quote;
        o++;
        quoted = true;
      }
      out[o++] = b;
      if (b === quote) out[o++] = quote;
    }
    return o;
  }
}
