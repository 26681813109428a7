/**
 * The import's converters from file bytes to COPY text, one per kind of
 * input, all with one interface:
 *
 * - bytes the server decodes (UTF-8, Latin-1, Windows code pages…) with an
 *   ASCII delimiter and quote: straight into the byte scanner
 *   (`csv_to_copy.ts`), leading UTF-8 BOM dropped;
 * - encodings we decode (UTF-16/32, Shift-JIS, Big5…): decoded, re-encoded
 *   as UTF-8, then the byte scanner;
 * - a non-ASCII delimiter or quote: decoded and parsed as text
 *   (`csv_reader.ts`), rows written with `copy_text.ts`.
 *
 * @module
 */
import type { Codec } from "./codecs.ts";
import { CsvReader } from "./csv_reader.ts";
import { CsvToCopy } from "./csv_to_copy.ts";
import { copyTextRow } from "./copy_text.ts";
import { type ChunkDecoder, createDecoder } from "./decode.ts";
import { TransferError } from "./errors.ts";
import { decodeError, isDataRow, lineOfBadBytes } from "./header.ts";
import { midFileBomError } from "./bom_guard.ts";

/** File bytes in, COPY text out. */
export interface Converter {
  /** Converts the next chunk of the file (the chunk may be reused afterwards). */
  push(chunk: Uint8Array): void;
  /** Ends the file. */
  finish(): void;
  /** COPY text of the rows completed since the last call; valid until the next call. */
  takeOutput(): Uint8Array;
  /** Bytes (about, for text rows: characters) of completed rows not yet taken. */
  readonly pendingOutput: number;
  /** Rows converted. */
  readonly rows: number;
  /** Current line of the file. */
  readonly line: number;
  /** With `stopAtRow`: start line of that output row once reached. */
  readonly foundLine: number;
}

/** What a converter needs to know. */
export interface ConverterPlan {
  /** The file's codec. */
  readonly codec: Codec;
  /** Delimiter character. */
  readonly delimiter: string;
  /** Quote character. */
  readonly quotechar: string;
  /** Fields per row. */
  readonly fields: number;
  /** Field indexes to send. */
  readonly keep: readonly number[];
  /** Drop the first data row (the header). */
  readonly skipHeader: boolean;
  /** Whether the field count comes from a header row. */
  readonly countFromHeader: boolean;
  /** File name for messages. */
  readonly file: string;
  /** Record the start line of this output row (1-based) in `foundLine`. */
  readonly stopAtRow?: number;
  /** COPY binary tuples instead of COPY text (only where {@link binaryCapable}). */
  readonly binary?: boolean;
}

/** Whether `codec` is a Unicode encoding, in which `EF BB BF` / U+FEFF is a byte-order mark. */
function isUnicode(codec: Codec): boolean {
  return codec.pg === "UTF8" || codec.name.startsWith("utf");
}

/** Whether `plan` uses the byte scanner (ASCII delimiter and quote). */
function bytewise(plan: ConverterPlan): boolean {
  return plan.delimiter.charCodeAt(0) < 0x80 && plan.quotechar.charCodeAt(0) < 0x80;
}

/** The PostgreSQL encoding of the COPY data a converter for `plan` produces. */
export function copyEncoding(plan: ConverterPlan): string {
  return bytewise(plan) && plan.codec.pg ? plan.codec.pg : "UTF8";
}

/**
 * Whether a converter for `plan` can write COPY binary tuples: the byte
 * scanner producing UTF-8 (binary TEXT values are read in the session's
 * client encoding, UTF-8, since there is no ENCODING option for them).
 */
export function binaryCapable(plan: ConverterPlan): boolean {
  return bytewise(plan) && copyEncoding(plan) === "UTF8";
}

function scanner(plan: ConverterPlan): CsvToCopy {
  return new CsvToCopy({
    delimiter: plan.delimiter.charCodeAt(0),
    quote: plan.quotechar.charCodeAt(0),
    columns: plan.fields,
    keep: plan.keep,
    skipHeader: plan.skipHeader,
    countFromHeader: plan.countFromHeader,
    file: plan.file,
    stopAtRow: plan.stopAtRow,
    rejectLineStartBom: isUnicode(plan.codec),
    binary: plan.binary,
  });
}

/**
 * A converter that prepares bytes and hands them to the byte scanner, whose
 * output and counters are its own.
 */
abstract class ScannerFront implements Converter {
  protected readonly inner: CsvToCopy;
  constructor(plan: ConverterPlan) {
    this.inner = scanner(plan);
  }
  abstract push(chunk: Uint8Array): void;
  abstract finish(): void;
  takeOutput(): Uint8Array {
    return this.inner.takeOutput();
  }
  get pendingOutput(): number {
    return this.inner.pendingOutput;
  }
  get rows(): number {
    return this.inner.rows;
  }
  get line(): number {
    return this.inner.line;
  }
  get foundLine(): number {
    return this.inner.foundLine;
  }
}

/** Server-decoded bytes: the byte scanner, after dropping a leading BOM. */
class PassThrough extends ScannerFront {
  #bom: readonly number[] | undefined;
  #held = new Uint8Array(0);
  constructor(plan: ConverterPlan) {
    super(plan);
    this.#bom = plan.codec.bom;
  }
  push(chunk: Uint8Array): void {
    if (this.#bom) {
      // Hold back the first bytes until we know whether they are a BOM.
      const start = new Uint8Array(this.#held.length + chunk.length);
      start.set(this.#held);
      start.set(chunk, this.#held.length);
      if (
        start.length < this.#bom.length &&
        this.#bom.every((b, i) => i >= start.length || start[i] === b)
      ) {
        this.#held = start;
        return;
      }
      const isBom = this.#bom.every((b, i) => start[i] === b);
      const bomLength = this.#bom.length;
      this.#bom = undefined;
      this.#held = new Uint8Array(0);
      this.inner.push(isBom ? start.subarray(bomLength) : start);
      return;
    }
    this.inner.push(chunk);
  }
  finish(): void {
    if (this.#held.length) this.inner.push(this.#held);
    this.#held = new Uint8Array(0);
    this.inner.finish();
  }
}

/** Decodes on our side, then hands UTF-8 to the byte scanner. */
class Transcode extends ScannerFront {
  readonly #decoder: ChunkDecoder;
  readonly #encoder = new TextEncoder();
  readonly #plan: ConverterPlan;
  constructor(plan: ConverterPlan) {
    super(plan);
    this.#plan = plan;
    this.#decoder = createDecoder(plan.codec, { keepBom: false, fatal: true });
  }
  #feed(chunk: Uint8Array, final: boolean): void {
    let text: string;
    try {
      text = this.#decoder.decode(chunk, final);
    } catch (e) {
      const line = lineOfBadBytes(this.#plan.codec, chunk, this.inner.line);
      throw decodeError(this.#plan.file, this.#plan.codec, line, e);
    }
    if (text) this.inner.push(this.#encoder.encode(text));
  }
  push(chunk: Uint8Array): void {
    this.#feed(chunk, false);
  }
  finish(): void {
    this.#feed(new Uint8Array(0), true);
    this.inner.finish();
  }
}

/** Decodes and parses as text: for delimiters and quotes outside ASCII. */
class TextRows implements Converter {
  readonly #plan: ConverterPlan;
  readonly #decoder: ChunkDecoder;
  readonly #reader: CsvReader;
  readonly #encoder = new TextEncoder();
  #skipHeader: boolean;
  #pending: string[] = [];
  #pendingLength = 0;
  #rows = 0;
  #foundLine = 0;
  constructor(plan: ConverterPlan) {
    this.#plan = plan;
    this.#skipHeader = plan.skipHeader;
    this.#decoder = createDecoder(plan.codec, { keepBom: false, fatal: true });
    this.#reader = new CsvReader(
      { delimiter: plan.delimiter, quotechar: plan.quotechar },
      { rejectUnclosedQuote: true, file: plan.file },
    );
  }
  #take(text: string, final: boolean): void {
    const plan = this.#plan;
    const rows = this.#reader.push(text);
    if (final) rows.push(...this.#reader.end());
    for (const row of rows) {
      if (row.fields[0]?.startsWith("\uFEFF") && !row.firstQuoted) {
        throw midFileBomError(plan.file, row.line);
      }
      if (!isDataRow(row)) continue;
      if (row.fields.length !== plan.fields) {
        const what = plan.countFromHeader ? "the header row" : "the first row";
        const n = row.fields.length;
        throw new TransferError(
          `${plan.file}: line ${row.line}: ${n} field${n === 1 ? "" : "s"}, expected ` +
            `${plan.fields} as in ${what}`,
        );
      }
      if (this.#skipHeader) {
        this.#skipHeader = false;
        continue;
      }
      const text = copyTextRow(plan.keep.map((i) => row.fields[i]));
      this.#pending.push(text);
      this.#pendingLength += text.length;
      this.#rows++;
      if (this.#rows === plan.stopAtRow) this.#foundLine = row.line;
    }
  }
  #decode(chunk: Uint8Array, final: boolean): string {
    try {
      return this.#decoder.decode(chunk, final);
    } catch (e) {
      const line = lineOfBadBytes(this.#plan.codec, chunk, this.#reader.line);
      throw decodeError(this.#plan.file, this.#plan.codec, line, e);
    }
  }
  push(chunk: Uint8Array): void {
    this.#take(this.#decode(chunk, false), false);
  }
  finish(): void {
    this.#take(this.#decode(new Uint8Array(0), true), true);
  }
  takeOutput(): Uint8Array {
    const out = this.#encoder.encode(this.#pending.join(""));
    this.#pending = [];
    this.#pendingLength = 0;
    return out;
  }
  get pendingOutput(): number {
    return this.#pendingLength;
  }
  get rows(): number {
    return this.#rows;
  }
  get line(): number {
    return this.#reader.line;
  }
  get foundLine(): number {
    return this.#foundLine;
  }
}

/**
 * The converter for `plan`.
 *
 * @example
 * ```ts
 * import { findCodec } from "./codecs.ts";
 * import { createConverter } from "./converters.ts";
 * const conv = createConverter({
 *   codec: findCodec("utf-8")!, delimiter: ",", quotechar: '"', fields: 2, keep: [0, 1],
 *   skipHeader: false, countFromHeader: false, file: "x.csv",
 * });
 * conv.push(new TextEncoder().encode("a,b\n"));
 * conv.finish();
 * new TextDecoder().decode(conv.takeOutput()); // "a\tb\n"
 * ```
 */
export function createConverter(plan: ConverterPlan): Converter {
  if (plan.binary && !binaryCapable(plan)) throw new Error("binary COPY needs UTF-8 bytes");
  if (!bytewise(plan)) return new TextRows(plan);
  return plan.codec.pg ? new PassThrough(plan) : new Transcode(plan);
}
