import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { normalizeConfig, POSTGRESQL_WRAPPER_DEPRECATION } from "../../src/config/normalize.ts";
import {
  emitWarning,
  emitWarningOnce,
  resetWarningsOnce,
  setWarningHandler,
} from "../../src/config/warn.ts";

function capture(fn: () => void): string[] {
  const seen: string[] = [];
  const previous = setWarningHandler((m) => seen.push(m));
  try {
    fn();
  } finally {
    setWarningHandler(previous);
  }
  return seen;
}

Deno.test("normalizeConfig: unwraps the legacy postgresql: key and drops siblings", () => {
  resetWarningsOnce();
  const warnings = capture(() => {
    deepStrictEqual(
      normalizeConfig({
        postgresql: {
          connection_settings: { host: "127.0.0.1", sslmode: "prefer" },
          async_pool_settings: { max_size: 3 },
        },
        other: 1,
      }),
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

Deno.test("normalizeConfig: the deprecation warning is emitted once per process", () => {
  resetWarningsOnce();
  const warnings = capture(() => {
    normalizeConfig({ postgresql: {} });
    normalizeConfig({ postgresql: {} });
  });
  strictEqual(warnings.length, 1);
});

Deno.test("normalizeConfig: anything else is returned unchanged", () => {
  const cfg = { connection_settings: {} };
  const warnings = capture(() => {
    strictEqual(normalizeConfig(cfg), cfg);
    strictEqual(normalizeConfig(null), null);
    deepStrictEqual(normalizeConfig(["postgresql"]), ["postgresql"]);
  });
  deepStrictEqual(warnings, []);
});

Deno.test("setWarningHandler: returns the previous handler; null restores console.warn", () => {
  const seen: string[] = [];
  const original = setWarningHandler((m) => seen.push(m));
  emitWarning("one");
  const mine = setWarningHandler(null);
  mine("two");
  deepStrictEqual(seen, ["one", "two"]);
  const originalWarn = console.warn;
  const printed: unknown[] = [];
  console.warn = (...args: unknown[]) => printed.push(...args);
  try {
    emitWarning("three");
  } finally {
    console.warn = originalWarn;
    setWarningHandler(original);
  }
  deepStrictEqual(printed, ["three"]);
});

Deno.test("emitWarningOnce: keyed by id", () => {
  resetWarningsOnce();
  const warnings = capture(() => {
    strictEqual(emitWarningOnce("a", "x"), true);
    strictEqual(emitWarningOnce("a", "x"), false);
    strictEqual(emitWarningOnce("b", "y"), true);
  });
  deepStrictEqual(warnings, ["x", "y"]);
});
