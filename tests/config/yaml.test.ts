// Parity of parseYaml with PyYAML 6.0 `yaml.safe_load` (every expected value
// below was produced by PyYAML 6.0.3; timestamps are shown as Python str()).
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { ConfigError } from "../../src/errors.ts";
import { parseYaml } from "../../src/config/yaml.ts";

/** Parses `a: <scalar>` and returns the value of `a`. */
function scalar(text: string): unknown {
  const doc = parseYaml(`a: ${text}\n`) as Record<string, unknown>;
  return doc.a;
}

const SCALARS: [string, unknown][] = [
  // booleans: lower, Capitalized, UPPER only
  ["yes", true],
  ["Yes", true],
  ["YES", true],
  ["no", false],
  ["No", false],
  ["NO", false],
  ["true", true],
  ["True", true],
  ["TRUE", true],
  ["false", false],
  ["False", false],
  ["FALSE", false],
  ["on", true],
  ["On", true],
  ["ON", true],
  ["off", false],
  ["Off", false],
  ["OFF", false],
  ["yEs", "yEs"],
  ["tRUE", "tRUE"],
  // y / n stay strings
  ["y", "y"],
  ["Y", "Y"],
  ["n", "n"],
  ["N", "N"],
  // integers
  ["0777", 511],
  ["0o17", "0o17"],
  ["09", "09"],
  ["0b101", 5],
  ["-0b101", -5],
  ["0x1F", 31],
  ["0x_1f", 31],
  ["1_000", 1000],
  ["1:30", 90],
  ["-1:30", -90],
  ["190:20:30", 685230],
  ["1:60", "1:60"],
  ["0:30", "0:30"],
  ["-0", 0],
  ["+12", 12],
  ["0_", 0],
  ["1__2", 12],
  ["_1", "_1"],
  ["0b", "0b"],
  ["0x", "0x"],
  // floats need a '.' and, with an exponent, a sign
  ["1e3", "1e3"],
  ["1.5e3", "1.5e3"],
  ["1e+3", "1e+3"],
  ["1e-7", "1e-7"],
  ["1.5e+3", 1500],
  ["1.5E-3", 0.0015],
  ["1.0e-7", 1e-7],
  ["6.8523015e+5", 685230.15],
  ["685.230_15e+03", 685230.15],
  ["1_0.5_0", 10.5],
  ["3.14", 3.14],
  ["1.", 1],
  [".5", 0.5],
  ["+.5", "+.5"],
  ["-.5", "-.5"],
  ["1:30.5", 90.5],
  [".inf", Infinity],
  ["-.Inf", -Infinity],
  ["+.INF", Infinity],
  [".", "."],
  ["+", "+"],
  // null
  ["~", null],
  ["null", null],
  ["Null", null],
  ["NULL", null],
  ["nULL", "nULL"],
  ["", null],
  // quoted scalars are always strings
  ["'yes'", "yes"],
  ['"0777"', "0777"],
  ["''", ""],
  ["'it''s'", "it's"],
  // explicit tags
  ["!!str 0777", "0777"],
  ["!!int '0777'", 511],
  ["!!float '1'", 1],
  ["!!bool 'yEs'", true],
  ["!!null 'x'", null],
  // timestamps: kept as Python str() of the date/datetime PyYAML builds
  ["2024-01-02", "2024-01-02"],
  ["2024-1-2", "2024-1-2"],
  ["2024-02-29", "2024-02-29"],
  ["2024-01-02 10:00:00", "2024-01-02 10:00:00"],
  ["2024-01-02 1:02:03", "2024-01-02 01:02:03"],
  ["2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.100000-05:00"],
  ["2001-12-14 21:59:43.10 -5", "2001-12-14 21:59:43.100000-05:00"],
  ["2001-12-15T02:59:43.1Z", "2001-12-15 02:59:43.100000+00:00"],
  ["2024-01-02T10:00:00+01:30", "2024-01-02 10:00:00+01:30"],
  ["2024-01-02 10:00:00.123456789", "2024-01-02 10:00:00.123456"],
];

for (const [text, expected] of SCALARS) {
  Deno.test(`parseYaml: plain scalar ${JSON.stringify(text)} is ${String(expected)}`, () => {
    strictEqual(scalar(text), expected);
  });
}

Deno.test("parseYaml: .nan is NaN", () => {
  ok(Number.isNaN(scalar(".nan")));
  ok(Number.isNaN(scalar(".NaN")));
});

Deno.test("parseYaml: y/n stay strings in lists and as keys too", () => {
  deepStrictEqual(parseYaml("b: [y, n, yes]\ny: 1\nn: 2\n"), { b: ["y", "n", true], y: 1, n: 2 });
});

Deno.test("parseYaml: an empty document is null", () => {
  strictEqual(parseYaml(""), null);
  strictEqual(parseYaml("# only a comment\n"), null);
  strictEqual(parseYaml("---\n"), null);
  strictEqual(parseYaml("\n\n   \n"), null);
});

Deno.test("parseYaml: top-level scalars and lists are returned as they are", () => {
  strictEqual(parseYaml("hello"), "hello");
  strictEqual(parseYaml("123"), 123);
  deepStrictEqual(parseYaml("[1, 2]"), [1, 2]);
  deepStrictEqual(parseYaml("- a\n- b: c\n"), ["a", { b: "c" }]);
});

Deno.test("parseYaml: duplicate keys keep the last value (PyYAML)", () => {
  deepStrictEqual(parseYaml("a: 1\nb: 2\na: 3\n"), { a: 3, b: 2 });
});

Deno.test("parseYaml: merge keys, explicit keys win", () => {
  deepStrictEqual(parseYaml("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n"), {
    base: { x: 1, y: 2 },
    c: { x: 1, y: 3 },
  });
  deepStrictEqual(parseYaml("base: &b {x: 1, y: 2}\nc:\n  y: 3\n  <<: *b\n"), {
    base: { x: 1, y: 2 },
    c: { x: 1, y: 3 },
  });
});

Deno.test("parseYaml: anchors and aliases", () => {
  deepStrictEqual(parseYaml("a: &x 1\nb: *x\n"), { a: 1, b: 1 });
});

Deno.test("parseYaml: a document end marker and a BOM are fine", () => {
  deepStrictEqual(parseYaml("a: 1\n...\n"), { a: 1 });
  deepStrictEqual(parseYaml("\ufeffa: 1\n"), { a: 1 });
});

Deno.test("parseYaml: a %YAML 1.2 directive still parses with PyYAML's 1.1 rules", () => {
  deepStrictEqual(parseYaml("%YAML 1.2\n---\na: yes\nb: y\n"), { a: true, b: "y" });
});

Deno.test("parseYaml: non-string keys become strings", () => {
  deepStrictEqual(parseYaml("1: a\nyes: b\n"), { "1": "a", "true": "b" });
});

Deno.test("parseYaml: !!binary gives bytes", () => {
  const doc = parseYaml("a: !!binary aGVsbG8=\n") as { a: Uint8Array };
  deepStrictEqual([...doc.a], [...new TextEncoder().encode("hello")]);
});

const ERRORS: [string, string, string][] = [
  [
    "unclosed double quote",
    'a: "abc\nb: 2\n',
    'x.yaml: invalid YAML at line 3, column 1: missing closing "quote',
  ],
  [
    "unclosed single quote",
    "a: 'abc\n",
    "x.yaml: invalid YAML at line 2, column 1: missing closing 'quote",
  ],
  [
    "tab indentation",
    "a:\n\tb: 1\n",
    "x.yaml: invalid YAML at line 2, column 1: tabs are not allowed as indentation",
  ],
  [
    "bad indentation",
    "a: 1\n  b: 2\n",
    "x.yaml: invalid YAML at line 1, column 4: nested mappings are not allowed in compact mappings",
  ],
  [
    "several documents",
    "a: 1\n---\nb: 2\n",
    "x.yaml: invalid YAML at line 2, column 1: expected a single document but found another document",
  ],
  ["unknown tag", "a: !foo x\n", "x.yaml: invalid YAML at line 1, column 4: unresolved tag: !foo"],
  [
    "python tag",
    "a: !!python/tuple [1]\n",
    "x.yaml: invalid YAML at line 1, column 4: unresolved tag: tag:yaml.org,2002:python/tuple",
  ],
  [
    "unhashable key",
    "? [1]\n: x\n",
    "x.yaml: invalid YAML at line 1, column 3: found unhashable key",
  ],
  [
    "a bare = (PyYAML's value tag)",
    "a: =\n",
    "x.yaml: invalid YAML at line 1, column 4: could not determine a constructor for the tag 'tag:yaml.org,2002:value'",
  ],
  [
    "impossible date",
    "a: 2023-02-29\n",
    "x.yaml: invalid YAML at line 1, column 4: day is out of range for month",
  ],
  [
    "year zero",
    "a: 0000-01-01\n",
    "x.yaml: invalid YAML at line 1, column 4: year 0 is out of range",
  ],
  [
    "hour 25",
    "a: 2024-01-02 25:00:00\n",
    "x.yaml: invalid YAML at line 1, column 4: hour must be in 0..23",
  ],
  [
    "unclosed flow mapping",
    "{a: 1",
    "x.yaml: invalid YAML at line 1, column 6: flow map must end with a }",
  ],
  [
    "reserved indicator",
    "a: @x\n",
    "x.yaml: invalid YAML at line 1, column 4: plain value cannot start with reserved character @",
  ],
];

for (const [name, text, message] of ERRORS) {
  Deno.test(`parseYaml: ${name} is a one-line ConfigError naming file, line and column`, () => {
    throws(() => parseYaml(text, "x.yaml"), (e: unknown) => {
      ok(e instanceof ConfigError);
      strictEqual(e.message, message);
      strictEqual(e.file, "x.yaml");
      ok(!e.message.includes("\n"));
      return true;
    });
  });
}

Deno.test("parseYaml: without a file name the message starts with 'invalid YAML'", () => {
  throws(() => parseYaml("a: 'x\n"), {
    name: "ConfigError",
    message: "invalid YAML at line 2, column 1: missing closing 'quote",
  });
});

Deno.test("parseYaml: an undefined alias is an error", () => {
  throws(() => parseYaml("a: *nope\n", "x.yaml"), (e: unknown) => {
    ok(e instanceof ConfigError);
    ok(e.message.startsWith("x.yaml: invalid YAML"));
    ok(e.message.includes("nope"));
    return true;
  });
});

Deno.test("parseYaml: an error inside a password value does not echo the value", () => {
  throws(
    () => parseYaml('connection_settings:\n  password: "hunter2\n', "x.yaml"),
    (e: unknown) => {
      ok(e instanceof ConfigError);
      ok(!e.message.includes("hunter2"));
      return true;
    },
  );
});
