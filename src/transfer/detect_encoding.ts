/**
 * Encoding detection for a new import file, in pgmonkey (Python)'s order:
 * byte-order mark, then what `chardet.detect` would say about the first
 * 64 KiB — pure ASCII (`ascii`, 1.0), valid UTF-8 (`utf-8`, with chardet's
 * confidence formula), and for anything else the `chardet` npm package
 * (a port of ICU's detector) for legacy encodings, reported with the names
 * Python's chardet uses.
 *
 * One deliberate difference: bytes that are UTF-8 except for a few invalid
 * ones are reported as `utf-8` (see {@link looksLikeUtf8}), with a line
 * naming the first bad line, so the import stops there instead of turning
 * every `é` into `Ã©` (Python's chardet calls such a file ISO-8859-x).
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
 * How much of a byte sample is UTF-8: the valid multibyte sequences, the
 * bytes >= 0x80 that belong to no valid sequence, and where the first of
 * those is. See {@link utf8Census}.
 */
export interface Utf8Census {
  /** Valid multibyte sequences (strict: no overlong forms, no surrogates, at most U+10FFFF). */
  readonly valid: number;
  /** Bytes >= 0x80 outside any valid sequence (each counted once). */
  readonly invalid: number;
  /** Offset of the first invalid byte, or -1. */
  readonly firstInvalid: number;
}

/** The length of the valid UTF-8 sequence starting at `i` (0: none); `cut` for the sample end. */
function sequenceAt(bytes: Uint8Array, i: number, truncated: boolean): number {
  const b = bytes[i];
  let need: number;
  let min: number;
  if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
  else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
  else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
  else return 0;
  let cp = b & (0x3f >> need);
  for (let k = 1; k <= need; k++) {
    if (i + k >= bytes.length) return truncated ? bytes.length - i : 0; // cut off by the sample
    const c = bytes[i + k];
    if ((c & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return need + 1;
}

/**
 * Counts the valid multibyte UTF-8 sequences of `bytes` and the bytes that
 * belong to none. With `truncated`, an incomplete sequence at the very end
 * (cut off by the sample) counts as valid.
 *
 * @example
 * ```ts
 * import { utf8Census } from "./detect_encoding.ts";
 * utf8Census(new Uint8Array([0x63, 0xc3, 0xa9, 0xe9, 0x0a]), false);
 * // { valid: 1, invalid: 1, firstInvalid: 3 }
 * ```
 */
export function utf8Census(bytes: Uint8Array, truncated: boolean): Utf8Census {
  let valid = 0;
  let invalid = 0;
  let firstInvalid = -1;
  let i = 0;
  const len = bytes.length;
  while (i < len) {
    if (bytes[i] < 0x80) {
      i++;
      continue;
    }
    const n = sequenceAt(bytes, i, truncated);
    if (n > 0) {
      valid++;
      i += n;
    } else {
      if (firstInvalid < 0) firstInvalid = i;
      invalid++;
      i++;
    }
  }
  return { valid, invalid, firstInvalid };
}

/**
 * Counts multibyte characters if `bytes` is strict UTF-8 (no overlong forms,
 * no surrogates, at most U+10FFFF), else returns -1. With `truncated`, an
 * incomplete sequence at the very end is accepted.
 *
 * @example
 * ```ts
 * import { utf8MultibyteCount } from "./detect_encoding.ts";
 * utf8MultibyteCount(new TextEncoder().encode("café"), false); // 1
 * utf8MultibyteCount(new Uint8Array([0xe9]), false); // -1
 * ```
 */
export function utf8MultibyteCount(bytes: Uint8Array, truncated: boolean): number {
  const census = utf8Census(bytes, truncated);
  return census.invalid > 0 ? -1 : census.valid;
}

/**
 * Whether a sample with some invalid UTF-8 is still UTF-8: at least half of
 * its non-ASCII sequences are valid UTF-8 multibyte sequences.
 *
 * Why this rule: in text of a legacy encoding, byte pairs that happen to
 * form valid UTF-8 are rare — about 0–8 % of the non-ASCII sequences of
 * Western, Cyrillic, Greek, Hebrew and Arabic text, and at most about 30 %
 * for the double-byte encodings (Shift-JIS, EUC-JP, GBK, Big5, EUC-KR) and
 * Thai (TIS-620), where many byte pairs fall in UTF-8's ranges by chance —
 * while UTF-8 with a few damaged bytes scores close to 100 %. And the two
 * mistakes are not alike: UTF-8 taken for a legacy encoding imports as
 * mojibake without a word (every byte is valid Latin-1), while a legacy file
 * taken for UTF-8 stops at its first invalid line with the line number, so
 * ties go to UTF-8.
 *
 * @example
 * ```ts
 * import { looksLikeUtf8 } from "./detect_encoding.ts";
 * looksLikeUtf8({ valid: 120, invalid: 2, firstInvalid: 900 }); // true
 * looksLikeUtf8({ valid: 1, invalid: 40, firstInvalid: 12 }); // false
 * ```
 */
export function looksLikeUtf8(census: Utf8Census): boolean {
  return census.valid > 0 && census.valid >= census.invalid;
}

/** The 1-based line of byte `offset` (lines end at `\n`, `\r\n` or `\r`). */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) line++;
  }
  return line;
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
  let damaged: (Utf8Census & { line: number }) | undefined;
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
    const census = utf8Census(sample, truncated);
    if (looksLikeUtf8(census)) {
      const { valid, invalid } = census;
      [name, confidence] = ["utf-8", utf8Confidence(valid) * (valid / (valid + invalid))];
      validUtf8 = true;
      if (invalid > 0) damaged = { ...census, line: lineAt(sample, census.firstInvalid) };
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
  if (damaged) {
    const n = damaged.invalid;
    lines.push(
      `The file is UTF-8 except for ${n} invalid byte${n === 1 ? "" : "s"} ` +
        `${truncated ? `in its first ${sample.length} bytes ` : ""}(the first on line ` +
        `${damaged.line}): the import will stop at that line; fix the bytes, or set the ` +
        "right encoding in the settings file.",
    );
  }
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
