/**
 * PostgreSQL wire-protocol constants and the few message parsers the
 * connection layer needs (it never builds or parses what postgres.js does,
 * except to watch the stream: see `./frames.ts`).
 *
 * @module
 */

/** Message type bytes used by the layer. */
export const MSG = {
  /** Client: Sync. Server: ParameterStatus. */
  S: 0x53,
  /** Client: simple Query. */
  Q: 0x51,
  /** Client: Parse. */
  P: 0x50,
  /** Client: FunctionCall. */
  F: 0x46,
  /** Client: Terminate. */
  X: 0x58,
  /** Server: ReadyForQuery. */
  Z: 0x5a,
  /** Server: ErrorResponse. */
  E: 0x45,
  /** Server: BackendKeyData. */
  K: 0x4b,
} as const;

/** Client messages that start or continue an extended-protocol exchange (awaiting a Sync). */
export const EXTENDED_MESSAGES: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const c of "PBDEHC") t[c.charCodeAt(0)] = 1;
  return t;
})();

/** The request code of a CancelRequest (the untyped first message of a cancel connection). */
export const CANCEL_REQUEST_CODE = 80877102;

/** ReadyForQuery transaction status: idle, in a transaction block, in a failed block. */
export type TxStatus = "I" | "T" | "E";

/** Field codes of an ErrorResponse/NoticeResponse, named as postgres.js names them. */
const ERROR_FIELDS: Record<number, string> = {
  0x53: "severity_local", // S
  0x56: "severity", // V
  0x43: "code", // C
  0x4d: "message", // M
  0x44: "detail", // D
  0x48: "hint", // H
  0x50: "position", // P
  0x57: "where", // W
  0x46: "file", // F
  0x4c: "line", // L
  0x52: "routine", // R
};

/**
 * Parses the fields of an ErrorResponse body `bytes[start..end)` into an
 * object keyed as postgres.js's `PostgresError` is.
 *
 * @example
 * ```ts
 * import { parseErrorFields } from "./protocol.ts";
 * const body = new TextEncoder().encode("SFATAL\0C57P01\0Mterminating\0\0");
 * console.log(parseErrorFields(body, 0, body.length).code); // 57P01
 * ```
 */
export function parseErrorFields(
  bytes: Uint8Array,
  start: number,
  end: number,
): Record<string, string> {
  const out: Record<string, string> = {};
  const decoder = new TextDecoder();
  let i = start;
  while (i < end && bytes[i] !== 0) {
    const code = bytes[i];
    const nul = bytes.indexOf(0, i + 1);
    if (nul < 0 || nul >= end) break;
    const name = ERROR_FIELDS[code];
    if (name) out[name] = decoder.decode(bytes.subarray(i + 1, nul));
    i = nul + 1;
  }
  return out;
}

/** Big-endian unsigned 32-bit integer at `b[at..at+4)`. */
export function readInt32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
