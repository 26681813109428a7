/**
 * The import's data loop: reads the file once, converts it, and hands each
 * block of complete rows to the first idle COPY stream (one stream, or
 * several for a parallel import). Converting the next slice overlaps with
 * sending the previous blocks. A failure anywhere — a malformed row, a
 * server error on any stream — cancels every stream and is thrown; a server
 * error with a row position is thrown as {@link CopyRowError}, with the row
 * of the file it refers to.
 *
 * @example
 * ```ts ignore
 * const sink = await CopySink.open(conn.sql, statement, true);
 * const rows = await pumpFile(plan, [sink], undefined);
 * ```
 *
 * @module
 */
import { type ConverterPlan, createConverter } from "./converters.ts";
import type { CopySink } from "./copy_sink.ts";
import { TransferError } from "./errors.ts";
import { fileChunks } from "./file_chunks.ts";
import type { Progress } from "./progress.ts";

/**
 * Input bytes converted per step, and output bytes gathered before a block
 * is sent: small for one stream (every block becomes a short-lived copy
 * inside postgres.js: small ones keep the peak memory low), larger for
 * parallel streams (fewer sends per stream; measured 10–15 % faster with 2).
 */
const BLOCK_BYTES = { single: 32 << 10, parallel: 64 << 10 };

/** A server error of a COPY stream, with the file's data row it happened at (1-based). */
export class CopyRowError extends Error {
  /** The data row of the file (1-based, not counting the header or skipped rows). */
  readonly row: number;
  /** The column the server named, if any. */
  readonly column?: string;
  /** Creates the error; `cause` is the server's error. */
  constructor(cause: Error, row: number, column?: string) {
    super(cause.message, { cause });
    this.name = "CopyRowError";
    this.row = row;
    this.column = column;
  }
}

/** `COPY t, line 12, column a: "x"` → line 12, column `a`. */
export function copyErrorPosition(where: unknown): { line: number; column?: string } | undefined {
  if (typeof where !== "string") return undefined;
  const m = /COPY .*?, line (\d+)(?:, column (.+?)(?:: |$))?/s.exec(where.split("\n")[0]);
  return m ? { line: Number(m[1]), column: m[2] } : undefined;
}

/** The stream's error, traced to the file row when the server gave a position. */
function located(sink: CopySink, e: unknown): unknown {
  const position = copyErrorPosition((e as { where?: unknown } | null)?.where);
  const row = position && sink.fileRow(position.line);
  return row && e instanceof Error ? new CopyRowError(e, row, position.column) : e;
}

/** The first idle sink, waiting for one when all are busy. Throws a sink's error. */
async function idleSink(sinks: readonly CopySink[]): Promise<CopySink> {
  for (;;) {
    for (const sink of sinks) {
      if (!sink.busy) {
        await sink.idle().catch((e) => Promise.reject(located(sink, e)));
        return sink;
      }
    }
    await Promise.race(sinks.map((s) => s.idle().catch((e) => Promise.reject(located(s, e)))));
  }
}

/**
 * Streams `plan.file` through its converter into `sinks` and ends them.
 * Resolves to the rows sent (each checked against the server's count).
 */
export async function pumpFile(
  plan: ConverterPlan,
  sinks: readonly CopySink[],
  progress: Progress | undefined,
): Promise<number> {
  const converter = createConverter(plan);
  const blockBytes = sinks.length > 1 ? BLOCK_BYTES.parallel : BLOCK_BYTES.single;
  let taken = 0;
  let bytes = 0;
  const dispatch = async (final: boolean) => {
    if (!final && converter.pendingOutput < blockBytes) return;
    const block = converter.takeOutput();
    if (block.length === 0) return;
    const rows = converter.rows - taken;
    const sink = await idleSink(sinks);
    await sink.send(block, taken, rows);
    taken += rows;
  };
  try {
    for await (const chunk of fileChunks(plan.file)) {
      for (let at = 0; at < chunk.length; at += blockBytes) {
        const slice = chunk.subarray(at, at + blockBytes);
        bytes += slice.length;
        converter.push(slice);
        await dispatch(false);
      }
      progress?.update(converter.rows, bytes);
    }
    converter.finish();
    await dispatch(true);
    let copied = 0;
    let known = true;
    for (const sink of sinks) {
      const n = await sink.end().catch((e) => Promise.reject(located(sink, e)));
      if (n === undefined) known = false;
      else copied += n;
    }
    if (known && copied !== converter.rows) {
      throw new TransferError(
        `the server copied ${copied} rows, but ${converter.rows} were sent; nothing was imported`,
      );
    }
  } catch (e) {
    const reason = e instanceof Error ? e : new Error(String(e));
    await Promise.all(sinks.map((s) => s.abort(reason)));
    throw e;
  } finally {
    progress?.done();
  }
  return converter.rows;
}
