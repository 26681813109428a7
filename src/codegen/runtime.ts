/**
 * What differs between the Deno and the Node flavour of a generated
 * program: import specifiers, how a file or an environment variable is
 * read, and how the program is run.
 *
 * @module
 */

/** The runtimes `generate-code --runtime` can target. */
export type CodegenRuntime = "deno" | "node";

/** Every `--runtime` choice. */
export const CODEGEN_RUNTIMES: readonly CodegenRuntime[] = ["deno", "node"];

/** How generated code is written for one runtime. */
export interface RuntimeProfile {
  /** Import specifier of this library. */
  readonly pgmonkey: string;
  /** Import specifier of postgres.js. */
  readonly postgres: string;
  /** Import specifier of the YAML parser. */
  readonly yaml: string;
  /** Imports of built-ins the plain postgres.js program needs (`env` when it reads variables). */
  builtinImports(env: boolean): string[];
  /** An expression reading the text file `pathExpr` synchronously. */
  readTextFile(pathExpr: string): string;
  /** An expression giving the environment variable `nameExpr` (or `undefined`). */
  env(nameExpr: string): string;
  /** The comment line telling how to run the saved program (`app.ts`). */
  readonly runHint: string;
}

/** Deno: `jsr:`/`npm:` specifiers, `Deno.*` APIs. */
const DENO: RuntimeProfile = {
  pgmonkey: "jsr:@pgmonkey/pgmonkey",
  postgres: "npm:postgres@3.4.9",
  yaml: "npm:yaml@2.9.1",
  builtinImports: () => [],
  readTextFile: (path) => `Deno.readTextFileSync(${path})`,
  env: (name) => `Deno.env.get(${name})`,
  runHint: "// Run: deno run --allow-read --allow-net --allow-env --allow-sys app.ts",
};

/** Node: npm package names, `node:` built-ins, no `Deno.*`. */
const NODE: RuntimeProfile = {
  pgmonkey: "pgmonkey-deno",
  postgres: "postgres",
  yaml: "yaml",
  builtinImports: (env) => [
    'import { readFileSync } from "node:fs";',
    ...(env ? ['import process from "node:process";'] : []),
  ],
  readTextFile: (path) => `readFileSync(${path}, "utf8")`,
  env: (name) => `process.env[${name}]`,
  runHint: "// Run: node app.ts (Node >= 22.18 runs TypeScript as is; older Node: npx tsx app.ts)",
};

/**
 * The profile of `runtime`.
 *
 * @example
 * ```ts
 * import { runtimeProfile } from "./runtime.ts";
 * runtimeProfile("node").pgmonkey; // "pgmonkey-deno"
 * ```
 */
export function runtimeProfile(runtime: CodegenRuntime): RuntimeProfile {
  return runtime === "node" ? NODE : DENO;
}

/**
 * The runtime the CLI itself runs on, which is what `--runtime` defaults to:
 * `deno` under Deno, `node` elsewhere (there `globalThis.Deno` is undefined),
 * so the npm package's CLI writes Node programs.
 *
 * @example
 * ```ts
 * import { currentRuntime } from "./runtime.ts";
 * currentRuntime(); // "deno" when run with deno
 * ```
 */
export function currentRuntime(): CodegenRuntime {
  return (globalThis as { Deno?: unknown }).Deno === undefined ? "node" : "deno";
}
