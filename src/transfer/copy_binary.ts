/**
 * The frame of PostgreSQL's COPY binary format: the 19-byte file header
 * (signature, flags, header extension length) before the first tuple and
 * the 2-byte trailer (field count -1) after the last. The tuples themselves
 * come from `csv_to_copy.ts` (`binary: true`).
 *
 * @example
 * ```ts
 * import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from "./copy_binary.ts";
 * COPY_BINARY_HEADER.length; // 19
 * COPY_BINARY_TRAILER; // Uint8Array [255, 255]
 * ```
 *
 * @module
 */

/** `PGCOPY\n\xff\r\n\0`, then flags 0 and no header extension. */
export const COPY_BINARY_HEADER: Uint8Array = new Uint8Array([
  0x50,
  0x47,
  0x43,
  0x4f,
  0x50,
  0x59,
  0x0a,
  0xff,
  0x0d,
  0x0a,
  0x00,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
]);

/** A tuple with field count -1: the end of the data. */
export const COPY_BINARY_TRAILER: Uint8Array = new Uint8Array([0xff, 0xff]);
