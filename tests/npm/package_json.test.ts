import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import {
  NODE_FLOOR,
  packageJson,
  runtimePackages,
  TYPES_NODE,
} from "../../scripts/npm/package_json.ts";

Deno.test("runtime dependencies get caret ranges, postgres.js stays exact; dev-only packages stay out", () => {
  assert.deepEqual(
    [...runtimePackages(denoJson.imports)],
    [["postgres", "3.4.9"], ["yaml", "^2.9.1"], ["chardet", "^2.2.0"]],
  );
  assert.deepEqual(
    [...runtimePackages({ "@scope/x": "npm:@scope/x@~1.2.0", y: "npm:y", z: "./z.ts" })],
    [["@scope/x", "~1.2.0"], ["y", "*"]],
  );
  assert.throws(
    () => runtimePackages({ pg: "npm:postgres@3.4.9" }),
    /deno\.json imports: "pg" must be named like its package postgres/,
  );
});

Deno.test("package.json: ESM entry points with types, the pgmonkey bin, the Node floor", () => {
  const pkg = packageJson("1.2.3", "MIT", new Map([["postgres", "^3.4.9"]]));
  assert.equal(pkg.name, "pgmonkey-deno");
  assert.equal(pkg.type, "module");
  assert.deepEqual(pkg.exports, {
    ".": { types: "./esm/mod.d.ts", default: "./esm/mod.js" },
    "./cli": { types: "./esm/cli_node.d.ts", default: "./esm/cli_node.js" },
    "./internal": { types: "./esm/internal.d.ts", default: "./esm/internal.js" },
    "./schema.json": "./schema/pgmonkey.schema.json",
    "./postgres": {
      types: "./esm/src/compat/postgres.d.ts",
      default: "./esm/src/compat/postgres.js",
    },
    "./package.json": "./package.json",
  });
  assert.deepEqual(pkg.bin, { pgmonkey: "./esm/cli_node.js" });
  assert.deepEqual(pkg.engines, { node: ">=22" });
  assert.deepEqual(pkg.dependencies, { postgres: "^3.4.9" });
  // The types the build checks against are the floor's.
  assert.equal(NODE_FLOOR, 22);
  assert.match(TYPES_NODE, new RegExp(`^${NODE_FLOOR}\\.`));
});
