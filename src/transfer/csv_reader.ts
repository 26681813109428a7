/**
 * Python's `csv.reader` on text, fed in chunks: the same state machine
 * (CPython `_csv.c`) with `doublequote`, `skipinitialspace`, `strict=False`
 * and no escape character. Lines end at `\n`, `\r` or `\r\n`; a quoted
 * field may span lines; text after a closing quote is appended to the
 * field; a quote inside an unquoted field is an ordinary character; a blank
 * line is a row with no fields.
 *
 * One addition: with `rejectUnclosedQuote`, end of input inside a quoted
 * field is an error naming the line where the quote opened (Python returns
 * the partial field).
 *
 * This reader is for text (the Sniffer's sample, header rows, unusual
 * delimiters); the import's data path uses the byte-level scanner in
 * `csv_to_copy.ts`, which implements the same rules.
 *
 * @module
 */
import { TransferError } from "./errors.ts";

/** How a CSV file is written. */
export interface CsvDialect {
  /** Field delimiter (one character). */
  readonly delimiter: string;
  /** Quote character (one character). */
  readonly quotechar: string;
  /** `""` inside a quoted field is one `"` (default true). */
  readonly doublequote?: boolean;
  /** Spaces right after a delimiter are ignored (default false). */
  readonly skipinitialspace?: boolean;
}

/** One parsed row. */
export interface CsvRow {
  /** The fields (empty for a blank line). */
  readonly fields: string[];
  /** 1-based line where the row starts. */
  readonly line: number;
  /** Whether any field of the row was quoted. */
  readonly quoted: boolean;
  /** Whether the first field was quoted. */
  readonly firstQuoted?: boolean;
}

const START_RECORD = 0;
const START_FIELD = 1;
const IN_FIELD = 2;
const IN_QUOTED_FIELD = 3;
const QUOTE_IN_QUOTED_FIELD = 4;
const EAT_CRNL = 5;

/**
 * A streaming Python-compatible CSV reader.
 *
 * @example
 * ```ts
 * import { CsvReader } from "./csv_reader.ts";
 * const reader = new CsvReader({ delimiter: ",", quotechar: '"' });
 * const rows = [...reader.push('id,note\n1,"a\nb"\n'), ...reader.end()];
 * rows.map((r) => r.fields); // [["id", "note"], ["1", "a\nb"]]
 * ```
 */
export class CsvReader {
  readonly #delimiter: string;
  readonly #quote: string;
  readonly #doublequote: boolean;
  readonly #skipSpace: boolean;
  readonly #rejectUnclosed: boolean;
  readonly #file: string;
  #state = START_RECORD;
  #fields: string[] = [];
  #field = "";
  #quoted = false;
  #firstQuoted = false;
  #pendingCR = false;
  #lineHasText = false;
  #line = 1;
  #rowLine = 1;
  #quoteLine = 1;

  /**
   * `rejectUnclosedQuote` makes end of input inside a quoted field a
   * {@link TransferError} that names `file` and the line of the opening quote.
   */
  constructor(dialect: CsvDialect, options: { rejectUnclosedQuote?: boolean; file?: string } = {}) {
    this.#delimiter = dialect.delimiter;
    this.#quote = dialect.quotechar;
    this.#doublequote = dialect.doublequote ?? true;
    this.#skipSpace = dialect.skipinitialspace ?? false;
    this.#rejectUnclosed = options.rejectUnclosedQuote ?? false;
    this.#file = options.file ?? "input";
  }

  /** The 1-based number of the line being read. */
  get line(): number {
    return this.#line;
  }

  /** Parses `text` and returns the rows it completed. */
  push(text: string): CsvRow[] {
    const rows: CsvRow[] = [];
    for (const c of text) {
      if (this.#pendingCR) {
        this.#pendingCR = false;
        if (c === "\n") {
          this.#char(c);
          this.#eol(rows);
          continue;
        }
        this.#eol(rows);
      }
      this.#lineHasText = true;
      this.#char(c);
      if (c === "\n") this.#eol(rows);
      else if (c === "\r") this.#pendingCR = true;
    }
    return rows;
  }

  /** Ends the input and returns the last rows. */
  end(): CsvRow[] {
    const rows: CsvRow[] = [];
    if (this.#pendingCR || this.#lineHasText) {
      this.#pendingCR = false;
      this.#eol(rows);
    }
    if (this.#state === IN_QUOTED_FIELD) {
      if (this.#rejectUnclosed) {
        throw new TransferError(
          `${this.#file}: line ${this.#quoteLine}: a quoted field is not closed ` +
            `(no closing ${this.#quote} before the end of the file)`,
        );
      }
      this.#save();
      rows.push(this.#row());
      this.#fields = [];
    }
    this.#state = START_RECORD;
    return rows;
  }

  /** End of one physical line (Python feeds the EOL marker after each line). */
  #eol(rows: CsvRow[]): void {
    switch (this.#state) {
      case START_RECORD:
        break;
      case START_FIELD:
      case IN_FIELD:
      case QUOTE_IN_QUOTED_FIELD:
        this.#save();
        this.#state = START_RECORD;
        break;
      case EAT_CRNL:
        this.#state = START_RECORD;
        break;
      case IN_QUOTED_FIELD:
        break;
    }
    this.#line++;
    this.#lineHasText = false;
    if (this.#state === START_RECORD) {
      rows.push(this.#row());
      this.#fields = [];
      this.#quoted = false;
      this.#firstQuoted = false;
      this.#rowLine = this.#line;
    }
  }

  #row(): CsvRow {
    return {
      fields: this.#fields,
      line: this.#rowLine,
      quoted: this.#quoted,
      firstQuoted: this.#firstQuoted,
    };
  }

  #save(): void {
    this.#fields.push(this.#field);
    this.#field = "";
  }

  #char(c: string): void {
    switch (this.#state) {
      case START_RECORD:
        if (c === "\n" || c === "\r") {
          this.#state = EAT_CRNL;
          return;
        }
        this.#state = START_FIELD;
      // falls through
      case START_FIELD:
        if (c === "\n" || c === "\r") {
          this.#save();
          this.#state = EAT_CRNL;
        } else if (c === this.#quote) {
          this.#state = IN_QUOTED_FIELD;
          this.#quoted = true;
          if (this.#fields.length === 0) this.#firstQuoted = true;
          this.#quoteLine = this.#line;
        } else if (c === " " && this.#skipSpace) {
          // ignore spaces at the start of a field
        } else if (c === this.#delimiter) {
          this.#save();
        } else {
          this.#field += c;
          this.#state = IN_FIELD;
        }
        return;
      case IN_FIELD:
        if (c === "\n" || c === "\r") {
          this.#save();
          this.#state = EAT_CRNL;
        } else if (c === this.#delimiter) {
          this.#save();
          this.#state = START_FIELD;
        } else {
          this.#field += c;
        }
        return;
      case IN_QUOTED_FIELD:
        if (c === this.#quote) {
          this.#state = this.#doublequote ? QUOTE_IN_QUOTED_FIELD : IN_FIELD;
        } else {
          this.#field += c;
        }
        return;
      case QUOTE_IN_QUOTED_FIELD:
        if (c === this.#quote) {
          this.#field += c;
          this.#state = IN_QUOTED_FIELD;
        } else if (c === this.#delimiter) {
          this.#save();
          this.#state = START_FIELD;
        } else if (c === "\n" || c === "\r") {
          this.#save();
          this.#state = EAT_CRNL;
        } else {
          this.#field += c;
          this.#state = IN_FIELD;
        }
        return;
      case EAT_CRNL:
        // Only line-break characters can follow here: lines end at them.
        return;
    }
  }
}

/**
 * All rows of a text, as Python's `list(csv.reader(io.StringIO(text), …))`.
 *
 * @example
 * ```ts
 * import { readCsvText } from "./csv_reader.ts";
 * readCsvText("a;b\n\n1;2\n", { delimiter: ";", quotechar: '"' }); // [["a","b"],[],["1","2"]]
 * ```
 */
export function readCsvText(text: string, dialect: CsvDialect): string[][] {
  const reader = new CsvReader(dialect);
  return [...reader.push(text), ...reader.end()].map((r) => r.fields);
}
