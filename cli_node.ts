#!/usr/bin/env node
/**
 * The `pgmonkey` command line for Node: `pgconfig create|test|generate-code`,
 * `pgserverconfig [--audit]`, `pgimport`, `pgexport`, with the same commands
 * and flags as pgmonkey (Python).
 *
 * This is the npm package's `bin` and its `./cli` export (the Deno entry
 * `cli.ts` uses `Deno.args` and `Deno.exit`); `scripts/build_npm.ts`
 * compiles it for Node, and the JSR package leaves it out. Run as a program,
 * it reads `process.argv` and sets `process.exitCode` (0 success, 1 failure,
 * 2 usage error), so the process ends once its work is done and stdout is
 * flushed.
 *
 * ```sh
 * npx pgmonkey pgconfig test --connconfig config.yaml --connection-type pool
 * ```
 *
 * @example Run the CLI from your own script
 * ```ts ignore
 * import { main } from "pgmonkey-deno/cli";
 * const status = await main(["pgconfig", "test", "--connconfig", "config.yaml"]);
 * console.log(status); // 0 success, 1 failure, 2 usage error
 * ```
 *
 * @module
 */
import { realpathSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { main } from "./src/cli/main.ts";

export { main };
export type { Output } from "./src/cli/output.ts";

/**
 * True when this module is the program that was started: `node cli.js …`
 * or the `pgmonkey` bin link npm makes to it (a symlink, hence realpath).
 * Runtimes with `import.meta.main` (Deno, Node >= 24.2) answer directly.
 */
function startedAsProgram(): boolean {
  const flag = (import.meta as { main?: unknown }).main;
  if (typeof flag === "boolean") return flag;
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (startedAsProgram()) {
  process.exitCode = await main(process.argv.slice(2));
}
