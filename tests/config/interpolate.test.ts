// Every case of reference/golden/env/probe_env.out (pgmonkey 4.0.0,
// resolve_env_vars), with the same resolved JSON and the same error texts.
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvInterpolationError } from "../../src/errors.ts";
import { type ResolveEnvOptions, resolveEnvVars } from "../../src/config/interpolate.ts";
import { pyJsonDumps } from "../../src/config/hash.ts";

const ENV: Record<string, string> = { PGM_A: "alpha", PGM_EMPTY: "", PGM_PW: "s3cr3t" };
const env = (name: string): string | undefined => Object.hasOwn(ENV, name) ? ENV[name] : undefined;

const dir = mkdtempSync(join(tmpdir(), "pgm-interp-"));
globalThis.addEventListener("unload", () => rmSync(dir, { recursive: true, force: true }));
const secret = join(dir, "secret");
const secret2 = join(dir, "secret2");
writeFileSync(secret, "filepw\n\n");
writeFileSync(secret2, "  spaced\r\n");

/** What probe_env.py prints after the label: `OK <json>` or `EnvInterpolationError: <msg>`. */
function run(cfg: unknown, options: ResolveEnvOptions = {}): string {
  try {
    const r = resolveEnvVars(cfg, { env, ...options });
    return `OK ${pyJsonDumps(r, { sortKeys: false })}`;
  } catch (e) {
    if (e instanceof EnvInterpolationError) return `EnvInterpolationError: ${e.message}`;
    throw e;
  }
}

const CASES: [string, unknown, ResolveEnvOptions, string][] = [
  [
    "01 simple",
    { connection_settings: { host: "${PGM_A}" } },
    {},
    'OK {"connection_settings": {"host": "alpha"}}',
  ],
  [
    "02 default used",
    { connection_settings: { host: "${PGM_UNSET:-localhost}" } },
    {},
    'OK {"connection_settings": {"host": "localhost"}}',
  ],
  [
    "03 default not used",
    { connection_settings: { host: "${PGM_A:-localhost}" } },
    {},
    'OK {"connection_settings": {"host": "alpha"}}',
  ],
  [
    "04 empty env set",
    { connection_settings: { host: "${PGM_EMPTY:-dflt}" } },
    {},
    'OK {"connection_settings": {"host": ""}}',
  ],
  [
    "05 missing",
    { connection_settings: { host: "${PGM_UNSET}" } },
    {},
    "EnvInterpolationError: Environment variable 'PGM_UNSET' is not set and no default was provided (referenced by config key 'connection_settings.host').",
  ],
  [
    "06 sensitive default",
    { connection_settings: { password: "${PGM_UNSET:-devpass}" } },
    {},
    "EnvInterpolationError: Default values are not allowed for sensitive key 'connection_settings.password'. Set the environment variable ${PGM_UNSET} instead.",
  ],
  [
    "07 sensitive default allowed",
    { connection_settings: { password: "${PGM_UNSET:-devpass}" } },
    { allowSensitiveDefaults: true },
    'OK {"connection_settings": {"password": "devpass"}}',
  ],
  [
    "08 sensitive env set w/ default",
    { connection_settings: { password: "${PGM_PW:-devpass}" } },
    {},
    'OK {"connection_settings": {"password": "s3cr3t"}}',
  ],
  [
    "09 substr token",
    { x: { api_token: "${PGM_UNSET:-t}" } },
    {},
    "EnvInterpolationError: Default values are not allowed for sensitive key 'x.api_token'. Set the environment variable ${PGM_UNSET} instead.",
  ],
  [
    "10 substr SECRET upper",
    { x: { MY_SECRET_KEY: "${PGM_UNSET:-t}" } },
    {},
    "EnvInterpolationError: Default values are not allowed for sensitive key 'x.MY_SECRET_KEY'. Set the environment variable ${PGM_UNSET} instead.",
  ],
  [
    "11 multiple",
    { a: "postgres://${PGM_A}:${PGM_UNSET:-5432}/db" },
    {},
    'OK {"a": "postgres://alpha:5432/db"}',
  ],
  ["12 empty default", { a: "${PGM_UNSET:-}" }, {}, 'OK {"a": ""}'],
  ["13 default with colon-dash", { a: "${PGM_UNSET:-a:-b}" }, {}, 'OK {"a": "a:-b"}'],
  ["14 default with brace", { a: "${PGM_UNSET:-a}b}" }, {}, 'OK {"a": "ab}"}'],
  ["15 invalid name", { a: "${1BAD}" }, {}, 'OK {"a": "${1BAD}"}'],
  ["16 dollar no brace", { a: "$PGM_A" }, {}, 'OK {"a": "$PGM_A"}'],
  ["17 escaped $$", { a: "$${PGM_A}" }, {}, 'OK {"a": "$alpha"}'],
  [
    "18 nonstring",
    { a: 5, b: true, c: null, d: 1.5 },
    {},
    'OK {"a": 5, "b": true, "c": null, "d": 1.5}',
  ],
  [
    "19 list",
    { a: ["${PGM_A}", 3, { x: "${PGM_A}" }] },
    {},
    'OK {"a": ["alpha", 3, {"x": "${PGM_A}"}]}',
  ],
  [
    "20 list missing",
    { a: ["ok", "${PGM_UNSET}"] },
    {},
    "EnvInterpolationError: Environment variable 'PGM_UNSET' is not set and no default was provided (referenced by config key 'a[1]').",
  ],
  [
    "21 from_env",
    { connection_settings: { password: { from_env: "PGM_PW" } } },
    {},
    'OK {"connection_settings": {"password": "s3cr3t"}}',
  ],
  [
    "22 from_env missing",
    { connection_settings: { password: { from_env: "PGM_UNSET" } } },
    {},
    "EnvInterpolationError: Environment variable 'PGM_UNSET' is not set (referenced by config key 'connection_settings.password' via from_env).",
  ],
  [
    "23 from_file",
    { connection_settings: { password: { from_file: secret } } },
    {},
    'OK {"connection_settings": {"password": "filepw"}}',
  ],
  [
    "23b from_file crlf",
    { connection_settings: { password: { from_file: secret2 } } },
    {},
    'OK {"connection_settings": {"password": "  spaced"}}',
  ],
  [
    "24 from_file missing",
    { connection_settings: { password: { from_file: "/nonexistent/pw" } } },
    {},
    "EnvInterpolationError: Secret file '/nonexistent/pw' not found (referenced by config key 'connection_settings.password' via from_file).",
  ],
  [
    "25 from_file dir",
    { connection_settings: { password: { from_file: "/tmp" } } },
    {},
    "EnvInterpolationError: Could not read secret file '/tmp' (referenced by config key 'connection_settings.password' via from_file): [Errno 21] Is a directory: '/tmp'",
  ],
  [
    "26 two keys not ref",
    { connection_settings: { password: { from_env: "PGM_PW", x: 1 } } },
    {},
    'OK {"connection_settings": {"password": {"from_env": "PGM_PW", "x": 1}}}',
  ],
  ["27 from_env at top", { password: { from_env: "PGM_PW" } }, {}, 'OK {"password": "s3cr3t"}'],
  [
    "28 nested deep path",
    { a: { b: { c: "${PGM_UNSET}" } } },
    {},
    "EnvInterpolationError: Environment variable 'PGM_UNSET' is not set and no default was provided (referenced by config key 'a.b.c').",
  ],
  [
    "29 sensitive list item",
    { x: { password: ["${PGM_UNSET:-d}"] } },
    {},
    'OK {"x": {"password": ["d"]}}',
  ],
  [
    "30 sslkey default",
    { connection_settings: { sslkey: "${PGM_UNSET:-/k}" } },
    {},
    "EnvInterpolationError: Default values are not allowed for sensitive key 'connection_settings.sslkey'. Set the environment variable ${PGM_UNSET} instead.",
  ],
  [
    "31 Password caps",
    { connection_settings: { Password: "${PGM_UNSET:-d}" } },
    {},
    "EnvInterpolationError: Default values are not allowed for sensitive key 'connection_settings.Password'. Set the environment variable ${PGM_UNSET} instead.",
  ],
  ["32 non-dict input", ["${PGM_A}"], {}, 'OK ["${PGM_A}"]'],
  ["33 from_env value within string", { a: "x${PGM_A}y${PGM_A}" }, {}, 'OK {"a": "xalphayalpha"}'],
  ["34 newline in default", { a: "${PGM_UNSET:-a\nb}" }, {}, 'OK {"a": "${PGM_UNSET:-a\\nb}"}'],
  ["35 from_file in list", { a: [{ from_env: "PGM_A" }] }, {}, 'OK {"a": [{"from_env": "PGM_A"}]}'],
  ["36 int key", { 1: "${PGM_A}" }, {}, 'OK {"1": "alpha"}'],
];

for (const [label, cfg, options, expected] of CASES) {
  Deno.test(`resolveEnvVars: probe case ${label}`, () => {
    strictEqual(run(cfg, options), expected);
  });
}

Deno.test("resolveEnvVars: the input is never mutated", () => {
  const cfg = {
    connection_settings: { host: "${PGM_A}", password: { from_env: "PGM_PW" } },
    l: ["${PGM_A}", { x: 1 }],
  };
  const before = structuredClone(cfg);
  const out = resolveEnvVars(cfg, { env }) as typeof cfg;
  deepStrictEqual(cfg, before);
  ok(out.l[1] !== cfg.l[1], "nested values are copies");
});

Deno.test("resolveEnvVars: other OS errors use Python's text (permission denied)", () => {
  const readFile = (_path: string): string => {
    throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
  };
  throws(
    () =>
      resolveEnvVars({ connection_settings: { password: { from_file: "/root/pw" } } }, {
        readFile,
      }),
    {
      name: "EnvInterpolationError",
      message:
        "Could not read secret file '/root/pw' (referenced by config key 'connection_settings.password' via from_file): [Errno 13] Permission denied: '/root/pw'",
    },
  );
});

Deno.test("resolveEnvVars: from_file keeps trailing spaces and inner newlines, converts a lone CR", () => {
  const readFile = (path: string): string => ({ a: "x \t\n\n", b: "l1\rl2\r\n\n", c: "\n" })[path]!;
  const out = resolveEnvVars({
    a: { from_file: "a" },
    b: { from_file: "b" },
    c: { from_file: "c" },
  }, {
    readFile,
  });
  deepStrictEqual(out, { a: "x \t", b: "l1\nl2", c: "" });
});

Deno.test("resolveEnvVars: a from_file secret that is not UTF-8 is an EnvInterpolationError", () => {
  const bad = join(dir, "latin1");
  writeFileSync(bad, new Uint8Array([0x70, 0xe9, 0x0a]));
  throws(() => resolveEnvVars({ p: { password: { from_file: bad } } }), {
    name: "EnvInterpolationError",
    message:
      `Could not read secret file '${bad}' (referenced by config key 'p.password' via from_file): 'utf-8' codec can't decode byte 0xe9 in position 1: invalid continuation byte`,
  });
});

Deno.test("resolveEnvVars: a UTF-8 BOM in a secret file is kept, as in Python", () => {
  const bom = join(dir, "bom");
  writeFileSync(bom, new Uint8Array([0xef, 0xbb, 0xbf, 0x70, 0x0a]));
  deepStrictEqual(resolveEnvVars({ password: { from_file: bom } }), { password: "\ufeffp" });
});

Deno.test("resolveEnvVars: the default environment is the process environment", () => {
  Deno.env.set("PGM_TEST_DEFAULT_ENV", "from-deno");
  try {
    deepStrictEqual(
      resolveEnvVars({ a: "${PGM_TEST_DEFAULT_ENV}", b: { from_env: "PGM_TEST_DEFAULT_ENV" } }),
      {
        a: "from-deno",
        b: "from-deno",
      },
    );
  } finally {
    Deno.env.delete("PGM_TEST_DEFAULT_ENV");
  }
});

Deno.test("resolveEnvVars: non-string from_env / from_file targets are clear errors", () => {
  throws(() => resolveEnvVars({ a: { from_env: ["X"] } }, { env }), {
    name: "EnvInterpolationError",
    message:
      "Invalid from_env reference for config key 'a': expected an environment variable name, got a list.",
  });
  throws(() => resolveEnvVars({ a: { from_file: null } }, { env }), {
    name: "EnvInterpolationError",
    message: "Invalid from_file reference for config key 'a': expected a file path, got null.",
  });
});

Deno.test("resolveEnvVars: a default containing a carriage return is used (Python's '.' matches \\r)", () => {
  deepStrictEqual(resolveEnvVars({ a: "${PGM_UNSET:-x\ry}" }, { env }), { a: "x\ry" });
});
