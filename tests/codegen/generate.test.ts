// `pgconfig generate-code`: what the CLI prints for every type × library ×
// runtime is pinned by golden files (tests/codegen/golden/*.out: stderr then
// stdout, as a terminal shows them — the layout of pgmonkey (Python)'s own
// goldens, with TypeScript programs); the programs type-check (the Node ones
// without Deno's types) and are deno fmt / deno lint clean. That they RUN is
// shown by tests/cli/generate_code.test.ts.
//
// Regenerate the goldens after a deliberate change: UPDATE_GOLDEN=1 deno task test tests/codegen/
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CODEGEN_CONNECTION_TYPES,
  CODEGEN_LIBRARIES,
  CODEGEN_RUNTIMES,
  type CodegenLibrary,
  type CodegenRuntime,
  CONFIG_DETECTED_LINE,
  CONNECTION_DESCRIPTIONS,
  generateCode,
  generatedCodeHeader,
  rewriteImportsForLocalRun,
} from "../../src/codegen/generate.ts";
import type { ConnectionType } from "../../src/config/types.ts";
import { cli, type CliResult, show } from "../cli/_helpers.ts";

const GOLDEN = fileURLToPath(new URL("./golden/", import.meta.url));
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const MOD_URL = new URL("mod.ts", `file://${REPO}`);
const UPDATE = Deno.env.get("UPDATE_GOLDEN") === "1";
const decoder = new TextDecoder();

const PROGRAMS = CODEGEN_LIBRARIES.flatMap((library) =>
  CODEGEN_CONNECTION_TYPES.flatMap((type) =>
    CODEGEN_RUNTIMES.map((runtime) => ({ library, type, runtime }))
  )
);

/** Runs the Deno CLI; returns exit status and combined output. */
async function deno(args: string[], cwd = REPO): Promise<{ success: boolean; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { success: out.success, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/** What a terminal shows for a CLI run: stderr, stdout, and `rc=N` when it failed. */
function transcript(r: CliResult): string {
  return r.stderr + r.stdout + (r.code === 0 ? "" : `rc=${r.code}\n`);
}

/** A CLI run in a temp dir holding the golden config as `cfg.yaml`. */
const work = await Deno.makeTempDir({ prefix: "pgm-codegen-golden-" });
await Deno.copyFile(join(GOLDEN, "cfg.yaml.in"), join(work, "cfg.yaml"));
await Deno.chmod(join(work, "cfg.yaml"), 0o600); // a literal password: owner-only, no warning

async function checkGolden(name: string, args: string[]): Promise<CliResult> {
  const r = await cli(["pgconfig", "generate-code", ...args], { cwd: work });
  const path = join(GOLDEN, name);
  if (UPDATE) await Deno.writeTextFile(path, transcript(r));
  strictEqual(transcript(r), await Deno.readTextFile(path), `${name}\n${show(r)}`);
  return r;
}

Deno.test("goldens: every type × library × runtime, stderr (2 header lines) then the program", async () => {
  await Promise.all(PROGRAMS.map(async ({ library, type, runtime }) => {
    const r = await checkGolden(`gen_${library}_${type}.${runtime}.out`, [
      "--filepath",
      "cfg.yaml",
      "--connection-type",
      type,
      "--library",
      library,
      "--runtime",
      runtime,
    ]);
    strictEqual(r.code, 0);
    strictEqual(r.stderr, `${CONFIG_DETECTED_LINE}\n${generatedCodeHeader(type, library)}\n\n`);
    strictEqual(
      r.stdout,
      generateCode({ configPath: "cfg.yaml", connectionType: type, library, runtime }),
    );
  }));
});

Deno.test("goldens: --resolve-env variants, the default run and a missing file", async () => {
  for (const library of CODEGEN_LIBRARIES) {
    for (const runtime of CODEGEN_RUNTIMES) {
      const r = await checkGolden(`gen_${library}_pool.${runtime}.resolve_env.out`, [
        "--filepath",
        "cfg.yaml",
        "--connection-type",
        "pool",
        "--library",
        library,
        "--runtime",
        runtime,
        "--resolve-env",
      ]);
      const resolving = library === "pgmonkey"
        ? "    resolveEnv: true,\n"
        : runtime === "node"
        ? "const found = process.env[name];"
        : "const found = Deno.env.get(name);";
      ok(r.stdout.includes(resolving), `${library} ${runtime}`);
    }
  }
  // No --connection-type: the file says normal (as pgmonkey (Python)'s gen_default).
  const byDefault = await checkGolden("gen_default.out", ["--filepath", "cfg.yaml"]);
  strictEqual(byDefault.stderr.split("\n")[1], generatedCodeHeader("normal", "pgmonkey"));
  // Upstream prints a FileNotFoundError traceback (golden gen_missing_file); we print one line.
  const missing = await checkGolden("gen_missing_file.out", ["--filepath", "o'brien/cfg.yaml"]);
  strictEqual(missing.code, 1);
  strictEqual(missing.stdout, "");
});

Deno.test("header lines use pgmonkey (Python)'s descriptions", () => {
  // reference/golden/codegen/gen_pgmonkey_*.out, line 2
  deepStrictEqual(
    CODEGEN_CONNECTION_TYPES.map((t) => generatedCodeHeader(t, "pgmonkey")),
    [
      "Generated normal synchronous connection code using pgmonkey:",
      "Generated pooled synchronous connection code using pgmonkey:",
      "Generated asynchronous connection code using pgmonkey:",
      "Generated asynchronous pooled connection code using pgmonkey:",
    ],
  );
  strictEqual(
    generatedCodeHeader("async_pool", "postgres"),
    "Generated asynchronous pooled connection code using postgres.js:",
  );
  strictEqual(CONNECTION_DESCRIPTIONS.pool, "pooled synchronous");
});

Deno.test("programs use the handle API, the config path and the runtime's imports", () => {
  for (const { library, type, runtime } of PROGRAMS) {
    const label = `${library} ${type} ${runtime}`;
    const code = generateCode({ configPath: "c.yaml", connectionType: type, library, runtime });
    ok(code.includes('const configFilePath = "c.yaml";'), label);
    ok(code.endsWith("await main();\n"), label);
    strictEqual(code.includes("Deno."), runtime === "deno" && library === "postgres", label);
    if (library === "pgmonkey") {
      const specifier = runtime === "node" ? "pgmonkey-deno" : "jsr:@pgmonkey/pgmonkey";
      ok(code.includes(`import { PGConnectionManager } from "${specifier}";`), label);
      for (
        const call of [
          `manager.getDatabaseConnection(configFilePath, "${type}");`,
          "db.sql<",
          "db.transaction(async (tx) =>",
          "db.acquire()",
          "conn.release()",
          "manager.clearCache()",
        ]
      ) ok(code.includes(call), `${label}: ${call}`);
    } else {
      ok(
        code.includes(
          `import postgres from "${runtime === "node" ? "postgres" : "npm:postgres@3.4.9"}";`,
        ),
      );
      const session = type === "normal" || type === "pool" ? "sync_settings" : "async_settings";
      ok(code.includes(`config.${session}`), label);
      ok(
        !code.includes(
          session === "sync_settings" ? "config.async_settings" : "config.sync_settings",
        ),
      );
      strictEqual(
        code.includes("max: 1, // one dedicated connection"),
        !type.includes("pool"),
        label,
      );
      ok(code.includes("generated without --resolve-env"), label);
    }
  }
});

Deno.test("the 16 programs and their --resolve-env forms type-check (Node ones without Deno's types)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pgm-codegen-check-" });
  try {
    const files: Record<CodegenRuntime, string[]> = { deno: [], node: [] };
    for (const { library, type, runtime } of PROGRAMS) {
      for (const resolveEnv of [false, true]) {
        const code = generateCode({
          configPath: "cfg.yaml",
          connectionType: type,
          library,
          runtime,
          resolveEnv,
        });
        const path = join(dir, runtime, `${library}_${type}_${resolveEnv}.ts`);
        await Deno.mkdir(join(dir, runtime), { recursive: true });
        await Deno.writeTextFile(
          path,
          runtime === "deno" ? rewriteImportsForLocalRun(code, MOD_URL) : code,
        );
        files[runtime].push(path);
      }
    }
    const imports = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json"))).imports;
    // Node: the npm names as `npm install pgmonkey-deno postgres yaml` gives them; no Deno namespace.
    await Deno.writeTextFile(
      join(dir, "node", "deno.json"),
      JSON.stringify({
        imports: { ...imports, "pgmonkey-deno": MOD_URL.href },
        compilerOptions: { lib: ["esnext", "dom"] },
      }),
    );
    await Deno.writeTextFile(join(dir, "deno", "deno.json"), JSON.stringify({ imports }));
    for (const runtime of CODEGEN_RUNTIMES) {
      const r = await deno(["check", "--no-lock", ...files[runtime]], join(dir, runtime));
      ok(r.success, `${runtime}:\n${r.output}`);
    }
    // And a Deno.* call IS an error under the Node settings (the check is real).
    const bad = join(dir, "node", "bad.ts");
    await Deno.writeTextFile(bad, 'console.log(Deno.env.get("HOME"));\n');
    const r = await deno(["check", "--no-lock", bad], join(dir, "node"));
    ok(!r.success && r.output.includes("Cannot find name 'Deno'"), r.output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("generated programs are deno fmt and deno lint clean (default settings)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pgm-codegen-style-" });
  try {
    for (const { type, library, runtime } of PROGRAMS) {
      for (const resolveEnv of [false, true]) {
        const code = generateCode({
          configPath: "config.yaml",
          connectionType: type,
          library,
          runtime,
          resolveEnv,
        });
        await Deno.writeTextFile(join(dir, `${library}_${type}_${runtime}_${resolveEnv}.ts`), code);
      }
    }
    const fmt = await deno(["fmt", "--check", "--no-config", dir]);
    ok(fmt.success, fmt.output);
    // The jsr: import is unversioned on purpose: the package version is not fixed yet.
    const lint = await deno(["lint", "--no-config", "--rules-exclude=no-unversioned-import", dir]);
    ok(lint.success, lint.output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config paths are written as JSON string literals (quotes, backslashes, non-ASCII)", () => {
  for (const path of ["C:\\pg\\cfg.yaml", 'we"ird.yaml', "ünï/cfg.yaml", "rel/cfg.yaml"]) {
    for (const library of CODEGEN_LIBRARIES) {
      const code = generateCode({ configPath: path, connectionType: "normal", library });
      ok(code.includes(`const configFilePath = ${JSON.stringify(path)};`), `${library} ${path}`);
    }
  }
});

Deno.test("rewriteImportsForLocalRun swaps only the jsr specifier", () => {
  const code = generateCode({ configPath: "c.yaml", connectionType: "async", library: "pgmonkey" });
  const local = rewriteImportsForLocalRun(code, MOD_URL);
  ok(local.includes(`from "${MOD_URL.href}";`));
  ok(!local.includes("jsr:@pgmonkey/pgmonkey"));
  strictEqual(local.replace(MOD_URL.href, "jsr:@pgmonkey/pgmonkey"), code);
  const pg = generateCode({ configPath: "c.yaml", connectionType: "async", library: "postgres" });
  strictEqual(rewriteImportsForLocalRun(pg, "file:///x/mod.ts"), pg);
});

Deno.test("unknown connection types, libraries and runtimes are RangeErrors listing the valid choices", () => {
  throws(
    () =>
      generateCode({
        configPath: "c.yaml",
        connectionType: "bogus" as ConnectionType,
        library: "pgmonkey",
      }),
    {
      name: "RangeError",
      message: "Unsupported connection type: 'bogus'. Valid types: normal, pool, async, async_pool",
    },
  );
  throws(() => generatedCodeHeader("pool", "psycopg" as CodegenLibrary), {
    name: "RangeError",
    message: "Unsupported library: 'psycopg'. Valid libraries: pgmonkey, postgres",
  });
  throws(
    () =>
      generateCode({
        configPath: "c.yaml",
        connectionType: "pool",
        library: "postgres",
        runtime: "bun" as CodegenRuntime,
      }),
    { name: "RangeError", message: "Unsupported runtime: 'bun'. Valid runtimes: deno, node" },
  );
});

Deno.test("teardown: remove the golden work dir", async () => {
  await Deno.remove(work, { recursive: true });
});
