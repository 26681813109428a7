/**
 * `deno task build:npm [version] [--no-test]`: builds the npm package for
 * Node into `npm/`, packs it as `npm/pgmonkey-deno-<version>.tgz`, and tests
 * that tarball on the oldest Node it supports.
 *
 * dnt cannot be used (JSR is unreachable, DESIGN.md §5); the TypeScript
 * compiler from npm does the work, and the tests of the packed tarball prove
 * the result:
 *
 * 1. tsc compiles the entry points `mod.ts` and `cli_node.ts` (the Node CLI;
 *    `cli.ts` uses `Deno.*`) and emits ESM + `.d.ts` for exactly the modules
 *    they reach; a test, bench or dev-only package among them fails the
 *    build. `rewriteRelativeImportExtensions` turns `./x.ts` into `./x.js`;
 *    the import-map names (`postgres`, `yaml`, `chardet`) already are npm
 *    package names. It type-checks against Node's types only, so a `Deno.*`
 *    global, a `jsr:`/`npm:`/URL import or a JSON import anywhere in the
 *    graph is an error. In memory only, `src/cli/version.ts` (a JSON import
 *    of deno.json) is replaced by a generated module, doc examples import
 *    the npm name, and the repository root has the `{"type": "module"}`
 *    package.json that the package ships.
 * 2. Writes package.json (see `scripts/npm/package_json.ts`: runtime
 *    dependencies with caret ranges, `engines`), README.md and LICENSE, and
 *    `npm pack`s.
 * 3. Unless `--no-test`: installs the tarball into a temp project,
 *    type-checks a TypeScript consumer against the shipped `.d.ts`, and runs
 *    `tests/npm/package.node.mjs` (which also runs the READMEs' Node
 *    examples) with `node --test` on Node {@link NODE_FLOOR} from the npm
 *    registry, against a throwaway PostgreSQL. Ends with
 *    `npm package tests: N passed, M failed`.
 *
 * @module
 */
// Pinned here rather than in deno.json `imports`: only this build script uses it.
// deno-lint-ignore no-import-prefix
import ts from "npm:typescript@5.9.3";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ServerStartError, startThrowawayServer } from "../tests/support/server.ts";
import {
  DEV_ONLY,
  ENTRY_POINTS,
  NODE_FLOOR,
  PACKAGE_NAME,
  packageJson,
  runtimePackages,
  SCHEMA_FILE,
  TYPES_NODE,
} from "./npm/package_json.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "npm");
const ESM = join(OUT, "esm");
const NODE_TEST = join(ROOT, "tests/npm/package.node.mjs");
const VERSION_MODULE = join(ROOT, "src/cli/version.ts");

class BuildError extends Error {}

/** What Ctrl-C / SIGTERM must clean up: running children, the server, the temp dir. */
const children = new Set<Deno.ChildProcess>();
const interrupted: { server?: { stop(): Promise<void> }; work?: string } = {};

async function onSignal(): Promise<void> {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  try {
    if (interrupted.work) Deno.removeSync(interrupted.work, { recursive: true });
  } catch {
    // best effort
  }
  await interrupted.server?.stop();
  Deno.exit(130);
}

// ---------------------------------------------------------------------------
// arguments and deno.json

function parseArgs(args: readonly string[]): { version?: string; test: boolean } {
  let version: string | undefined;
  let test = true;
  for (const a of args) {
    if (a === "--no-test") test = false;
    else if (!a.startsWith("-") && version === undefined) version = a;
    else throw new BuildError(`usage: deno task build:npm [version] [--no-test] (got ${a})`);
  }
  if (
    version !== undefined &&
    !/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(version)
  ) {
    throw new BuildError(`not a semver version: ${version}`);
  }
  return { version, test };
}

interface DenoJson {
  version: string;
  license?: string;
  imports?: Record<string, string>;
}

// ---------------------------------------------------------------------------
// compiling

function versionModule(version: string): string {
  return [
    "/**",
    " * The version `pgmonkey --version` prints: the npm package's version,",
    " * written by `scripts/build_npm.ts` (the Deno build reads deno.json).",
    " *",
    " * @module",
    " */",
    "",
    "/** The version of this package, e.g. `0.1.0`. */",
    `export const VERSION: string = ${JSON.stringify(version)};`,
    "",
  ].join("\n");
}

function nodeOptions(typeRoots: string): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    // Node 22 has ES2023 and Symbol.(async)Dispose; TS lowers `await using`,
    // which Node 22 cannot parse.
    lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
    types: ["node"],
    typeRoots: [typeRoots],
    strict: true,
    skipLibCheck: true,
    forceConsistentCasingInFileNames: true,
    newLine: ts.NewLineKind.LineFeed,
  };
}

function formatDiagnostics(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => "\n",
  });
}

/**
 * Type-checks the graph of {@link ENTRY_POINTS} for Node and emits JS +
 * `.d.ts` into `npm/esm/`; returns the repository files it compiled, none of
 * which may be a test, bench or dev-only package.
 */
function compile(version: string, typeRoots: string): string[] {
  const options: ts.CompilerOptions = {
    ...nodeOptions(typeRoots),
    rewriteRelativeImportExtensions: true,
    isolatedModules: true,
    declaration: true,
    noEmitOnError: true,
    rootDir: ROOT,
    outDir: ESM,
  };
  const host = ts.createCompilerHost(options);
  const rootPackageJson = join(ROOT, "package.json");
  const { readFile: read, fileExists: exists } = host;
  host.fileExists = (f) => f === rootPackageJson || exists.call(host, f);
  host.readFile = (f) => {
    if (f === rootPackageJson) return '{ "type": "module" }';
    if (f === VERSION_MODULE) return versionModule(version);
    const text = read.call(host, f);
    // Doc examples import the JSR name; npm users import the npm name.
    return text === undefined || f.includes("/node_modules/") ? text : text.replace(
      /^(\s*\*.*\bfrom ")@pgmonkey\/pgmonkey(\/cli)?"/gm,
      `$1${PACKAGE_NAME}$2"`,
    );
  };
  const roots = Object.values(ENTRY_POINTS).map((e) => join(ROOT, e));
  const program = ts.createProgram(roots, options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length) {
    throw new BuildError(`the Node build does not type-check:\n${formatDiagnostics(diagnostics)}`);
  }
  // Declaration emit keeps `./x.ts` (TypeScript#61037: fine for tsc, not for
  // other tools); ship `./x.js` there too, like the JS.
  const write: ts.WriteFileCallback = (name, text, bom) =>
    ts.sys.writeFile(
      name,
      name.endsWith(".d.ts")
        ? text.replace(/((?:\bfrom |\bimport\()")(\.\.?\/[^"]*)\.ts"/g, '$1$2.js"')
        : text,
      bom,
    );
  const result = program.emit(undefined, write);
  if (result.emitSkipped || result.diagnostics.length) {
    throw new BuildError(`emit failed:\n${formatDiagnostics(result.diagnostics)}`);
  }
  const files = program.getSourceFiles().map((f) => relative(ROOT, f.fileName));
  const devOnly = [...DEV_ONLY].filter((p) => files.some((f) => f.includes(`node_modules/${p}/`)));
  const sources = files.filter((f) => !f.startsWith("..") && !f.includes("node_modules/"));
  const leaked = sources.filter((f) => /^(tests|bench|docs|scripts)\/|\.test\.ts$/.test(f));
  if (devOnly.length || leaked.length) {
    throw new BuildError(`reachable from an entry point: ${[...devOnly, ...leaked].join(", ")}`);
  }
  return sources;
}

// ---------------------------------------------------------------------------
// package files

async function run(
  cmd: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  children.add(child);
  const timer = options.timeoutMs
    ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs)
    : undefined;
  const result = await child.output().finally(() => children.delete(child));
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return {
    code: result.code,
    stdout: decoder.decode(result.stdout),
    stderr: decoder.decode(result.stderr),
  };
}

async function mustRun(
  cmd: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<string> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    throw new BuildError(
      `${cmd} ${args.join(" ")} failed (exit ${r.code}):\n${r.stdout}${r.stderr}`,
    );
  }
  return r.stdout;
}

/** Packs `npm/` into `npm/<name>-<version>.tgz` (not part of the next pack: see `files`). */
async function pack(): Promise<{ tarball: string; size: number; unpacked: number; files: number }> {
  const out = await mustRun("npm", ["pack", "--json", "--pack-destination", OUT], { cwd: OUT });
  const [info] = JSON.parse(out.slice(out.indexOf("["))) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: unknown[];
  }[];
  return {
    tarball: join(OUT, info.filename),
    size: info.size,
    unpacked: info.unpackedSize,
    files: info.files.length,
  };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

// ---------------------------------------------------------------------------
// testing the package on Node

/** A TypeScript consumer of the shipped `.d.ts`, checked with NodeNext resolution. */
const CONSUMER_TS = `import {
  ConfigError,
  type PGConnection,
  PGConnectionManager,
  type PgMonkeyConfig,
  redactConfig,
  validateConfig,
} from "${PACKAGE_NAME}";
import { main, type Output } from "${PACKAGE_NAME}/cli";

const config: PgMonkeyConfig = validateConfig({ connection_settings: { host: "h", port: "5432" } });
const port: number | undefined = config.connection_settings.port;
const manager = new PGConnectionManager();
const db: PGConnection = await manager.getDatabaseConnection("config.yaml", "pool");
const rows = await db.transaction(async (tx) => await tx\`SELECT 1 AS one\`);
const n: number = rows.length;
const io: Output = { stdout: (t: string) => void t, stderr: (t: string) => void t };
const status: number = await main(["--version"], io);
console.log(port, n, status, redactConfig({ password: "x" }), new ConfigError("x") instanceof Error);
await manager.clearCache();
`;

/** Type-checks {@link CONSUMER_TS} in the project where the tarball is installed. */
async function checkConsumerTypes(projectDir: string, typeRoots: string): Promise<void> {
  const path = join(projectDir, "consumer.ts");
  await writeFile(path, CONSUMER_TS);
  // Our .d.ts are checked too; the dependencies' own are theirs.
  const options = { ...nodeOptions(typeRoots), noEmit: true, skipLibCheck: false };
  const program = ts.createProgram([path], options);
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) =>
    !d.file || !d.file.fileName.includes("/node_modules/") ||
    d.file.fileName.includes(`/node_modules/${PACKAGE_NAME}/`)
  );
  if (diagnostics.length) {
    throw new BuildError(
      `a TypeScript consumer does not type-check against the package:\n` +
        formatDiagnostics(diagnostics),
    );
  }
}

/** The path of a Node {@link NODE_FLOOR} binary, fetched from the npm registry by npx. */
async function floorNode(work: string): Promise<{ path: string; version: string }> {
  const out = await mustRun(
    "npx",
    ["-y", `node@${NODE_FLOOR}`, "-p", "process.execPath + ' ' + process.version"],
    { cwd: work },
  );
  const [path, version] = out.trim().split("\n").pop()!.split(" ");
  if (!version?.startsWith(`v${NODE_FLOOR}.`)) {
    throw new BuildError(`npx node@${NODE_FLOOR} gave Node ${version} (${path})`);
  }
  return { path, version };
}

interface NodeTestResult {
  passed: number;
  failed: number;
  output: string;
}

async function testOnNode(
  tarball: string,
  version: string,
  node: { path: string },
  work: string,
  typeRoots: string,
): Promise<NodeTestResult> {
  const project = join(work, "project");
  await mkdir(project, { recursive: true });
  await writeFile(
    join(project, "package.json"),
    JSON.stringify({ name: "pgmonkey-npm-smoke", private: true, type: "module" }, null, 2) + "\n",
  );
  await mustRun("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], {
    cwd: project,
  });
  await checkConsumerTypes(project, typeRoots);
  console.log("npm: a TypeScript consumer type-checks against the shipped .d.ts");
  await copyFile(NODE_TEST, join(project, "package.node.mjs"));
  // The repository README's Node examples run there too (the npm README ships in the package).
  await copyFile(join(ROOT, "README.md"), join(project, "repository-README.md"));

  const server = await startThrowawayServer();
  interrupted.server = server;
  try {
    const r = await run(node.path, ["--test", "--test-reporter=spec", "package.node.mjs"], {
      cwd: project,
      timeoutMs: 300_000,
      env: {
        // The bin's `#!/usr/bin/env node` and child scripts run on this Node too.
        PATH: `${dirname(node.path)}:${Deno.env.get("PATH") ?? ""}`,
        PGMONKEY_NPM_PACKAGE: PACKAGE_NAME,
        PGMONKEY_NPM_VERSION: version,
        PGMONKEY_NPM_NODE_MAJOR: String(NODE_FLOOR),
        PGMONKEY_NPM_READMES: `node_modules/${PACKAGE_NAME}/README.md:repository-README.md`,
        PGMONKEY_TEST_HOST: server.host,
        PGMONKEY_TEST_PORT: String(server.port),
        PGMONKEY_TEST_USER: server.user,
        PGMONKEY_TEST_PASSWORD: server.password,
        PGMONKEY_TEST_CERTDIR: server.certDir,
        NO_COLOR: "1",
      },
    });
    // deno-lint-ignore no-control-regex
    const output = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, "");
    const count = (what: string) => Number(new RegExp(`^. ${what} (\\d+)$`, "m").exec(output)?.[1]);
    let passed = count("pass");
    let failed = count("fail");
    if (!Number.isFinite(passed)) passed = 0;
    if (!Number.isFinite(failed) || (r.code !== 0 && failed === 0)) {
      failed = Math.max(1, failed || 0);
    }
    return { passed, failed, output };
  } finally {
    interrupted.server = undefined;
    await server.stop();
  }
}

// ---------------------------------------------------------------------------

async function build(args: readonly string[]): Promise<number> {
  const { version: requested, test } = parseArgs(args);
  const denoJson = JSON.parse(await readFile(join(ROOT, "deno.json"), "utf8")) as DenoJson;
  const version = requested ?? denoJson.version;
  let packages: Map<string, string>;
  try {
    packages = runtimePackages(denoJson.imports ?? {});
  } catch (e) {
    throw new BuildError((e as Error).message);
  }
  const work = await mkdtemp(join(tmpdir(), "pgmonkey-npm-"));
  interrupted.work = work;
  try {
    // Node's types, the only global types the build sees.
    const typesProject = join(work, "types");
    await mkdir(typesProject);
    await writeFile(join(typesProject, "package.json"), '{ "private": true }\n');
    await mustRun("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--loglevel=error",
      `@types/node@${TYPES_NODE}`,
    ], { cwd: typesProject });
    const typeRoots = join(typesProject, "node_modules/@types");

    // 1. compile
    await rm(OUT, { recursive: true, force: true });
    const sources = compile(version, typeRoots);
    console.log(
      `npm: compiled ${sources.length} modules with TypeScript ${ts.version} for ` +
        `Node >= ${NODE_FLOOR}; dependencies: ` +
        [...packages].map(([n, v]) => `${n}@${v}`).join(", "),
    );

    // 2. package files
    const pkg = packageJson(version, denoJson.license ?? "MIT", packages);
    await writeFile(join(OUT, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
    const readme = (await readFile(join(ROOT, "scripts/npm/README.md"), "utf8"))
      .replaceAll("{{name}}", PACKAGE_NAME).replaceAll("{{version}}", version)
      .replaceAll("{{node}}", String(NODE_FLOOR));
    await writeFile(join(OUT, "README.md"), readme);
    await copyFile(join(ROOT, "LICENSE"), join(OUT, "LICENSE"));
    await mkdir(dirname(join(OUT, SCHEMA_FILE)), { recursive: true });
    await copyFile(join(ROOT, SCHEMA_FILE), join(OUT, SCHEMA_FILE));

    const packed = await pack();
    console.log(
      `npm: built ${relative(ROOT, OUT)}/ and packed ${relative(ROOT, packed.tarball)}: ` +
        `${kib(packed.size)} packed, ${kib(packed.unpacked)} unpacked, ${packed.files} files`,
    );
    if (!test) return 0;

    // 3. test on Node
    const node = await floorNode(work);
    const result = await testOnNode(packed.tarball, version, node, work, typeRoots);
    console.log(result.output.trimEnd());
    console.log(
      `npm: tested the installed tarball on Node ${node.version} against a throwaway PostgreSQL`,
    );
    console.log(`npm package tests: ${result.passed} passed, ${result.failed} failed`);
    return result.failed === 0 && result.passed > 0 ? 0 : 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => void onSignal());
  }
  let code: number;
  try {
    code = await build(Deno.args);
  } catch (e) {
    if (!(e instanceof BuildError || e instanceof ServerStartError)) throw e;
    console.error(`build:npm: ${e.message}`);
    code = 1;
  }
  Deno.exit(code);
}
