/**
 * Scratch directories for tests: a fresh directory under the system temp
 * dir, files written with exact modes (and, optionally, handed to another OS
 * user), removed afterwards.
 *
 * @module
 */
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A scratch directory; `remove()` (or `await using`) deletes it. */
export interface ScratchDir {
  path: string;
  /** Writes `text` to `name` with `mode` (default 0600), owned by the directory's owner; returns the path. */
  write(name: string, text: string, mode?: number): Promise<string>;
  remove(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Makes `pgmonkey-<label>-XXXXXX` (mode 0755), owned by `owner` when given. */
export async function scratchDir(
  label: string,
  owner?: { uid: number; gid: number },
): Promise<ScratchDir> {
  const path = await mkdtemp(join(tmpdir(), `pgmonkey-${label}-`));
  await Deno.chmod(path, 0o755);
  if (owner) await chown(path, owner.uid, owner.gid);
  const remove = () => rm(path, { recursive: true, force: true });
  return {
    path,
    async write(name, text, mode = 0o600) {
      const file = join(path, name);
      await Deno.writeTextFile(file, text);
      await Deno.chmod(file, mode);
      if (owner) await chown(file, owner.uid, owner.gid);
      return file;
    },
    remove,
    [Symbol.asyncDispose]: remove,
  };
}
