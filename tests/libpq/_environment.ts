/**
 * Test helpers for the libpq modules: a scratch directory for real
 * `.pgpass` / service files (real file modes), and a `LibpqEnvironment`
 * over the real file system with a chosen environment and collected warnings.
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LibpqEnvironment, systemFiles } from "../../src/libpq/io.ts";

/** A scratch directory removed by `dispose`. */
export interface Scratch {
  dir: string;
  /** Writes `text` to `name` in the directory with `mode`; returns the path. */
  write(name: string, text: string, mode?: number): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Makes a scratch directory for one test. */
export async function scratch(): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), "pgmonkey-libpq-"));
  return {
    dir,
    async write(name, text, mode = 0o600) {
      const path = join(dir, name);
      await Deno.writeTextFile(path, text);
      await Deno.chmod(path, mode);
      return path;
    },
    [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A test environment; `warnings` collects what libpq would print. */
export function testEnvironment(
  overrides: Partial<LibpqEnvironment> = {},
): LibpqEnvironment & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    env: {},
    userName: "osuser",
    homeDir: "/nonexistent-home",
    compiledSocketDir: "/var/run/postgresql",
    sysconfDir: "/nonexistent-sysconf",
    files: systemFiles,
    warn: (m) => warnings.push(m),
    ...overrides,
    warnings,
  };
}
