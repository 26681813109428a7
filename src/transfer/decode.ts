/**
 * Decoding file bytes to text for every supported codec, in chunks: WHATWG
 * `TextDecoder` where it matches Python's codec, our own code for Latin-1
 * (WHATWG's `latin1` is really windows-1252), UTF-32 (not in WHATWG) and
 * `utf-16` with its byte-order detection.
 *
 * @module
 */
import type { Codec } from "./codecs.ts";

/** A decoder fed one chunk at a time. */
export interface ChunkDecoder {
  /** Decodes `bytes`; `final` flushes an incomplete trailing sequence. */
  decode(bytes: Uint8Array, final: boolean): string;
}

/** Options of {@link createDecoder}. */
export interface DecoderOptions {
  /**
   * Keep a byte-order mark at the start as U+FEFF where Python's codec does
   * (`utf-8`, `utf-16-le`, `utf-32-be`…), for detection parity. When false,
   * a leading BOM is always dropped (what the import does with data).
   */
  readonly keepBom: boolean;
  /** Throw a `TypeError` on invalid data instead of inserting U+FFFD. */
  readonly fatal: boolean;
}

/** Latin-1: every byte is the code point of the same number. */
class Latin1Decoder implements ChunkDecoder {
  decode(bytes: Uint8Array): string {
    let out = "";
    for (let i = 0; i < bytes.length; i += 8192) {
      out += String.fromCharCode(...bytes.subarray(i, i + 8192));
    }
    return out;
  }
}

/** UTF-32 in either byte order; `order` undefined means "from the BOM, else little-endian". */
class Utf32Decoder implements ChunkDecoder {
  #order: "le" | "be" | undefined;
  #pending = new Uint8Array(0);
  #started = false;
  readonly #keepBom: boolean;
  readonly #fatal: boolean;
  constructor(order: "le" | "be" | undefined, options: DecoderOptions) {
    this.#order = order;
    this.#keepBom = options.keepBom && order !== undefined;
    this.#fatal = options.fatal;
  }

  decode(chunk: Uint8Array, final: boolean): string {
    let bytes = chunk;
    if (this.#pending.length) {
      bytes = new Uint8Array(this.#pending.length + chunk.length);
      bytes.set(this.#pending);
      bytes.set(chunk, this.#pending.length);
    }
    let i = 0;
    if (!this.#started) {
      if (bytes.length < 4 && !final) {
        this.#pending = bytes.slice();
        return "";
      }
      this.#started = true;
      const le = bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0;
      const be = bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff;
      if (this.#order === undefined) {
        this.#order = be ? "be" : "le";
        if (le || be) i = 4;
      } else if (!this.#keepBom && ((this.#order === "le" && le) || (this.#order === "be" && be))) {
        i = 4;
      }
    }
    const end = bytes.length - ((bytes.length - i) % 4);
    const codes: number[] = [];
    let out = "";
    for (; i < end; i += 4) {
      const cp = this.#order === "le"
        ? (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0
        : ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0;
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        if (this.#fatal) throw new TypeError("The encoded data was not valid for encoding utf-32");
        codes.push(0xfffd);
      } else codes.push(cp);
      if (codes.length >= 4096) {
        out += String.fromCodePoint(...codes);
        codes.length = 0;
      }
    }
    out += String.fromCodePoint(...codes);
    this.#pending = bytes.slice(end);
    if (final && this.#pending.length) {
      if (this.#fatal) throw new TypeError("The encoded data was not valid for encoding utf-32");
      this.#pending = new Uint8Array(0);
      out += "\ufffd";
    }
    return out;
  }
}

/** `TextDecoder` with Python's BOM behaviour for `utf-16` (auto byte order, BOM dropped). */
class Utf16AutoDecoder implements ChunkDecoder {
  #inner?: InstanceType<typeof TextDecoder>;
  #pending = new Uint8Array(0);
  readonly #fatal: boolean;
  constructor(options: DecoderOptions) {
    this.#fatal = options.fatal;
  }
  decode(chunk: Uint8Array, final: boolean): string {
    if (!this.#inner) {
      const bytes = new Uint8Array(this.#pending.length + chunk.length);
      bytes.set(this.#pending);
      bytes.set(chunk, this.#pending.length);
      if (bytes.length < 2 && !final) {
        this.#pending = bytes;
        return "";
      }
      const be = bytes[0] === 0xfe && bytes[1] === 0xff;
      this.#inner = new TextDecoder(be ? "utf-16be" : "utf-16le", { fatal: this.#fatal });
      return this.#inner.decode(bytes, { stream: !final });
    }
    return this.#inner.decode(chunk, { stream: !final });
  }
}

/** A `TextDecoder` as a {@link ChunkDecoder}. */
class WebDecoder implements ChunkDecoder {
  readonly #inner: InstanceType<typeof TextDecoder>;
  constructor(label: string, options: DecoderOptions) {
    this.#inner = new TextDecoder(label, { fatal: options.fatal, ignoreBOM: options.keepBom });
  }
  decode(bytes: Uint8Array, final: boolean): string {
    return this.#inner.decode(bytes, { stream: !final });
  }
}

/**
 * A chunk decoder for `codec`.
 *
 * @example
 * ```ts
 * import { findCodec } from "./codecs.ts";
 * import { createDecoder } from "./decode.ts";
 * const d = createDecoder(findCodec("utf-32-le")!, { keepBom: false, fatal: true });
 * d.decode(new Uint8Array([0x41, 0, 0, 0]), true); // "A"
 * ```
 */
export function createDecoder(codec: Codec, options: DecoderOptions): ChunkDecoder {
  switch (codec.special) {
    case "latin1":
      return new Latin1Decoder();
    case "utf32":
      return new Utf32Decoder(undefined, options);
    case "utf32le":
      return new Utf32Decoder("le", options);
    case "utf32be":
      return new Utf32Decoder("be", options);
    case "utf16":
      return new Utf16AutoDecoder(options);
    case "utf8sig":
      return new WebDecoder("utf-8", { ...options, keepBom: false });
  }
  return new WebDecoder(codec.web ?? "utf-8", options);
}
