/**
 * The `pgmonkey` command line as its own package, so that
 *
 * ```sh
 * deno run -A jsr:@pgmonkey/cli pgconfig test --connconfig config.yaml
 * ```
 *
 * runs the same CLI as `deno run -A cli.ts` in `@pgmonkey/pgmonkey`:
 * `pgconfig create|test|generate-code`, `pgserverconfig [--audit]`,
 * `pgimport`, `pgexport`, `--version`, `--help`.
 *
 * @example Run the CLI from a script
 * ```ts ignore
 * import { main } from "@pgmonkey/cli";
 * const status = await main(["pgserverconfig", "--filepath", "config.yaml"]);
 * console.log(status); // 0 success, 1 failure, 2 usage error
 * ```
 *
 * @module
 */
import { main, type Output } from "@pgmonkey/pgmonkey/cli";

export { main, type Output };

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
