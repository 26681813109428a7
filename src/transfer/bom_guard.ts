/**
 * A byte-order mark in the middle of an import file. It appears when files
 * that each start with a BOM are joined (`cat a.csv b.csv`), usually right
 * before a repeated header row. Kept, it would end up in the table as an
 * invisible U+FEFF at the start of a value (`'\uFEFFid'` ≠ `'id'`); dropped,
 * the repeated header would be imported as a data row — both silent. So the
 * import stops at that line instead, naming it (nothing is imported).
 *
 * Only files in a Unicode encoding are checked: in Latin-1 or a Windows code
 * page the same bytes are the ordinary characters `ï»¿`.
 *
 * @module
 */
import { TransferError } from "./errors.ts";

const BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * The error for a BOM found on `line` of `file`.
 *
 * @example
 * ```ts
 * import { midFileBomError } from "./bom_guard.ts";
 * midFileBomError("a.csv", 4).message;
 * // "a.csv: line 4: byte-order mark (U+FEFF) in the middle of the file (files joined together?); remove it and import again"
 * ```
 */
export function midFileBomError(file: string, line: number): TransferError {
  return new TransferError(
    `${file}: line ${line}: byte-order mark (U+FEFF) in the middle of the file ` +
      "(files joined together?); remove it and import again",
  );
}

/**
 * Finds the UTF-8 byte-order mark (`EF BB BF`) in a byte stream fed in
 * chunks, also when a chunk boundary splits it.
 *
 * @example
 * ```ts
 * import { Utf8BomFinder } from "./bom_guard.ts";
 * const finder = new Utf8BomFinder();
 * finder.find(new Uint8Array([0x61, 0x0a, 0xef, 0xbb])); // -1 (maybe continued)
 * finder.find(new Uint8Array([0xbf, 0x62])); // 1: the mark ends before index 1
 * ```
 */
export class Utf8BomFinder {
  /** Bytes of the mark matched at the very end of the previous chunk. */
  #matched = 0;

  /**
   * The index in `chunk` just past the first complete mark (it may have
   * started in an earlier chunk, so the index can be below 3), or -1.
   */
  find(chunk: Uint8Array): number {
    let m = this.#matched;
    this.#matched = 0;
    if (m > 0) {
      let k = 0;
      while (m < 3 && k < chunk.length && chunk[k] === BOM[m]) [m, k] = [m + 1, k + 1];
      if (m === 3) return k;
      if (k === chunk.length) {
        this.#matched = m;
        return -1;
      }
    }
    for (let i = chunk.indexOf(0xef); i >= 0; i = chunk.indexOf(0xef, i + 1)) {
      let k = i + 1;
      m = 1;
      while (m < 3 && k < chunk.length && chunk[k] === BOM[m]) [m, k] = [m + 1, k + 1];
      if (m === 3) return k;
      if (k === chunk.length) {
        this.#matched = m;
        return -1;
      }
    }
    return -1;
  }
}
