/**
 * The start of an import file as text: the column structure pgmonkey
 * (Python) prints, and the first row that holds data (the header, or the
 * row that fixes the field count).
 *
 * @module
 */
import type { Codec } from "./codecs.ts";
import { CsvReader, type CsvRow } from "./csv_reader.ts";
import { createDecoder } from "./decode.ts";
import { fileChunks } from "./file_chunks.ts";
import { TransferError } from "./errors.ts";
import { pyStrip } from "./columns.ts";

/** Whether a row counts: some field has text, or some field was quoted. */
export function isDataRow(row: CsvRow): boolean {
  return row.quoted || row.fields.some((f) => f !== "");
}

/**
 * pgmonkey (Python)'s "Detected column structure": for each of the first 5
 * lines (split at `\n`, `\r\n`, `\r`), stripped and split naively at the
 * delimiter, the number of parts, leaving out lines whose parts are all
 * empty.
 *
 * @example
 * ```ts
 * import { columnStructure } from "./header.ts";
 * columnStructure("a,b\n1,2\n\n,,\n", ","); // [2, 2]
 * ```
 */
export function columnStructure(text: string, delimiter: string): number[] {
  const lines: string[] = [];
  const re = /[^\r\n]*(?:\r\n|\r|\n|$)/g;
  for (const m of text.matchAll(re)) {
    if (m[0] === "" || lines.length === 5) break;
    lines.push(m[0]);
  }
  return lines.map((l) => pyStrip(l).split(delimiter)).filter((parts) => parts.some((p) => p))
    .map((parts) => parts.length);
}

/**
 * The line of the first byte `codec` cannot decode in `chunk`, counting from
 * `startLine` (the line the chunk starts on).
 */
export function lineOfBadBytes(codec: Codec, chunk: Uint8Array, startLine: number): number {
  const text = createDecoder(codec, { keepBom: true, fatal: false }).decode(chunk, true);
  const bad = text.indexOf("\ufffd");
  const before = bad < 0 ? text : text.slice(0, bad);
  return startLine + (before.match(/\r\n|\r|\n/g)?.length ?? 0);
}

/** The error for data that is not valid in the file's encoding. */
export function decodeError(
  file: string,
  codec: Codec,
  line: number,
  cause: unknown,
): TransferError {
  return new TransferError(
    `${file}: line ${line}: the data is not valid ${codec.name}; fix the encoding setting ` +
      "in the settings file",
    { cause },
  );
}

/** The first lines of text (up to `maxBytes` of the file), decoded leniently. */
export async function readTextStart(
  path: string,
  codec: Codec,
  maxBytes = 65536,
): Promise<string> {
  const decoder = createDecoder(codec, { keepBom: false, fatal: false });
  let text = "";
  let seen = 0;
  for await (const chunk of fileChunks(path, 65536)) {
    const part = chunk.subarray(0, Math.min(chunk.length, maxBytes - seen));
    seen += part.length;
    text += decoder.decode(part, false);
    if (seen >= maxBytes) break;
  }
  return text + decoder.decode(new Uint8Array(0), true);
}

/**
 * The first data row of the file (see {@link isDataRow}), read as text with
 * Python's csv rules; `undefined` when the file has none. Reads only as far
 * as needed.
 */
export async function readFirstDataRow(
  path: string,
  codec: Codec,
  dialect: { delimiter: string; quotechar: string },
): Promise<CsvRow | undefined> {
  // Lenient decoding: bytes after the first row are checked by the data path,
  // which names their line; only a header that needed U+FFFD is checked here.
  const decoder = createDecoder(codec, { keepBom: false, fatal: false });
  const reader = new CsvReader(dialect, { rejectUnclosedQuote: true, file: path });
  const seen: Uint8Array[] = [];
  const check = (row: CsvRow | undefined) => {
    if (row && row.fields.some((f) => f.includes("\ufffd"))) {
      const all = new Uint8Array(seen.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of seen) {
        all.set(c, at);
        at += c.length;
      }
      try {
        createDecoder(codec, { keepBom: false, fatal: true }).decode(all, false);
      } catch (e) {
        throw decodeError(path, codec, lineOfBadBytes(codec, all, 1), e);
      }
    }
    return row;
  };
  for await (const chunk of fileChunks(path, 65536)) {
    seen.push(chunk.slice());
    const row = reader.push(decoder.decode(chunk, false)).find(isDataRow);
    if (row) return check(row);
  }
  const rest = decoder.decode(new Uint8Array(0), true);
  return check([...reader.push(rest), ...reader.end()].find(isDataRow));
}
