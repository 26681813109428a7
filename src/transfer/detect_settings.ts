/**
 * pgimport's first run: what the settings file of a new data file should
 * say — encoding (see `detect_encoding.ts`), delimiter and header row (see
 * `sniffer.ts`) — computed from the start of the file only, as pgmonkey
 * (Python) does.
 *
 * @module
 */
import { open } from "node:fs/promises";
import { findCodec } from "./codecs.ts";
import { createDecoder } from "./decode.ts";
import { detectEncoding, DETECTION_SAMPLE_BYTES } from "./detect_encoding.ts";
import { hasHeader, sniff, SnifferError } from "./sniffer.ts";
import { TransferError } from "./errors.ts";

/** Characters of the sample Python's Sniffer gets (`file.read(1024)`). */
export const SNIFF_SAMPLE_CHARS = 1024;

/** What {@link detectImportSettings} found. */
export interface DetectedSettings {
  /** Python codec name. */
  readonly encoding: string;
  /** Delimiter (`,` when the Sniffer failed). */
  readonly delimiter: string;
  /** Whether the first row is a header (`true` when the Sniffer failed). */
  readonly hasHeaders: boolean;
  /** The lines pgmonkey (Python) prints about the detection. */
  readonly lines: readonly string[];
}

/** Reads up to `max` bytes from the start of a file. */
export async function readFileStart(path: string, max: number): Promise<Uint8Array> {
  const fh = await open(path, "r");
  try {
    const buf = new Uint8Array(max);
    let n = 0;
    while (n < max) {
      const { bytesRead } = await fh.read(buf, n, max - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/**
 * The Sniffer's sample: the file start decoded like Python's text mode
 * (the codec's own BOM handling, universal newlines), first 1024 characters.
 */
export function sniffSample(bytes: Uint8Array, encoding: string): string {
  const codec = findCodec(encoding);
  if (!codec) throw new TransferError(`unknown encoding ${encoding}`);
  const text = createDecoder(codec, { keepBom: true, fatal: false }).decode(bytes, true)
    .replace(/\r\n?/g, "\n");
  let out = "";
  let count = 0;
  for (const ch of text) {
    if (count++ === SNIFF_SAMPLE_CHARS) break;
    out += ch;
  }
  return out;
}

/**
 * Detects encoding, delimiter and header row of `bytes` (the first
 * {@link DETECTION_SAMPLE_BYTES} of a file; `truncated` when the file is
 * longer).
 *
 * @example
 * ```ts
 * import { detectSettingsFromBytes } from "./detect_settings.ts";
 * const d = detectSettingsFromBytes(new TextEncoder().encode("a;b\n1;2\n3;4\n"), false);
 * // { encoding: "ascii", delimiter: ";", hasHeaders: true, lines: [...] }
 * ```
 */
export function detectSettingsFromBytes(bytes: Uint8Array, truncated: boolean): DetectedSettings {
  const { encoding, lines } = detectEncoding(bytes, truncated);
  const sample = sniffSample(bytes, encoding);
  try {
    const { delimiter } = sniff(sample);
    return { encoding, delimiter, hasHeaders: hasHeader(sample), lines };
  } catch (e) {
    if (!(e instanceof SnifferError)) throw e;
    return {
      encoding,
      delimiter: ",",
      hasHeaders: true,
      lines: [
        ...lines,
        "csv.Sniffer failed to detect delimiter or quote character. Using defaults.",
      ],
    };
  }
}

/**
 * Detects the settings of the file at `path` from its first
 * {@link DETECTION_SAMPLE_BYTES} bytes.
 *
 * @example
 * ```ts ignore
 * import { detectImportSettings } from "./detect_settings.ts";
 * const { encoding, delimiter, hasHeaders } = await detectImportSettings("data.csv");
 * ```
 */
export async function detectImportSettings(path: string): Promise<DetectedSettings> {
  const bytes = await readFileStart(path, DETECTION_SAMPLE_BYTES + 1);
  const truncated = bytes.length > DETECTION_SAMPLE_BYTES;
  return detectSettingsFromBytes(bytes.subarray(0, DETECTION_SAMPLE_BYTES), truncated);
}
