/**
 * Reading a file in fixed-size chunks with one reused buffer (constant
 * memory, whatever the file size).
 *
 * @module
 */
import { open } from "node:fs/promises";

/** Default chunk size: 64 KiB (small reads keep the peak memory of a long import low). */
export const CHUNK_BYTES = 64 << 10;

/**
 * Yields the file's bytes chunk by chunk. Each chunk is a view of one reused
 * buffer: use it before asking for the next.
 *
 * @example
 * ```ts ignore
 * import { fileChunks } from "./file_chunks.ts";
 * let size = 0;
 * for await (const chunk of fileChunks("data.csv")) size += chunk.length;
 * ```
 */
export async function* fileChunks(
  path: string,
  chunkBytes: number = CHUNK_BYTES,
): AsyncGenerator<Uint8Array, void, undefined> {
  const fh = await open(path, "r");
  try {
    const buffer = new Uint8Array(chunkBytes);
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
