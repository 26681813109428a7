/**
 * Encoding detection for a new import file, in pgmonkey (Python)'s order:
 * byte-order mark, then what `chardet.detect` would say about the first
 * 64 KiB — pure ASCII (`ascii`, 1.0), valid UTF-8 (`utf-8`, with chardet's
 * confidence formula), and for anything else the `chardet` npm package
 * (a port of ICU's detector) for legacy encodings, reported with the names
 * Python's chardet uses.
 *
 * Known differences from Python's chardet 5: valid UTF-8 with a single
 * multibyte character is `utf-8` (0.505) — chardet says `MacRoman` 0.515;
 * Western single-byte text is `ISO-8859-1` (`Windows-1252` when bytes
 * 0x80–0x9F occur) with chardet's 0.73, other legacy encodings carry the
 * npm detector's own confidence; BOM-less UTF-16/32 is found from its zero
 * bytes; ISO-2022 escapes give "no result" (`None`, 0.0).
 *
 * @module
 */
import { analyse } from "chardet";
import { pyFloatRepr } from "../config/pystr.ts";
import { findCodec } from "./codecs.ts";

/** Bytes pgmonkey (Python) gives chardet. */
export const DETECTION_SAMPLE_BYTES = 65536;

/** The outcome of {@link detectEncoding}. */
export interface EncodingDetection {
  /** The encoding to write into the settings file (a Python codec name). */
  readonly encoding: string;
  /** The lines pgmonkey prints about it (without newlines). */
  readonly lines: readonly string[];
}

const BOMS: ReadonlyArray<readonly [readonly number[], string]> = [
  [[0xff, 0xfe, 0, 0], "utf-32-le"],
  [[0, 0, 0xfe, 0xff], "utf-32-be"],
  [[0xef, 0xbb, 0xbf], "utf-8-sig"],
  [[0xff, 0xfe], "utf-16-le"],
  [[0xfe, 0xff], "utf-16-be"],
];

/** The BOM encoding of a file start, in pgmonkey (Python)'s order of checks. */
export function bomEncoding(start: Uint8Array): string | undefined {
  for (const [bom, name] of BOMS) {
    if (bom.every((b, i) => start[i] === b)) return name;
  }
  return undefined;
}

/**
 * Counts multibyte characters if `bytes` is strict UTF-8 (no overlong forms,
 * no surrogates, at most U+10FFFF), else returns -1. With `truncated`, an
 * incomplete sequence at the very end is accepted.
 */
export function utf8MultibyteCount(bytes: Uint8Array, truncated: boolean): number {
  let n = 0;
  let i = 0;
  const len = bytes.length;
  while (i < len) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return -1;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      if (i + k >= len) return truncated ? n + 1 : -1; // cut off by the sample
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return -1;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    n++;
    i += need + 1;
  }
  return n;
}

/** chardet's UTF8Prober confidence for `n` multibyte characters. */
function utf8Confidence(n: number): number {
  return n < 6 ? 1 - 0.99 * 0.5 ** n : 0.99;
}

/** BOM-less UTF-16/32 guessed from where the zero bytes are (mostly-ASCII text). */
function zeroByteGuess(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  if (n < 8) return undefined;
  const quads = n >> 2;
  let le32 = 0;
  let be32 = 0;
  for (let q = 0; q < quads; q++) {
    const i = q * 4;
    if (bytes[i + 2] === 0 && bytes[i + 3] === 0 && bytes[i] !== 0) le32++;
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 3] !== 0) be32++;
  }
  if (le32 / quads > 0.9) return "UTF-32LE";
  if (be32 / quads > 0.9) return "UTF-32BE";
  const pairs = n >> 1;
  let le16 = 0;
  let be16 = 0;
  for (let p = 0; p < pairs; p++) {
    const i = p * 2;
    if (bytes[i + 1] === 0 && bytes[i] !== 0) le16++;
    if (bytes[i] === 0 && bytes[i + 1] !== 0) be16++;
  }
  if (le16 / pairs > 0.7) return "UTF-16LE";
  if (be16 / pairs > 0.7) return "UTF-16BE";
  return undefined;
}

/** chardet's ESC_ASCII state: an ESC byte or `~{` (ISO-2022 / HZ escapes). */
function hasEscapes(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x1b || (bytes[i] === 0x7e && bytes[i + 1] === 0x7b)) return true;
  }
  return false;
}

/** The npm detector's names, spelled as Python's chardet spells them. */
const CHARDET_NAMES: Readonly<Record<string, string>> = {
  "Shift_JIS": "SHIFT_JIS",
  "windows-1252": "Windows-1252",
  "windows-1254": "Windows-1254",
};

function detectLegacy(sample: Uint8Array): { name: string; confidence: number } | undefined {
  const winBytes = sample.some((b) => b >= 0x80 && b <= 0x9f);
  for (const match of analyse(sample)) {
    const name = match.name;
    if (/^(UTF|ASCII|ISO-2022)/i.test(name)) continue;
    const codec = findCodec(name);
    if (!codec) continue;
    if (name === "ISO-8859-1" || name === "windows-1252") {
      // chardet's Latin1Prober: ISO-8859-1 at 0.73, renamed when C1 bytes occur.
      return { name: winBytes ? "Windows-1252" : "ISO-8859-1", confidence: 0.73 };
    }
    return { name: CHARDET_NAMES[name] ?? name, confidence: match.confidence / 100 };
  }
  return undefined;
}

/**
 * Detects the encoding of a file from its first bytes (`sample`, at most
 * {@link DETECTION_SAMPLE_BYTES}; `truncated` when the file is longer) and
 * returns the lines pgmonkey (Python) prints: `Detected BOM encoding: …` or
 * `Detected encoding: … with confidence: …`, plus the low-confidence
 * fallback to UTF-8.
 *
 * @example
 * ```ts
 * import { detectEncoding } from "./detect_encoding.ts";
 * detectEncoding(new TextEncoder().encode("id,name\n1,Alice\n"), false);
 * // { encoding: "ascii", lines: ["Detected encoding: ascii with confidence: 1.0"] }
 * ```
 */
export function detectEncoding(sample: Uint8Array, truncated: boolean): EncodingDetection {
  const bom = bomEncoding(sample.subarray(0, 4));
  if (bom) return { encoding: bom, lines: [`Detected BOM encoding: ${bom}`] };

  let name: string | null;
  let confidence: number;
  let validUtf8 = false;
  const highBytes = sample.some((b) => b >= 0x80);
  if (sample.length === 0) {
    [name, confidence] = [null, 0];
  } else if (!highBytes) {
    const guess = sample.includes(0) ? zeroByteGuess(sample) : undefined;
    if (guess) [name, confidence] = [guess, 0.85];
    else if (hasEscapes(sample)) [name, confidence] = [null, 0];
    else [name, confidence] = ["ascii", 1];
    validUtf8 = !guess;
  } else {
    const n = utf8MultibyteCount(sample, truncated);
    if (n > 0) {
      [name, confidence] = ["utf-8", utf8Confidence(n)];
      validUtf8 = true;
    } else {
      const legacy = (sample.includes(0) ? zeroByteGuess(sample) : undefined) ??
        detectLegacy(sample);
      if (typeof legacy === "string") [name, confidence] = [legacy, 0.85];
      else if (legacy) [name, confidence] = [legacy.name, legacy.confidence];
      else [name, confidence] = [null, 0];
    }
  }
  const lines = [
    `Detected encoding: ${name ?? "None"} with confidence: ${pyFloatRepr(confidence)}`,
  ];
  let encoding = name ?? "utf-8";
  if (confidence < 0.5) {
    if (validUtf8 || name === null) {
      lines.push("Low confidence in detected encoding. Falling back to UTF-8.");
      encoding = "utf-8";
    } else {
      lines.push(
        `Low confidence in detected encoding. The file is not valid UTF-8, so ${encoding} ` +
          "is kept: please check the encoding setting.",
      );
    }
  }
  return { encoding, lines };
}
