/**
 * The error type of pgimport/pgexport.
 *
 * @module
 */

/**
 * An import or export could not be done. The message is one line, ready to
 * show to a user: it names the file (and line) or the table involved and
 * what was wrong.
 *
 * @example
 * ```ts
 * import { TransferError } from "./errors.ts";
 * throw new TransferError("data.csv: line 3: 2 fields, expected 4");
 * ```
 */
export class TransferError extends Error {
  /** Creates the error with a one-line message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransferError";
  }
}
