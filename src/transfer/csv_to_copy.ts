/**
 * The import's data path: CSV bytes in, COPY text format bytes out, one
 * pass, constant memory. It parses with Python's `csv.reader` rules (see
 * `csv_reader.ts`: quotes, doubled quotes, text after a closing quote,
 * quoted fields spanning lines, `\n`/`\r\n`/`\r` line ends) and checks every
 * row on the way:
 *
 * - blank lines and rows whose fields are all empty and unquoted (`,,,`)
 *   are skipped, as pgmonkey (Python) does;
 * - the first kept row is dropped when it is the header;
 * - every other row must have exactly as many fields as the header (or the
 *   first row), otherwise a {@link TransferError} names the file, the line
 *   and the counts — nothing is silently dropped or padded;
 * - a quoted field still open at the end of the file is an error naming the
 *   line of its opening quote;
 * - fields whose header cell is blank are left out;
 * - with `rejectLineStartBom`, a line that starts with a byte-order mark
 *   (outside quotes) is an error naming the line.
 *
 * With `binary`, rows come out as COPY binary tuples (every field a TEXT
 * value given by its length), otherwise as COPY text.
 *
 * It works on bytes, so it needs an ASCII delimiter and quote character and
 * an encoding in which bytes below 0x80 are always ASCII (UTF-8, ISO-8859,
 * Windows code pages, EUC…); the importer transcodes anything else to UTF-8
 * first.
 *
 * @module
 */
import { COPY_BACKSLASH, COPY_LF, COPY_TAB } from "./copy_text.ts";
import { TransferError } from "./errors.ts";
import { midFileBomError } from "./bom_guard.ts";

/** Options of {@link CsvToCopy}. */
export interface CsvToCopyOptions {
  /** Delimiter byte (ASCII). */
  readonly delimiter: number;
  /** Quote byte (ASCII). */
  readonly quote: number;
  /** Fields every row must have. */
  readonly columns: number;
  /** Indexes of the fields to send (default: all), ascending. */
  readonly keep?: readonly number[];
  /** Drop the first kept row (the header). */
  readonly skipHeader: boolean;
  /** Whether the field count comes from a header row (for messages). */
  readonly countFromHeader: boolean;
  /** File name used in messages. */
  readonly file: string;
  /** Record the start line of output row number `stopAtRow` (1-based) in `foundLine`. */
  readonly stopAtRow?: number;
  /**
   * Fail on a line that starts with a UTF-8 byte-order mark outside quotes
   * (files joined together; see `bom_guard.ts`). For Unicode files only.
   */
  readonly rejectLineStartBom?: boolean;
  /**
   * Write COPY binary tuples (field count, then length and bytes of every
   * field) instead of COPY text: no escaping, and the cheapest format for the
   * server to read into TEXT columns. The file header and trailer are not
   * written here (see `copy_binary.ts`).
   */
  readonly binary?: boolean;
}

const START_RECORD = 0;
const START_FIELD = 1;
const IN_FIELD = 2;
const IN_QUOTED = 3;
const QUOTE_IN_QUOTED = 4;

// Byte classes outside quotes.
const U_PLAIN = 0;
const U_DELIM = 1;
const U_NEWLINE = 2;
const U_ESCAPE = 3;
// Byte classes inside quotes.
const Q_PLAIN = 0;
const Q_QUOTE = 1;
const Q_ESCAPE = 2;
const Q_CR = 3;
const Q_LF = 4;

const MIN_BUFFER = 256 << 10;

/**
 * Streaming CSV → COPY text converter. Feed chunks with {@link push}, take
 * the completed rows with {@link takeOutput}, and call {@link finish} at the
 * end of the file.
 *
 * @example
 * ```ts
 * import { CsvToCopy } from "./csv_to_copy.ts";
 * const conv = new CsvToCopy({
 *   delimiter: 0x2c, quote: 0x22, columns: 2, skipHeader: true, countFromHeader: true,
 *   file: "a.csv",
 * });
 * conv.push(new TextEncoder().encode('id,note\n1,"x\ny"\n\n2,\n'));
 * conv.finish();
 * new TextDecoder().decode(conv.takeOutput()); // "1\tx\\ny\n2\t\n"
 * ```
 */
export class CsvToCopy {
  readonly #unq = new Uint8Array(256);
  readonly #quo = new Uint8Array(256);
  readonly #keep: Uint8Array;
  readonly #columns: number;
  readonly #quote: number;
  readonly #file: string;
  readonly #countFromHeader: boolean;
  readonly #stopAtRow: number;
  readonly #rejectBom: boolean;
  readonly #binary: boolean;
  /** Output bytes per input byte at most (COPY text: 2; binary: a 4-byte length per delimiter). */
  readonly #expand: number;
  /** Fields per output row (binary tuples start with it). */
  readonly #kept: number;
  #skipHeader: boolean;
  /** The first byte of the current record as written in the file. */
  #firstByte = 0;

  #out = new Uint8Array(MIN_BUFFER);
  #spare = new Uint8Array(MIN_BUFFER);
  /** Largest chunk pushed so far. */
  #chunk = 0;
  #o = 0;
  #committed = 0;
  #fieldStart = 0;
  #rowStart = 0;
  #state = START_RECORD;
  #field = 0;
  #content = false;
  #quoted = false;
  #line = 1;
  #rowLine = 1;
  #quoteLine = 1;
  #skipLF = false;
  #crPending = false;
  #rows = 0;
  #bytes = 0;
  #foundLine = 0;

  /** Creates a converter; see {@link CsvToCopyOptions}. */
  constructor(options: CsvToCopyOptions) {
    const { delimiter, quote } = options;
    if (delimiter > 0x7f || quote > 0x7f) throw new Error("delimiter and quote must be ASCII");
    this.#unq[delimiter] = U_DELIM;
    this.#unq[0x0a] = U_NEWLINE;
    this.#unq[0x0d] = U_NEWLINE;
    this.#binary = options.binary === true;
    this.#expand = this.#binary ? 6 : 2;
    if (!this.#binary) {
      // COPY text escapes these; binary fields carry them as they are.
      if (delimiter !== COPY_BACKSLASH) this.#unq[COPY_BACKSLASH] = U_ESCAPE;
      if (delimiter !== COPY_TAB) this.#unq[COPY_TAB] = U_ESCAPE;
      this.#quo[COPY_BACKSLASH] = Q_ESCAPE;
      this.#quo[COPY_TAB] = Q_ESCAPE;
    }
    this.#quo[quote] = Q_QUOTE;
    this.#quo[0x0d] = Q_CR;
    this.#quo[0x0a] = Q_LF;
    this.#quote = quote;
    this.#columns = options.columns;
    this.#keep = new Uint8Array(options.columns);
    const keep = options.keep ?? Array.from({ length: options.columns }, (_, i) => i);
    for (const k of keep) this.#keep[k] = 1;
    this.#kept = keep.length;
    this.#skipHeader = options.skipHeader;
    this.#countFromHeader = options.countFromHeader;
    this.#file = options.file;
    this.#stopAtRow = options.stopAtRow ?? 0;
    this.#rejectBom = options.rejectLineStartBom ?? false;
    this.#o = this.#openRow(0);
  }

  /**
   * Starts an output row at `o`: for binary tuples, the field count and the
   * length slot of the first field. Returns the position of the field's bytes.
   */
  #openRow(o: number): number {
    this.#rowStart = o;
    if (this.#binary) {
      const out = this.#out;
      out[o] = this.#kept >> 8;
      out[o + 1] = this.#kept & 0xff;
      o += 6;
    }
    this.#fieldStart = o;
    return o;
  }

  /** Rows converted so far (completed, not counting skipped rows or the header). */
  get rows(): number {
    return this.#rows;
  }

  /** Input bytes seen so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The 1-based line being read. */
  get line(): number {
    return this.#line;
  }

  /** With `stopAtRow`: the start line of that output row once reached, else 0. */
  get foundLine(): number {
    return this.#foundLine;
  }

  /**
   * The COPY text of the rows completed since the last call (may be empty).
   * The converter fills two buffers in turn: the returned bytes stay valid
   * until the next call of `takeOutput`, so one block can be sent while the
   * next is converted.
   */
  takeOutput(): Uint8Array {
    const done = this.#out.subarray(0, this.#committed);
    const tail = this.#o - this.#committed;
    let next = this.#spare;
    const needed = tail + this.#expand * this.#chunk + 16;
    if (next.length < needed) next = new Uint8Array(Math.max(MIN_BUFFER, needed + (needed >> 1)));
    next.set(this.#out.subarray(this.#committed, this.#o));
    this.#spare = this.#out;
    this.#out = next;
    this.#fieldStart -= this.#committed;
    this.#rowStart -= this.#committed;
    this.#o = tail;
    this.#committed = 0;
    return done;
  }

  /** Bytes of completed rows waiting in the buffer. */
  get pendingOutput(): number {
    return this.#committed;
  }

  #ensure(extra: number): void {
    if (this.#o + extra <= this.#out.length) return;
    const need = this.#o + extra;
    const next = new Uint8Array(Math.max(MIN_BUFFER, need + (need >> 1)));
    next.set(this.#out.subarray(0, this.#o));
    this.#out = next;
  }

  #fail(message: string): never {
    throw new TransferError(`${this.#file}: ${message}`);
  }

  /** Ends the current field: marks content, keeps or drops its bytes. */
  #endField(o: number): number {
    if (o > this.#fieldStart) this.#content = true;
    const f = this.#field++;
    if (f === 0 && this.#rejectBom && this.#firstByte === 0xef) this.#checkBom(o);
    if (f < this.#columns && this.#keep[f] === 1) {
      if (this.#binary) {
        const out = this.#out;
        const at = this.#fieldStart - 4;
        const length = o - this.#fieldStart;
        out[at] = length >>> 24;
        out[at + 1] = (length >>> 16) & 0xff;
        out[at + 2] = (length >>> 8) & 0xff;
        out[at + 3] = length & 0xff;
        o += 4; // the next field's length slot
      } else {
        this.#out[o++] = COPY_TAB;
      }
    } else {
      o = this.#fieldStart;
    }
    this.#fieldStart = o;
    return o;
  }

  /** Fails when the record's first field (unquoted, ending at `o`) starts with EF BB BF. */
  #checkBom(o: number): void {
    const at = this.#fieldStart;
    const out = this.#out;
    if (o - at >= 3 && out[at] === 0xef && out[at + 1] === 0xbb && out[at + 2] === 0xbf) {
      throw midFileBomError(this.#file, this.#rowLine);
    }
  }

  /** Ends the current row (after its last field ended). Returns the new output position. */
  #endRow(o: number): number {
    if (!this.#content && !this.#quoted) {
      o = this.#rowStart; // blank or all-empty row: skipped
    } else if (this.#field !== this.#columns) {
      const what = this.#countFromHeader ? "the header row" : "the first row";
      this.#fail(
        `line ${this.#rowLine}: ${this.#field} field${this.#field === 1 ? "" : "s"}, ` +
          `expected ${this.#columns} as in ${what}`,
      );
    } else if (this.#skipHeader) {
      this.#skipHeader = false;
      o = this.#rowStart;
    } else {
      // Text: the last field's tab becomes the row's newline; binary: drop the spare slot.
      if (this.#binary) o -= 4;
      else this.#out[o - 1] = COPY_LF;
      this.#committed = o;
      this.#rows++;
      if (this.#rows === this.#stopAtRow) this.#foundLine = this.#rowLine;
    }
    o = this.#openRow(o);
    this.#field = 0;
    this.#content = false;
    this.#quoted = false;
    this.#state = START_RECORD;
    return o;
  }

  /** Converts one chunk of the file. */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    if (n === 0) return;
    this.#bytes += n;
    if (n > this.#chunk) this.#chunk = n;
    this.#ensure(this.#expand * n + 16);
    const unq = this.#unq;
    const quo = this.#quo;
    const quote = this.#quote;
    const out = this.#out;
    let o = this.#o;
    let i = 0;
    if (this.#crPending) {
      this.#crPending = false;
      if (chunk[0] !== 0x0a) this.#line++;
    }
    if (this.#skipLF) {
      this.#skipLF = false;
      if (chunk[0] === 0x0a) i = 1;
    }
    let state = this.#state;
    while (i < n) {
      if (state === IN_FIELD) {
        // Unquoted field: the hot loop.
        while (i < n) {
          const b = chunk[i++];
          const c = unq[b];
          if (c === U_PLAIN) {
            out[o++] = b;
          } else if (c === U_ESCAPE) {
            out[o++] = COPY_BACKSLASH;
            out[o++] = b === COPY_TAB ? 0x74 : COPY_BACKSLASH;
          } else if (c === U_DELIM) {
            o = this.#endField(o);
            state = START_FIELD;
            break;
          } else {
            o = this.#endField(o);
            o = this.#endRow(o);
            state = START_RECORD;
            i = this.#newline(chunk, i - 1, n);
            break;
          }
        }
      } else if (state === IN_QUOTED) {
        while (i < n) {
          const b = chunk[i++];
          const c = quo[b];
          if (c === Q_PLAIN) {
            out[o++] = b;
          } else if (c === Q_QUOTE) {
            state = QUOTE_IN_QUOTED;
            break;
          } else if (c === Q_ESCAPE) {
            out[o++] = COPY_BACKSLASH;
            out[o++] = b === COPY_TAB ? 0x74 : COPY_BACKSLASH;
          } else {
            // A line break inside quotes: `\n` / `\r` in COPY text, as it is in binary.
            if (this.#binary) out[o++] = b;
            else {
              out[o++] = COPY_BACKSLASH;
              out[o++] = c === Q_LF ? 0x6e : 0x72;
            }
            if (c === Q_LF) this.#line++;
            else if (i < n) {
              if (chunk[i] !== 0x0a) this.#line++;
            } else this.#crPending = true;
          }
        }
      } else {
        const b = chunk[i++];
        const c = unq[b];
        if (state === START_RECORD) {
          if (c === U_NEWLINE) {
            i = this.#newline(chunk, i - 1, n); // blank line
            continue;
          }
          this.#rowLine = this.#line;
          this.#firstByte = b;
          state = START_FIELD;
        }
        if (state === START_FIELD) {
          if (b === quote) {
            state = IN_QUOTED;
            this.#quoted = true;
            this.#quoteLine = this.#line;
          } else if (c === U_PLAIN) {
            out[o++] = b;
            state = IN_FIELD;
          } else if (c === U_ESCAPE) {
            out[o++] = COPY_BACKSLASH;
            out[o++] = b === COPY_TAB ? 0x74 : COPY_BACKSLASH;
            state = IN_FIELD;
          } else if (c === U_DELIM) {
            o = this.#endField(o);
          } else {
            o = this.#endField(o);
            o = this.#endRow(o);
            state = START_RECORD;
            i = this.#newline(chunk, i - 1, n);
          }
        } else { // QUOTE_IN_QUOTED
          if (b === quote) {
            out[o++] = b;
            state = IN_QUOTED;
          } else if (c === U_DELIM) {
            o = this.#endField(o);
            state = START_FIELD;
          } else if (c === U_NEWLINE) {
            o = this.#endField(o);
            o = this.#endRow(o);
            state = START_RECORD;
            i = this.#newline(chunk, i - 1, n);
          } else {
            // Python (strict=False): text after the closing quote joins the field.
            if (c === U_ESCAPE) {
              out[o++] = COPY_BACKSLASH;
              out[o++] = b === COPY_TAB ? 0x74 : COPY_BACKSLASH;
            } else out[o++] = b;
            state = IN_FIELD;
          }
        }
      }
    }
    this.#state = state;
    this.#o = o;
  }

  /**
   * Handles the line break at `chunk[at]` (outside quotes): counts the line
   * and skips the `\n` of a `\r\n`. Returns the index after it.
   */
  #newline(chunk: Uint8Array, at: number, n: number): number {
    this.#line++;
    if (chunk[at] === 0x0d) {
      if (at + 1 < n) return chunk[at + 1] === 0x0a ? at + 2 : at + 1;
      this.#skipLF = true;
    }
    return at + 1;
  }

  /**
   * Ends the input: completes a last row without a line break, and fails on
   * a quoted field that is still open.
   */
  finish(): void {
    if (this.#crPending) {
      this.#crPending = false;
      this.#line++;
    }
    this.#ensure(16);
    let o = this.#o;
    switch (this.#state) {
      case IN_QUOTED:
        this.#fail(
          `line ${this.#quoteLine}: a quoted field is not closed ` +
            `(no closing ${String.fromCharCode(this.#quote)} before the end of the file)`,
        );
        break;
      case START_FIELD:
      case IN_FIELD:
      case QUOTE_IN_QUOTED:
        o = this.#endField(o);
        o = this.#endRow(o);
        break;
    }
    this.#o = o;
    this.#state = START_RECORD;
  }
}
