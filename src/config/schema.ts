/**
 * Where editors find the JSON Schema of the config file
 * (`schema/pgmonkey.schema.json`, shipped in the JSR and npm packages).
 *
 * @module
 */

/**
 * The package version whose schema the template points at. A test keeps it
 * equal to `deno.json`'s version.
 */
export const SCHEMA_PACKAGE_VERSION = "0.1.0";

/**
 * The URL of the config file's JSON Schema, as the template's first line
 * gives it to editors (`# yaml-language-server: $schema=<url>`): the file
 * `schema/pgmonkey.schema.json` of this version of `@pgmonkey/pgmonkey` on
 * JSR. The same file is in the npm package as
 * `pgmonkey-deno/schema/pgmonkey.schema.json`.
 *
 * @example
 * ```ts
 * import { CONFIG_SCHEMA_URL } from "./schema.ts";
 * console.log(`# yaml-language-server: $schema=${CONFIG_SCHEMA_URL}`);
 * ```
 */
export const CONFIG_SCHEMA_URL: string =
  `https://jsr.io/@pgmonkey/pgmonkey/${SCHEMA_PACKAGE_VERSION}/schema/pgmonkey.schema.json`;
