import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { normalizeConfig, POSTGRESQL_WRAPPER_DEPRECATION } from "../../src/config/normalize.ts";
import { printWarning, type WarningHandler, warnOnce } from "../../src/config/warn.ts";

/** Runs `fn` with a fresh warning handler; returns what it received. */
function capture(fn: (onWarning: WarningHandler) => void): string[] {
  const seen: string[] = [];
  fn((m) => void seen.push(m));
  return seen;
}

Deno.test("normalizeConfig: unwraps the legacy postgresql: key and drops siblings", () => {
  const warnings = capture((onWarning) => {
    deepStrictEqual(
      normalizeConfig({
        postgresql: {
          connection_settings: { host: "127.0.0.1", sslmode: "prefer" },
          async_pool_settings: { max_size: 3 },
        },
        other: 1,
      }, onWarning),
      {
        connection_settings: { host: "127.0.0.1", sslmode: "prefer" },
        async_pool_settings: { max_size: 3 },
      },
    );
  });
  deepStrictEqual(warnings, [
    "DeprecationWarning: The top-level 'postgresql:' key in pgmonkey config files is deprecated since v3.0.0 and will be removed in a future version. Remove the 'postgresql:' wrapper and dedent all settings one level. See https://pgmonkey.net/reference.html for the new format.",
  ]);
  strictEqual(warnings[0], `DeprecationWarning: ${POSTGRESQL_WRAPPER_DEPRECATION}`);
});

Deno.test("normalizeConfig: the deprecation warning is given once per handler", () => {
  const warnings = capture((onWarning) => {
    normalizeConfig({ postgresql: {} }, onWarning);
    normalizeConfig({ postgresql: {} }, onWarning);
  });
  strictEqual(warnings.length, 1);
  strictEqual(capture((onWarning) => normalizeConfig({ postgresql: {} }, onWarning)).length, 1);
});

Deno.test("normalizeConfig: anything else is returned unchanged", () => {
  const cfg = { connection_settings: {} };
  const warnings = capture((onWarning) => {
    strictEqual(normalizeConfig(cfg, onWarning), cfg);
    strictEqual(normalizeConfig(null, onWarning), null);
    deepStrictEqual(normalizeConfig(["postgresql"], onWarning), ["postgresql"]);
  });
  deepStrictEqual(warnings, []);
});

Deno.test("printWarning: the default handler prints the message with console.warn", () => {
  const originalWarn = console.warn;
  const printed: unknown[] = [];
  console.warn = (...args: unknown[]) => printed.push(...args);
  try {
    printWarning("three");
  } finally {
    console.warn = originalWarn;
  }
  deepStrictEqual(printed, ["three"]);
});

Deno.test("warnOnce: keyed by handler and id", () => {
  const warnings = capture((onWarning) => {
    strictEqual(warnOnce(onWarning, "a", "x"), true);
    strictEqual(warnOnce(onWarning, "a", "x"), false);
    strictEqual(warnOnce(onWarning, "b", "y"), true);
  });
  deepStrictEqual(warnings, ["x", "y"]);
});
