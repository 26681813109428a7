// The public API is deliberate: mod.ts exports exactly what a user needs, the
// CLI's building blocks live behind the documented ./internal entry point,
// warnings go to an `onWarning` option (nothing process-wide), and the CLI
// reaches the config and connection layers only through those two entry points.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import * as mod from "../../mod.ts";
import * as internal from "../../internal.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** Every symbol (values and types) an entry point exports, from `deno doc --json`. */
async function exportedSymbols(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", entry],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  ok(out.success, new TextDecoder().decode(out.stderr));
  const doc = JSON.parse(new TextDecoder().decode(out.stdout));
  const node = doc.nodes[new URL(entry, `file://${REPO}`).href];
  return (node.symbols as { name: string }[]).map((s) => s.name).sort();
}

const PUBLIC = [
  // the manager and its options
  "PGConnectionManager",
  "PGConnectionManagerOptions",
  "GetConnectionOptions",
  "CacheInfo",
  // handles (src/connect/handle.ts)
  "PGConnection",
  "BorrowedConnection",
  "PoolStats",
  "ReservedSql",
  "Sql",
  "TransactionOptions",
  "TransactionSql",
  "PostgresPassthrough",
  "HandleHealth",
  "RetryOptions",
  "CHANNELS",
  "CloseOnSignalsOptions",
  "HealthEntry",
  // errors
  "ConfigError",
  "ConfigErrorLocation",
  "ConnectionError",
  "ConnectionTarget",
  "EnvInterpolationError",
  "PoolTimeoutError",
  // config types
  "ConnectionSettings",
  "ConnectionType",
  "CONNECTION_TYPES",
  "PgMonkeyConfig",
  "PoolSettings",
  "RawConfig",
  "SessionSettings",
  "SSL_MODES",
  "SslMode",
  "SslNegotiation",
  "TargetSessionAttrs",
  "LoadBalanceHosts",
  "JsSettings",
  "NoticeMode",
  "ForeignConnectionPolicy",
  // load, validate, redact, warnings
  "loadConfig",
  "loadConfigFromObject",
  "LoadOptions",
  "validateConfig",
  "ValidateOptions",
  "redactConfig",
  "REDACTED",
  "WarningHandler",
  // template and schema
  "CONFIG_TEMPLATE",
  "CONFIG_SCHEMA_URL",
].sort();

const INTERNAL_ONLY = [
  "cacheKey",
  "configHash",
  "normalizeConfig",
  "parseYaml",
  "collectSecrets",
  "redactText",
  "isSensitiveKey",
  "resolveConnectionType",
  "CONNECTION_SETTING_KEYS",
  "resolveEnvVars",
  "loadConfigFile",
  "LoadedConfig",
  "connectLoaded",
];

Deno.test("mod.ts exports exactly the public API (values and types)", async () => {
  deepStrictEqual(await exportedSymbols("mod.ts"), PUBLIC);
  for (const name of ["setWarningHandler", "readValidatedConfig", "LoadConfigOptions"]) {
    ok(!(name in mod), name);
  }
});

Deno.test("the building blocks are exported from ./internal, not from mod.ts", async () => {
  const symbols = await exportedSymbols("internal.ts");
  for (const name of INTERNAL_ONLY) {
    ok(symbols.includes(name), `internal.ts lacks ${name}`);
    ok(!(name in mod), `mod.ts still exports ${name}`);
  }
  const denoJson = JSON.parse(readFileSync(join(REPO, "deno.json"), "utf8"));
  strictEqual(denoJson.exports["./internal"], "./internal.ts");
  strictEqual(typeof internal.connectLoaded, "function");
});

Deno.test("the CLI uses only what mod.ts and internal.ts export (from their defining modules, for start-up speed)", () => {
  // Importing mod.ts loads the whole library (the driver too); a command that needs one
  // constant may import it from the leaf module that defines it, but only names the public
  // or internal entry point exports: no private helper of src/config or src/connect.
  const exported = new Set([...Object.keys(mod), ...Object.keys(internal), "WarningHandler"]);
  const dir = join(REPO, "src", "cli");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(join(dir, file), "utf8");
    for (
      const m of text.matchAll(
        /import (type )?\{([^}]*)\} from "(\.\.\/(?:config|connect)\/[^"]+)"/g,
      )
    ) {
      const names = m[2].split(",").map((n) => n.trim().replace(/^type /, "")).filter(Boolean);
      for (const name of names) {
        ok(
          exported.has(name),
          `src/cli/${file} imports ${name} from ${m[3]}, which no entry point exports`,
        );
      }
    }
  }
});

Deno.test("the pipeline is assembled in one place: only load.ts parses, unwraps and interpolates", () => {
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts") && !path.endsWith(join("config", "load.ts"))) {
        const text = readFileSync(path, "utf8").replace(/^\s*\*.*$/gm, ""); // not in docs
        if (/\b(normalizeConfig|resolveEnvVars)\(/.test(text.replace(/function \w+\(/g, ""))) {
          offenders.push(path.slice(REPO.length));
        }
      }
    }
  };
  walk(join(REPO, "src"));
  deepStrictEqual(offenders, []);
});

/** Valid up to a warning, then invalid: validation warns and fails before connecting. */
const WARNS_THEN_FAILS = { connection_settings: { hosst: "x", port: "abc" } };

Deno.test("new PGConnectionManager({ onWarning }) receives config warnings; a call's own wins", async () => {
  const managerWarnings: string[] = [];
  const callWarnings: string[] = [];
  const manager = new mod.PGConnectionManager({ onWarning: (m) => managerWarnings.push(m) });
  await rejects(manager.getDatabaseConnectionFromConfig(WARNS_THEN_FAILS), {
    name: "ConfigError",
    message: "connection_settings.port: expected an integer from 1 to 65535, got 'abc'",
  });
  await rejects(
    manager.getDatabaseConnectionFromConfig(WARNS_THEN_FAILS, "pool", {
      onWarning: (m) => callWarnings.push(m),
    }),
    { name: "ConfigError" },
  );
  strictEqual(managerWarnings.length, 1);
  ok(managerWarnings[0].startsWith("Unknown connection settings ignored: hosst."));
  deepStrictEqual(callWarnings, managerWarnings);
});

Deno.test("without onWarning, warnings are printed to stderr (console.warn)", async () => {
  const printed: unknown[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void printed.push(...args);
  try {
    await rejects(new mod.PGConnectionManager().getDatabaseConnectionFromConfig(WARNS_THEN_FAILS));
    mod.loadConfigFromObject({ postgresql: { connection_settings: {} } });
  } finally {
    console.warn = original;
  }
  strictEqual(printed.length, 2);
  ok(String(printed[0]).startsWith("Unknown connection settings ignored: hosst."));
  ok(String(printed[1]).startsWith("DeprecationWarning: The top-level 'postgresql:' key"));
});

Deno.test("loadConfig, loadConfigFromObject and validateConfig take onWarning", async () => {
  const seen: string[] = [];
  const onWarning = (m: string) => void seen.push(m);
  const dir = await Deno.makeTempDir({ prefix: "pgm-api-" });
  try {
    const path = join(dir, "legacy.yaml");
    await Deno.writeTextFile(path, "postgresql:\n  connection_settings:\n    hosst: x\n");
    const raw = await mod.loadConfig(path, { onWarning });
    mod.validateConfig(raw, { onWarning });
    mod.loadConfigFromObject({ postgresql: {} }, { onWarning });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // The deprecation is given once per handler (Python: once per call site).
  strictEqual(seen.length, 2, seen.join("\n"));
  ok(seen[0].startsWith("DeprecationWarning:"));
  ok(seen[1].startsWith("Unknown connection settings ignored: hosst."));
});
