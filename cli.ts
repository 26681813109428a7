/**
 * The `pgmonkey` command line: `pgconfig create|test|generate-code`,
 * `pgserverconfig [--audit]`, `pgimport`, `pgexport`, with the same commands
 * and flags as pgmonkey (Python).
 *
 * ```sh
 * deno run -A cli.ts pgconfig test --connconfig config.yaml --connection-type pool
 * deno run -A jsr:@pgmonkey/cli pgserverconfig --filepath config.yaml --audit
 * ```
 *
 * @example Run the CLI from your own script
 * ```ts ignore
 * import { main } from "@pgmonkey/pgmonkey/cli";
 * const status = await main(["pgconfig", "test", "--connconfig", "config.yaml"]);
 * console.log(status); // 0 success, 1 failure, 2 usage error
 * ```
 *
 * @module
 */
import { main } from "./src/cli/main.ts";

export { main };
export type { Output } from "./src/cli/output.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
