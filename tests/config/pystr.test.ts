import { strictEqual } from "node:assert/strict";
import { pyFloatRepr, pyRepr, pyReprValue, pyStr } from "../../src/config/pystr.ts";
import { findUtf8Problem } from "../../src/config/utf8.ts";

Deno.test("pyStr: Python str() of YAML values", () => {
  strictEqual(pyStr(true), "True");
  strictEqual(pyStr(false), "False");
  strictEqual(pyStr(null), "None");
  strictEqual(pyStr(30000), "30000");
  strictEqual(pyStr(1.5), "1.5");
  strictEqual(pyStr("x"), "x");
  strictEqual(pyStr(["a", 1, null, { k: true }]), "['a', 1, None, {'k': True}]");
});

Deno.test("pyFloatRepr: shortest digits, Python's switch to exponents", () => {
  const cases: [number, string][] = [
    [2.5, "2.5"],
    [0.1, "0.1"],
    [1e-4, "0.0001"],
    [1e-5, "1e-05"],
    [1.5e-7, "1.5e-07"],
    [123456789.125, "123456789.125"],
    [1e15, "1000000000000000.0"],
    [1e16, "1e+16"],
    [1.5e16, "1.5e+16"],
    [-2.5, "-2.5"],
    [3, "3.0"],
    [0, "0.0"],
    [-0, "-0.0"],
    [NaN, "nan"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
  ];
  for (const [n, s] of cases) strictEqual(pyFloatRepr(n), s, String(n));
});

Deno.test("pyRepr: Python quoting and escapes", () => {
  strictEqual(pyRepr("/tmp"), "'/tmp'");
  strictEqual(pyRepr("it's"), `"it's"`);
  strictEqual(pyRepr(`it's "x"`), `'it\\'s "x"'`);
  strictEqual(pyRepr("a\nb\t\\"), "'a\\nb\\t\\\\'");
  strictEqual(pyRepr("\x00\x7f\x85é"), "'\\x00\\x7f\\x85é'");
  strictEqual(pyReprValue("x"), "'x'");
});

Deno.test("findUtf8Problem: Python's UnicodeDecodeError texts", () => {
  const p = (bytes: number[]) => findUtf8Problem(new Uint8Array(bytes))?.message;
  strictEqual(p([0x61, 0x62]), undefined);
  strictEqual(p([0xc3, 0xa9]), undefined);
  strictEqual(p([0xff]), "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte");
  strictEqual(
    p([0x61, 0xc3, 0x28]),
    "'utf-8' codec can't decode byte 0xc3 in position 1: invalid continuation byte",
  );
  strictEqual(
    p([0xe2, 0x82, 0x28]),
    "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte",
  );
  strictEqual(
    p([0xe2, 0x82]),
    "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data",
  );
  strictEqual(
    p([0xe0, 0x80, 0x80]),
    "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte",
  );
  strictEqual(
    p([0xed, 0xa0, 0x80]),
    "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte",
  );
});
