import { strictEqual } from "node:assert/strict";
import { cacheKey, configHash, pyJsonDumps } from "../../src/config/hash.ts";

const PROBE = { b: 1, a: { y: [1, 2.5, null, true], x: "é" } };

Deno.test("pyJsonDumps: the probe's JSON line, byte for byte", () => {
  strictEqual(pyJsonDumps(PROBE), '{"a": {"x": "\\u00e9", "y": [1, 2.5, null, true]}, "b": 1}');
});

Deno.test("configHash: the probe's SHA-256", async () => {
  strictEqual(
    await configHash(PROBE),
    "f15f7f2620d9a74080643b6ad4804bcfbd3d8742f46f7f9851316cdfa7081990",
  );
});

Deno.test("cacheKey: hash + ':' + type", async () => {
  strictEqual(
    await cacheKey(PROBE, "pool"),
    "f15f7f2620d9a74080643b6ad4804bcfbd3d8742f46f7f9851316cdfa7081990:pool",
  );
});

Deno.test("pyJsonDumps: Python escapes (ensure_ascii, control characters, surrogate pairs)", () => {
  strictEqual(pyJsonDumps('q"b\\n\n\r\t\b\f\x01\x7f'), '"q\\"b\\\\n\\n\\r\\t\\b\\f\\u0001\\u007f"');
  strictEqual(pyJsonDumps("😀"), '"\\ud83d\\ude00"');
  strictEqual(pyJsonDumps("Zoë €"), '"Zo\\u00eb \\u20ac"');
});

Deno.test("pyJsonDumps: numbers like Python (ints as ints, floats via repr)", () => {
  strictEqual(
    pyJsonDumps([0, -3, 2.5, 0.1, 1e-5, 1.25e-7, NaN, Infinity, -Infinity]),
    "[0, -3, 2.5, 0.1, 1e-05, 1.25e-07, NaN, Infinity, -Infinity]",
  );
  // Documented divergence: JS cannot tell 1.5e16 (a float in Python) from an integer.
  strictEqual(pyJsonDumps([1.0, 1.5e16, 1e21]), "[1, 15000000000000000, 1000000000000000000000]");
});

Deno.test("pyJsonDumps: empty containers, nesting, key order by code point", () => {
  strictEqual(pyJsonDumps({ b: {}, a: [], B: [{}] }), '{"B": [{}], "a": [], "b": {}}');
  strictEqual(pyJsonDumps({ b: 1, a: 2 }, { sortKeys: false }), '{"b": 1, "a": 2}');
});

Deno.test("pyJsonDumps: default=str for Dates and bytes", () => {
  strictEqual(pyJsonDumps(new Date(Date.UTC(2024, 0, 2))), '"2024-01-02"');
  strictEqual(
    pyJsonDumps(new Date(Date.UTC(2024, 0, 2, 10, 0, 0, 500))),
    '"2024-01-02 10:00:00.500000+00:00"',
  );
  strictEqual(pyJsonDumps(new Uint8Array([104, 105])), "\"b'hi'\"");
});
