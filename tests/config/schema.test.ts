// The JSON Schema of the config file (schema/pgmonkey.schema.json), checked with
// an independent validator (ajv, strict mode): the template and every config
// fixture pass, a mistyped key is flagged, and the schema agrees with
// validateConfig on a table of good and bad values.
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, relative } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { CONFIG_TEMPLATE } from "../../src/config/template.ts";
import { CONFIG_SCHEMA_URL, SCHEMA_PACKAGE_VERSION } from "../../src/config/schema.ts";
import { parseYaml } from "../../src/config/yaml.ts";
import { normalizeConfig } from "../../src/config/normalize.ts";
import { validateConfig } from "../../src/config/validate.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const SCHEMA_FILE = join(REPO, "schema", "pgmonkey.schema.json");
const schema = JSON.parse(readFileSync(SCHEMA_FILE, "utf8"));
const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true });
const check = ajv.compile(schema);

/** The schema's errors for a parsed config (empty when it validates). */
function schemaErrors(config: unknown): ErrorObject[] {
  return check(config) ? [] : [...(check.errors ?? [])];
}

function show(errors: ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`).join(
    "\n",
  );
}

/** Config files the tests use: everything YAML under tests/ except import/export settings. */
function configFixtures(dir = join(REPO, "tests")): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "transfer") found.push(...configFixtures(path));
    } else if (/\.yaml(\.in)?$/.test(entry.name)) found.push(path);
  }
  return found.sort();
}

Deno.test("schema: shipped at the URL the template names, for this package version", () => {
  const denoJson = JSON.parse(readFileSync(join(REPO, "deno.json"), "utf8"));
  strictEqual(SCHEMA_PACKAGE_VERSION, denoJson.version, "update src/config/schema.ts");
  strictEqual(schema.$id, CONFIG_SCHEMA_URL);
  ok(CONFIG_SCHEMA_URL.endsWith(`/${relative(REPO, SCHEMA_FILE)}`));
  strictEqual(schema.$schema, "http://json-schema.org/draft-07/schema#");
  // JSR publishes every file that is not excluded: schema/ must not be.
  ok(!denoJson.publish.exclude.some((p: string) => "schema/pgmonkey.schema.json".startsWith(p)));
});

Deno.test("schema: the template (pgconfig create) validates and names its schema first", () => {
  strictEqual(
    CONFIG_TEMPLATE.split("\n")[0],
    `# yaml-language-server: $schema=${CONFIG_SCHEMA_URL}`,
  );
  deepStrictEqual(schemaErrors(parseYaml(CONFIG_TEMPLATE)), []);
});

Deno.test("schema: every config fixture validates (empty and invalid YAML files aside)", () => {
  const files = configFixtures();
  ok(files.length >= 20, `only ${files.length} fixtures found`);
  let validated = 0;
  for (const file of files) {
    const name = relative(REPO, file);
    const text = readFileSync(file, "utf8");
    if (name.endsWith("c10_invalid.yaml.in")) {
      throws(() => parseYaml(text, name), { name: "ConfigError" });
      continue;
    }
    const config = parseYaml(text, name);
    if (name.endsWith("c09_empty.yaml.in")) {
      strictEqual(config, null, "an empty file is no document: nothing to validate");
      continue;
    }
    const errors = schemaErrors(config);
    deepStrictEqual(errors, [], `${name}:\n${show(errors)}`);
    validated++;
  }
  strictEqual(validated, files.length - 4); // c09 and c10, twice each
});

Deno.test("schema: a mistyped pool key (max_szie) is flagged, in both pool sections", () => {
  for (const section of ["pool_settings", "async_pool_settings"]) {
    const errors = schemaErrors({
      connection_settings: { host: "db" },
      [section]: { min_size: 1, max_szie: 10 },
    });
    deepStrictEqual(
      errors.map((e) => [e.instancePath, e.keyword, e.params]),
      [[`/${section}`, "additionalProperties", { additionalProperty: "max_szie" }]],
    );
  }
});

Deno.test("schema: an unknown connection_settings key is flagged; validateConfig only warns (as Python)", () => {
  const config = { connection_settings: { host: "db", hosst: "x" } };
  deepStrictEqual(
    schemaErrors(config).map((e) => [e.instancePath, e.params]),
    [["/connection_settings", { additionalProperty: "hosst" }]],
  );
  const warnings: string[] = [];
  validateConfig(config, { onWarning: (m) => warnings.push(m) });
  strictEqual(warnings.length, 1);
  ok(warnings[0].startsWith("Unknown connection settings ignored: hosst."));
});

Deno.test("schema: unknown top-level sections are allowed (both libraries ignore them)", () => {
  deepStrictEqual(schemaErrors({ connection_settings: {}, my_app: { anything: 1 } }), []);
});

/** Values the schema and validateConfig must judge alike (resolveEnv aside). */
const AGREEMENT: { config: Record<string, unknown>; valid: boolean }[] = [
  { config: { connection_settings: { port: "5432" } }, valid: true },
  { config: { connection_settings: { port: 65535 } }, valid: true },
  { config: { connection_settings: { port: 0 } }, valid: false },
  { config: { connection_settings: { port: "65536" } }, valid: false },
  { config: { connection_settings: { port: "abc" } }, valid: false },
  { config: { connection_settings: { port: "" } }, valid: true },
  { config: { connection_settings: { sslmode: "verify-full" } }, valid: true },
  { config: { connection_settings: { sslmode: "verify_full" } }, valid: false },
  { config: { connection_settings: { keepalives: "Off" } }, valid: true },
  { config: { connection_settings: { autocommit: "maybe" } }, valid: false },
  { config: { connection_settings: { connect_timeout: "-1" } }, valid: false },
  { config: { connection_settings: { connect_timeout: 2.5 } }, valid: true },
  { config: { connection_settings: { user: true } }, valid: false },
  { config: { connection_settings: { user: 42 } }, valid: true },
  { config: { connection_settings: [] }, valid: false },
  { config: { connection_type: "pooled", connection_settings: {} }, valid: false },
  { config: { connection_settings: {}, pool_settings: { max_size: 0 } }, valid: false },
  { config: { connection_settings: {}, pool_settings: { min_size: "3" } }, valid: true },
  { config: { connection_settings: {}, pool_settings: { min_size: 1.5 } }, valid: false },
  { config: { connection_settings: {}, pool_settings: { check_on_checkout: "yes" } }, valid: true },
  { config: { connection_settings: {}, pool_settings: null }, valid: true },
  {
    config: { connection_settings: {}, sync_settings: { work_mem: "64MB", jit: false } },
    valid: true,
  },
  { config: { connection_settings: {}, sync_settings: { work_mem: [1] } }, valid: false },
  { config: { connection_settings: {}, async_settings: "x" }, valid: false },
];

Deno.test("schema: agrees with validateConfig on good and bad values", () => {
  for (const { config, valid } of AGREEMENT) {
    const label = JSON.stringify(config);
    strictEqual(schemaErrors(config).length === 0, valid, `schema: ${label}`);
    let accepted = true;
    try {
      validateConfig(config, { onWarning: () => {} });
    } catch {
      accepted = false;
    }
    strictEqual(accepted, valid, `validateConfig: ${label}`);
  }
});

Deno.test("schema: references are accepted where resolveEnv would resolve them", () => {
  const config = {
    connection_type: "${PGM_TYPE:-pool}",
    connection_settings: {
      host: "${PGHOST:-localhost}",
      port: "${PGPORT:-5432}",
      password: { from_env: "PGPASSWORD" },
      sslrootcert: { from_file: "/run/secrets/ca-path" },
      keepalives: "${PGM_KEEPALIVES}",
    },
    pool_settings: { max_size: "${PGM_POOL_MAX:-10}" },
  };
  deepStrictEqual(schemaErrors(config), []);
  // A mapping that is not exactly one of from_env/from_file is not a reference.
  ok(schemaErrors({ connection_settings: { password: { from_env: "A", from_file: "B" } } }).length);
});

Deno.test("schema: the legacy postgresql: wrapper is checked like the top level", () => {
  const wrapped = {
    postgresql: { connection_settings: { host: "db" }, pool_settings: { max_szie: 1 } },
  };
  deepStrictEqual(
    schemaErrors(wrapped).map((e) => e.instancePath),
    ["/postgresql/pool_settings"],
  );
  deepStrictEqual(
    schemaErrors(normalizeConfig(wrapped, () => {})).map((e) => e.instancePath),
    ["/pool_settings"],
  );
});
