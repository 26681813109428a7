/**
 * What pgexport does with the settings file's `encoding`: the PostgreSQL
 * encoding the server writes (COPY's `ENCODING` option), and what we still do
 * with its bytes — nothing, add a BOM (`utf-8-sig`), re-encode UTF-8 as
 * UTF-16/UTF-32 (Python writes a BOM for `utf-16`/`utf-32`), or check that
 * the data is ASCII.
 *
 * @module
 */
import { pyRepr } from "../config/pystr.ts";
import { findCodec } from "./codecs.ts";
import { TransferError } from "./errors.ts";

/** The plan for one export encoding. */
export interface ExportEncoding {
  /** PostgreSQL encoding the server converts to. */
  readonly pg: string;
  /** Bytes written before the data. */
  readonly prefix: Uint8Array;
  /** Turns server bytes into file bytes (identity for most encodings). */
  readonly transform?: (chunk: Uint8Array, final: boolean) => Uint8Array;
}

function utf16(text: string, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    out[2 * i + (littleEndian ? 0 : 1)] = u & 0xff;
    out[2 * i + (littleEndian ? 1 : 0)] = u >> 8;
  }
  return out;
}

function utf32(text: string, littleEndian: boolean): Uint8Array {
  const cps = Array.from(text, (c) => c.codePointAt(0)!);
  const out = new Uint8Array(cps.length * 4);
  const view = new DataView(out.buffer);
  cps.forEach((cp, i) => view.setUint32(i * 4, cp, littleEndian));
  return out;
}

function recode(encode: (text: string) => Uint8Array): ExportEncoding["transform"] {
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  return (chunk, final) => encode(decoder.decode(chunk, { stream: !final }));
}

/**
 * The export plan for a Python encoding name. Throws {@link TransferError}
 * for encodings that cannot be written.
 *
 * @example
 * ```ts
 * import { exportEncoding } from "./export_encoding.ts";
 * exportEncoding("latin1", "users.yaml").pg; // "LATIN1"
 * exportEncoding("utf-16", "users.yaml").prefix; // Uint8Array [0xff, 0xfe]
 * ```
 */
export function exportEncoding(name: string, settingsFile: string): ExportEncoding {
  const codec = findCodec(name);
  const none = new Uint8Array(0);
  switch (codec?.special) {
    case "utf8sig":
      return { pg: "UTF8", prefix: new Uint8Array([0xef, 0xbb, 0xbf]) };
    case "ascii":
      return {
        pg: "UTF8",
        prefix: none,
        transform: (chunk) => {
          if (chunk.some((b) => b >= 0x80)) {
            throw new TransferError(
              "the data has characters that ascii cannot encode; use encoding: utf-8",
            );
          }
          return chunk;
        },
      };
    case "utf16":
      return {
        pg: "UTF8",
        prefix: new Uint8Array([0xff, 0xfe]),
        transform: recode((t) => utf16(t, true)),
      };
    case "utf32":
      return {
        pg: "UTF8",
        prefix: new Uint8Array([0xff, 0xfe, 0, 0]),
        transform: recode((t) => utf32(t, true)),
      };
    case "utf32le":
      return { pg: "UTF8", prefix: none, transform: recode((t) => utf32(t, true)) };
    case "utf32be":
      return { pg: "UTF8", prefix: none, transform: recode((t) => utf32(t, false)) };
  }
  if (codec?.name === "utf-16-le") {
    return { pg: "UTF8", prefix: none, transform: recode((t) => utf16(t, true)) };
  }
  if (codec?.name === "utf-16-be") {
    return { pg: "UTF8", prefix: none, transform: recode((t) => utf16(t, false)) };
  }
  const pg = codec?.pg ?? codec?.pgExport;
  if (!pg) {
    throw new TransferError(
      `${settingsFile}: encoding ${pyRepr(name)} is not supported for export; use an encoding ` +
        "PostgreSQL can write (utf-8, latin1, cp1252, iso-8859-2, …) or utf-16/utf-32",
    );
  }
  return { pg, prefix: none };
}
