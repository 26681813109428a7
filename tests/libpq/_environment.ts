/**
 * Test helpers for the libpq modules: a scratch directory for real
 * `.pgpass` / service files (real file modes), and a `LibpqEnvironment`
 * over the real file system with a chosen environment and collected warnings.
 *
 * @module
 */
import { type ScratchDir, scratchDir } from "../support/scratch.ts";
import { type LibpqEnvironment, systemFiles } from "../../src/libpq/io.ts";

/** A scratch directory for one test (`await using dir = await scratch()`). */
export function scratch(): Promise<ScratchDir> {
  return scratchDir("libpq");
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
