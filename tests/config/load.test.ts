import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvInterpolationError } from "../../src/errors.ts";
import {
  loadConfig,
  loadConfigFromObject,
  readConfigText,
  readValidatedConfig,
} from "../../src/config/load.ts";
import { resetWarningsOnce, setWarningHandler } from "../../src/config/warn.ts";

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
  deepStrictEqual(await loadConfig(path, { resolveEnv: true, allowSensitiveDefaults: true, env }), {
    connection_settings: { host: "db.internal", password: "dev" },
  });
  await rejects(loadConfig(path, { resolveEnv: true, env }), EnvInterpolationError);
});

Deno.test("loadConfig: an empty file gives null; a list is returned as it is", async () => {
  strictEqual(await loadConfig(file("")), null);
  deepStrictEqual(await loadConfig(file("- a\n")), ["a"]);
});

Deno.test("loadConfig: the legacy postgresql: wrapper is unwrapped (golden probe_dep)", async () => {
  resetWarningsOnce();
  const seen: string[] = [];
  const previous = setWarningHandler((m) => seen.push(m));
  try {
    const path = file(
      "postgresql:\n  connection_settings:\n    host: '127.0.0.1'\n    sslmode: 'prefer'\n  async_pool_settings:\n    max_size: 3\n",
    );
    deepStrictEqual(await loadConfig(path), {
      connection_settings: { host: "127.0.0.1", sslmode: "prefer" },
      async_pool_settings: { max_size: 3 },
    });
    strictEqual(seen.length, 1);
    ok(seen[0].startsWith("DeprecationWarning: The top-level 'postgresql:' key"));
  } finally {
    setWarningHandler(previous);
  }
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
  deepStrictEqual(loadConfigFromObject(input, { resolveEnv: true, env }), {
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
