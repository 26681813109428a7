import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvInterpolationError } from "../../src/errors.ts";
import {
  loadConfig,
  loadConfigFile,
  loadConfigFromObject,
  loadConfigObject,
  readConfigText,
  readValidatedConfig,
} from "../../src/config/load.ts";

const dir = mkdtempSync(join(tmpdir(), "pgm-load-"));
globalThis.addEventListener("unload", () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: string | Uint8Array): string {
  const path = join(dir, `f${++n}.yaml`);
  writeFileSync(path, content);
  return path;
}

const env = (name: string): string | undefined =>
  ({ PGM_HOST: "db.internal", PGM_PW: "s3cr3t" } as Record<string, string>)[name];

Deno.test("loadConfig: parses YAML, no validation, no interpolation by default", async () => {
  const path = file("connection_settings:\n  host: '${PGM_HOST}'\n  port: 0777\nextra: [y, n]\n");
  deepStrictEqual(await loadConfig(path), {
    connection_settings: { host: "${PGM_HOST}", port: 511 },
    extra: ["y", "n"],
  });
});

Deno.test("loadConfig: resolveEnv interpolates; allowSensitiveDefaults is passed on", async () => {
  const path = file(
    "connection_settings:\n  host: '${PGM_HOST}'\n  password: '${PGM_NOPE:-dev}'\n",
  );
  const loaded = await loadConfigFile(path, {
    resolveEnv: true,
    allowSensitiveDefaults: true,
    env,
  });
  deepStrictEqual(loaded.resolved, {
    connection_settings: { host: "db.internal", password: "dev" },
  });
  const strict = await loadConfigFile(path, { resolveEnv: true, env });
  throws(() => strict.resolved, EnvInterpolationError);
  await rejects(loadConfig(path, { resolveEnv: true }), EnvInterpolationError);
});

Deno.test("loadConfig: an empty file gives null; a list is returned as it is", async () => {
  strictEqual(await loadConfig(file("")), null);
  deepStrictEqual(await loadConfig(file("- a\n")), ["a"]);
});

Deno.test("loadConfig: the legacy postgresql: wrapper is unwrapped (golden probe_dep)", async () => {
  const seen: string[] = [];
  const path = file(
    "postgresql:\n  connection_settings:\n    host: '127.0.0.1'\n    sslmode: 'prefer'\n  async_pool_settings:\n    max_size: 3\n",
  );
  deepStrictEqual(await loadConfig(path, { onWarning: (m) => seen.push(m) }), {
    connection_settings: { host: "127.0.0.1", sslmode: "prefer" },
    async_pool_settings: { max_size: 3 },
  });
  strictEqual(seen.length, 1);
  ok(seen[0].startsWith("DeprecationWarning: The top-level 'postgresql:' key"));
});

Deno.test("readConfigText: CRLF and lone CR become LF (Python text mode); a BOM is accepted", async () => {
  strictEqual(await readConfigText(file("a: 1\r\nb: 2\rc: 3\n")), "a: 1\nb: 2\nc: 3\n");
  deepStrictEqual(await loadConfig(file("\ufeffa: 1\r\n")), { a: 1 });
});

Deno.test("loadConfigFromObject: deep-copies, normalizes and optionally interpolates", () => {
  const input = {
    connection_settings: { host: "${PGM_HOST}", password: { from_env: "PGM_PW" } },
    l: [{ a: 1 }],
  };
  const before = structuredClone(input);
  const plain = loadConfigFromObject(input) as typeof input;
  deepStrictEqual(plain, input);
  ok(plain !== input && plain.l[0] !== input.l[0]);
  deepStrictEqual(loadConfigObject(input, { resolveEnv: true, env }).resolved, {
    connection_settings: { host: "db.internal", password: "s3cr3t" },
    l: [{ a: 1 }],
  });
  deepStrictEqual(input, before);
});

Deno.test("readValidatedConfig: from a path", async () => {
  const path = file(
    "connection_type: pool\nconnection_settings:\n  host: '${PGM_HOST}'\n  port: '5432'\n",
  );
  const result = await readValidatedConfig(path, { resolveEnv: true, env });
  strictEqual(result.file, path);
  deepStrictEqual(result.raw, {
    connection_type: "pool",
    connection_settings: { host: "db.internal", port: "5432" },
  });
  strictEqual(result.config.connection_type, "pool");
  deepStrictEqual(result.config.connection_settings, { host: "db.internal", port: 5432 });
});

Deno.test("readValidatedConfig: from an object, with an explicit type", async () => {
  const result = await readValidatedConfig({ connection_settings: { host: "h" } }, {
    connectionType: "async",
  });
  strictEqual(result.file, undefined);
  strictEqual(result.config.connection_type, "async");
});

Deno.test("readValidatedConfig: interpolation errors keep upstream's class and text", async () => {
  const path = file("connection_settings:\n  host: '${PGM_MISSING}'\n");
  await rejects(readValidatedConfig(path, { resolveEnv: true, env }), {
    name: "EnvInterpolationError",
    message:
      "Environment variable 'PGM_MISSING' is not set and no default was provided (referenced by config key 'connection_settings.host').",
  });
});

Deno.test("loadConfigFromObject: a non-object is returned as it is", () => {
  strictEqual(loadConfigFromObject(null), null);
  strictEqual(loadConfigFromObject("x", { resolveEnv: true }), "x");
});

Deno.test("LoadedConfig: raw as written, resolved and validated from ONE read of the file", async () => {
  const path = file(
    "connection_type: pool\nconnection_settings:\n  port: '${PGM_PORT:-5433}'\n  hosst: x\n",
  );
  const warnings: string[] = [];
  const loaded = await loadConfigFile(path, {
    resolveEnv: true,
    env: () => undefined,
    onWarning: (m) => warnings.push(m),
  });
  deepStrictEqual(loaded.raw, {
    connection_type: "pool",
    connection_settings: { port: "${PGM_PORT:-5433}", hosst: "x" },
  });
  strictEqual(loaded.resolved, loaded.resolved, "interpolated once");
  deepStrictEqual(loaded.resolved, {
    connection_type: "pool",
    connection_settings: { port: "5433", hosst: "x" },
  });
  const config = loaded.validate("async");
  strictEqual(config.connection_type, "async");
  strictEqual(config.connection_settings.port, 5433);
  strictEqual(loaded.validate().connection_type, "pool");
  strictEqual(warnings.length, 2);
  ok(warnings[0].startsWith("Unknown connection settings ignored: hosst."), warnings[0]);
  // Without resolveEnv, resolved IS the raw config.
  const plain = await loadConfigFile(path);
  strictEqual(plain.resolved, plain.raw);
});

Deno.test("loadConfigFile with a cache: parsed again only when the text changes", async () => {
  const path = file("connection_settings:\n  host: a\n");
  const cache = new Map();
  const first = await loadConfigFile(path, {}, cache);
  const second = await loadConfigFile(path, {}, cache);
  strictEqual(second.raw, first.raw, "same parse");
  writeFileSync(path, "connection_settings:\n  host: b\n");
  const third = await loadConfigFile(path, {}, cache);
  deepStrictEqual(third.raw, { connection_settings: { host: "b" } });
  await rejects(loadConfigFile(join(dir, "missing.yaml"), {}, cache), {
    name: "ConfigError",
    message: `config file not found: ${join(dir, "missing.yaml")}`,
  });
});
