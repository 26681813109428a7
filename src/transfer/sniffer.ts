/**
 * Python's `csv.Sniffer` (CPython `Lib/csv.py`, unchanged 3.10–3.13),
 * re-implemented from its algorithm so that a new settings file gets the
 * same `delimiter` and `has_headers` as pgmonkey (Python) writes:
 *
 * - `sniff`: first look for quoted fields (`,"…",` and its variants) and
 *   count which character stands next to the quotes; failing that, build a
 *   per-line frequency table of the 127 ASCII characters in chunks of ten
 *   lines and take the character whose most common count is the most
 *   consistent (preferring `,` `\t` `;` ` ` `:` on ties).
 * - `has_header`: compare the first row with the types (complex number or
 *   length) the next 20 rows have in each column.
 *
 * Regexes use Python semantics: `\w` is Unicode-aware, `^`/`$` in multiline
 * mode only know `\n`.
 *
 * @module
 */
import { readCsvText } from "./csv_reader.ts";

/** What {@link sniff} found. */
export interface SniffedDialect {
  /** The field delimiter. */
  readonly delimiter: string;
  /** The quote character (`"` when none was seen). */
  readonly quotechar: string;
  /** Whether doubled quotes were seen inside quoted fields. */
  readonly doublequote: boolean;
  /** Whether every delimiter is followed by a space. */
  readonly skipinitialspace: boolean;
}

/** `csv.Error`: the sample gives no delimiter. */
export class SnifferError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SnifferError";
  }
}

const W = String.raw`\p{L}\p{N}_`; // Python's \w for str patterns (letters, numbers, underscore)
const BOL = String.raw`(?<![^\n])`; // Python ^ with re.MULTILINE
const EOL = String.raw`(?![^\n])`; // Python $ with re.MULTILINE

/** Escapes one character for a `u`-flag pattern, inside or outside a class. */
function esc(ch: string): string {
  return ch === "" ? "" : `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}

/** The four quote patterns of `_guess_quote_and_delimiter`, in Python's order. */
const QUOTE_PATTERNS: readonly RegExp[] = [
  new RegExp(
    String.raw`(?<delim>[^${W}\n"'])(?<space> ?)(?<quote>["']).*?\k<quote>\k<delim>`,
    "gsu",
  ),
  new RegExp(
    String.raw`(?:${BOL})(?<quote>["']).*?\k<quote>(?<delim>[^${W}\n"'])(?<space> ?)`,
    "gsu",
  ),
  new RegExp(
    String.raw`(?<delim>[^${W}\n"'])(?<space> ?)(?<quote>["']).*?\k<quote>(?:${EOL})`,
    "gsu",
  ),
  new RegExp(String.raw`(?:${BOL})(?<quote>["']).*?\k<quote>(?:${EOL})`, "gsu"),
];

/** Python's `max(d, key=d.get)`: the first key (insertion order) with the largest value. */
function argmax(counts: Map<string, number>): string {
  let best = "";
  let bestCount = -Infinity;
  for (const [k, v] of counts) {
    if (v > bestCount) {
      best = k;
      bestCount = v;
    }
  }
  return best;
}

function guessQuoteAndDelimiter(
  data: string,
): { quotechar: string; doublequote: boolean; delimiter: string; skipinitialspace: boolean } {
  let matches: RegExpMatchArray[] = [];
  for (const re of QUOTE_PATTERNS) {
    matches = [...data.matchAll(re)];
    if (matches.length) break;
  }
  if (!matches.length) {
    return { quotechar: "", doublequote: false, delimiter: "", skipinitialspace: false };
  }
  const quotes = new Map<string, number>();
  const delims = new Map<string, number>();
  let spaces = 0;
  for (const m of matches) {
    const g = m.groups!;
    if (g.quote) quotes.set(g.quote, (quotes.get(g.quote) ?? 0) + 1);
    if (!("delim" in g)) continue;
    if (g.delim) delims.set(g.delim, (delims.get(g.delim) ?? 0) + 1);
    if (!("space" in g)) continue;
    if (g.space) spaces++;
  }
  const quotechar = argmax(quotes);
  let delimiter = "";
  let skipinitialspace = false;
  if (delims.size) {
    delimiter = argmax(delims);
    skipinitialspace = delims.get(delimiter) === spaces;
    if (delimiter === "\n") delimiter = ""; // most likely a single-column file
  }
  // An extra quote between delimiters means a doubled-quote format.
  const d = esc(delimiter);
  const q = esc(quotechar);
  const notDelim = `[^${d}\\n]*`;
  const dq = new RegExp(
    `((${d})|${BOL})[^${W}]*${q}${notDelim}${q}${notDelim}${q}[^${W}]*((${d})|${EOL})`,
    "u",
  );
  return { quotechar, doublequote: dq.test(data), delimiter, skipinitialspace };
}

/** Python's `str.count` for one character. */
function countChar(line: string, ch: string): number {
  let n = 0;
  for (let i = line.indexOf(ch); i >= 0; i = line.indexOf(ch, i + 1)) n++;
  return n;
}

const PREFERRED = [",", "\t", ";", " ", ":"];

function skipSpace(firstLine: string, delim: string): boolean {
  return countChar(firstLine, delim) === firstLine.split(delim + " ").length - 1;
}

function guessDelimiter(text: string): { delimiter: string; skipinitialspace: boolean } {
  const data = text.split("\n").filter((l) => l !== "");
  const ascii = Array.from({ length: 127 }, (_, c) => String.fromCharCode(c));
  const chunkLength = Math.min(10, data.length);
  let iteration = 0;
  // char -> (frequency -> number of lines), insertion-ordered like Python dicts.
  const charFrequency = new Map<string, Map<number, number>>();
  const modes = new Map<string, [number, number]>();
  const delims = new Map<string, [number, number]>();
  let start = 0;
  let end = chunkLength;
  while (start < data.length) {
    iteration++;
    for (const line of data.slice(start, end)) {
      for (const ch of ascii) {
        const meta = charFrequency.get(ch) ?? new Map<number, number>();
        const freq = countChar(line, ch);
        meta.set(freq, (meta.get(freq) ?? 0) + 1);
        charFrequency.set(ch, meta);
      }
    }
    for (const [ch, meta] of charFrequency) {
      const items = [...meta.entries()];
      if (items.length === 1 && items[0][0] === 0) continue;
      if (items.length > 1) {
        // The mode of the frequencies, less the lines that had any other count.
        let mode = items[0];
        for (const item of items) if (item[1] > mode[1]) mode = item;
        const others = items.filter((it) => it !== mode).reduce((s, it) => s + it[1], 0);
        modes.set(ch, [mode[0], mode[1] - others]);
      } else {
        modes.set(ch, [items[0][0], items[0][1]]);
      }
    }
    const total = Math.min(chunkLength * iteration, data.length);
    let consistency = 1.0;
    const threshold = 0.9;
    while (delims.size === 0 && consistency >= threshold) {
      for (const [k, v] of modes) {
        if (v[0] > 0 && v[1] > 0 && v[1] / total >= consistency) delims.set(k, v);
      }
      consistency -= 0.01;
    }
    if (delims.size === 1) {
      const delimiter = [...delims.keys()][0];
      return { delimiter, skipinitialspace: skipSpace(data[0], delimiter) };
    }
    start = end;
    end += chunkLength;
  }
  if (delims.size === 0) return { delimiter: "", skipinitialspace: false };
  for (const d of PREFERRED) {
    if (delims.has(d)) return { delimiter: d, skipinitialspace: skipSpace(data[0], d) };
  }
  // Python: sort (value, key) tuples and take the last.
  const sorted = [...delims.entries()].sort(([ka, va], [kb, vb]) =>
    va[0] - vb[0] || va[1] - vb[1] || (ka < kb ? -1 : ka > kb ? 1 : 0)
  );
  const delimiter = sorted[sorted.length - 1][0];
  return { delimiter, skipinitialspace: skipSpace(data[0], delimiter) };
}

/**
 * `csv.Sniffer().sniff(sample)`: the dialect of a CSV sample. Throws
 * {@link SnifferError} ("Could not determine delimiter") as Python does.
 *
 * @example
 * ```ts
 * import { sniff } from "./sniffer.ts";
 * sniff("id;name\n1;Alice\n2;Bob\n").delimiter; // ";"
 * ```
 */
export function sniff(sample: string): SniffedDialect {
  let { quotechar, doublequote, delimiter, skipinitialspace } = guessQuoteAndDelimiter(sample);
  if (!delimiter) ({ delimiter, skipinitialspace } = guessDelimiter(sample));
  if (!delimiter) throw new SnifferError("Could not determine delimiter");
  return { delimiter, quotechar: quotechar || '"', doublequote, skipinitialspace };
}

// Python's complex(str): optional parentheses, a real and/or an imaginary part,
// floats with underscores between digits, inf/infinity/nan, Unicode digits.
const DIGITS = String.raw`\p{Nd}(?:_?\p{Nd})*`;
const FLOAT = String
  .raw`(?:(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][-+]?${DIGITS})?|inf|infinity|nan)`;
const COMPLEX_BODY = String.raw`(?:[-+]?${FLOAT}(?:[-+](?:${FLOAT})?[jJ])?|[-+]?(?:${FLOAT})?[jJ])`;
const COMPLEX_RE = new RegExp(
  String.raw`^\s*(?:${COMPLEX_BODY}|\(\s*${COMPLEX_BODY}\s*\))\s*$`,
  "iu",
);

/** Whether Python's `complex(text)` succeeds. */
export function isPyComplex(text: string): boolean {
  return COMPLEX_RE.test(text);
}

/**
 * `csv.Sniffer().has_header(sample)`: whether the first row looks like a
 * header. Throws {@link SnifferError} when `sniff` does.
 *
 * @example
 * ```ts
 * import { hasHeader } from "./sniffer.ts";
 * hasHeader("id,name\n1,Alice\n2,Bob\n"); // true
 * hasHeader("1,Alice,10\n2,Bob,20\n"); // false
 * ```
 */
export function hasHeader(sample: string): boolean {
  const dialect = sniff(sample);
  const rows = readCsvText(sample, dialect);
  if (rows.length === 0) throw new SnifferError("no rows");
  const header = rows[0];
  const columns = header.length;
  // column -> "complex" | length | null (not seen yet); deleted when inconsistent
  const columnTypes = new Map<number, "complex" | number | null>();
  for (let i = 0; i < columns; i++) columnTypes.set(i, null);
  let checked = 0;
  for (const row of rows.slice(1)) {
    if (checked > 20) break;
    checked++;
    if (row.length !== columns) continue;
    for (const col of [...columnTypes.keys()]) {
      const thisType: "complex" | number = isPyComplex(row[col]) ? "complex" : [...row[col]].length;
      const known = columnTypes.get(col);
      if (thisType !== known) {
        if (known === null) columnTypes.set(col, thisType);
        else columnTypes.delete(col);
      }
    }
  }
  let votes = 0;
  for (const [col, colType] of columnTypes) {
    if (typeof colType === "number") {
      votes += [...header[col]].length !== colType ? 1 : -1;
    } else if (colType === "complex") {
      votes += isPyComplex(header[col]) ? -1 : 1;
    } else {
      votes += 1; // Python: None(header[col]) raises TypeError
    }
  }
  return votes > 0;
}
