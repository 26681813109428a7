/**
 * The version `pgmonkey --version` prints: the root package's `deno.json`
 * version, read at build time.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };

/**
 * The version of `@pgmonkey/pgmonkey`, e.g. `0.1.0`.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`pgmonkey ${VERSION}`);
 * ```
 */
export const VERSION: string = denoJson.version;
