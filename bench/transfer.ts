/**
 * Transfer benchmark (issues 5 and 12): pgimport and pgexport against
 * `psql \copy` on the same server, and the CLI cold start against `psql`, in
 * one run.
 *
 * For each size (default 300,000 rows / 29 MB and 2,000,000 rows / 200 MB;
 * integer, text, e-mail, decimal, quoted text with commas and quotes,
 * timestamp) a CSV is generated into a temp dir. Each round runs, ours and
 * psql's in alternating order, `pgmonkey pgimport` vs
 * `psql -c "\copy … from …"` into a new table, for 1M rows or more also
 * `pgmonkey pgimport --jobs N` vs psql again, and `pgmonkey pgexport` vs
 * `psql -c "\copy … to …"`; every command is a child process under
 * `/usr/bin/time -v` for its peak RSS, timed over the whole process (start-up
 * included, on both sides). Then `pgmonkey pgconfig test` vs
 * `psql -c 'select 1'`.
 *
 * ```sh
 * deno run -A bench/transfer.ts                  # own throwaway server; writes docs/BENCHMARKS.md
 * deno run -A bench/transfer.ts --sizes 300000 --rounds 2 --jobs 2 --start-rounds 0 --no-write
 * ```
 *
 * `bench/run.ts` (`deno task bench`) calls {@link runTransferBench} with its
 * server; both write the table into the transfer section of
 * docs/BENCHMARKS.md with {@link writeTransferSection}.
 *
 * @module
 */
import postgres from "postgres";
import { open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startThrowawayServerOrExit } from "../tests/support/server.ts";
import type { ServerInfo } from "../tests/support/server.ts";

const REPO = new URL("..", import.meta.url).pathname;
const CLI = join(REPO, "cli.ts");

/** Options of {@link runTransferBench}. */
export interface TransferBenchOptions {
  /** Row counts of the generated files (default 300,000 and 2,000,000). */
  sizes?: number[];
  /** Rounds per size of 1M rows or more (default 3); smaller files get 2 × rounds + 1. */
  rounds?: number;
  /** COPY streams of the parallel import row (default 2, one per core here). */
  jobs?: number;
  /** Rounds of the CLI cold start row (default 11; 0 skips it). */
  startRounds?: number;
  /** Progress lines (default: console.log). */
  log?: (line: string) => void;
}

interface Timed {
  seconds: number;
  rssMb: number;
  stdout: string;
  stderr: string;
}

/** Runs a command under `/usr/bin/time -v`; wall time and peak RSS of the command. */
async function timed(cmd: string, args: string[], env: Record<string, string>, cwd: string) {
  const t0 = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-v", cmd, ...args],
    env,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}):\n${stdout}${stderr}`);
  }
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return { seconds, rssMb: m ? Number(m[1]) / 1024 : NaN, stdout, stderr } satisfies Timed;
}

/** Writes the benchmark CSV (streamed, constant memory); returns its size in bytes. */
async function generateCsv(path: string, rows: number): Promise<number> {
  const fh = await open(path, "w");
  const enc = new TextEncoder();
  try {
    let parts: string[] = ["id,name,email,amount,note,created_at\n"];
    let size = 0;
    const flush = async () => {
      const bytes = enc.encode(parts.join(""));
      size += bytes.length;
      await fh.write(bytes);
      parts = [];
    };
    for (let i = 1; i <= rows; i++) {
      const amount = ((i * 7919) % 1000000) / 100;
      const day = String(1 + (i % 28)).padStart(2, "0");
      const note = i % 10 === 0
        ? `"says ""hi"", row ${i}"`
        : i % 3 === 0
        ? `"note ${i}, with a comma"`
        : `plain note number ${i}`;
      parts.push(
        `${i},customer ${
          i % 50000
        },user${i}@example.com,${amount},${note},2024-03-${day} 12:34:56\n`,
      );
      if (parts.length === 10000) await flush();
    }
    await flush();
    return size;
  } finally {
    await fh.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Python-style import settings for the generated file (so the run does not stop to create them). */
const IMPORT_SETTINGS = "auto_create_table: true\ndelimiter: ','\nencoding: utf-8\n" +
  "enforce_lowercase: true\nhas_headers: true\nquotechar: '\"'\n";
const EXPORT_SETTINGS = "delimiter: ','\nencoding: utf-8\nquotechar: '\"'\n";
const COLUMNS = "id text, name text, email text, amount text, note text, created_at text";

/** One measured row: our runs and the anchor's, paired by round. */
interface Pair {
  label: string;
  rows: number;
  bytes: number;
  ours: Timed[];
  anchor: Timed[];
  /** Minimum ratio anchor time / our time. */
  target: number;
}

/** Median ratio (anchor time / our time, per round) and its range. */
function ratios(p: Pair): { median: number; min: number; max: number } {
  const r = p.ours.map((o, i) => p.anchor[i].seconds / o.seconds);
  return { median: median(r), min: Math.min(...r), max: Math.max(...r) };
}

/** Peak RSS over rounds, MB. */
const peakRss = (ts: Timed[]) => Math.max(...ts.map((t) => t.rssMb));

/** Our peak RSS target, MB. */
const RSS_TARGET_MB = 64;

function pairLine(p: Pair): string {
  const r = ratios(p);
  const o = median(p.ours.map((t) => t.seconds));
  const a = median(p.anchor.map((t) => t.seconds));
  const rss = peakRss(p.ours);
  const status = `${r.median >= p.target ? "OK" : "BELOW"} time, ${
    rss <= RSS_TARGET_MB ? "OK" : "BELOW"
  } RSS`;
  return `| ${p.label} | ${fmt(p.rows)} / ${fmt(p.bytes / 1e6, 1)} MB | ${o.toFixed(3)} s (${
    fmt(p.rows / o)
  } rows/s) | ${a.toFixed(3)} s | ${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${
    r.max.toFixed(2)
  }) | ≥ ${p.target.toFixed(2)}×, ≤ ${RSS_TARGET_MB} MB | ${fmt(rss)} MB (psql ${
    fmt(peakRss(p.anchor))
  }) | ${status} |`;
}

/**
 * Runs the transfer benchmark on `server` and returns its markdown table:
 * per file size, `pgmonkey pgimport` (one stream and `--jobs N`) against
 * `psql \copy … from`, `pgmonkey pgexport` against `psql \copy … to`, and
 * the CLI cold start (`pgconfig test` against `psql -c 'select 1'`), ours
 * and psql interleaved in every round (the order alternates). Times are wall
 * time of the whole process; ratio = psql's time / ours (higher is better).
 */
export async function runTransferBench(
  server: ServerInfo,
  options: TransferBenchOptions = {},
): Promise<{ markdown: string }> {
  const sizes = options.sizes ?? [300_000, 2_000_000];
  const bigRounds = options.rounds ?? 3;
  const jobs = options.jobs ?? 2;
  const startRounds = options.startRounds ?? 11;
  const log = options.log ?? ((line: string) => console.log(line));
  const dir = await Deno.makeTempDir({ dir: tmpdir(), prefix: "pgmonkey-transfer-bench-" });
  const dbname = `bench_transfer_${crypto.randomUUID().slice(0, 8)}`;
  const connect = (database: string) =>
    postgres({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database,
      onnotice: () => {},
    });
  const root = connect("postgres");
  await root.unsafe(`CREATE DATABASE ${dbname}`);
  await root.end();
  const admin = connect(dbname);
  const env = {
    PGHOST: server.host,
    PGPORT: String(server.port),
    PGUSER: server.user,
    PGPASSWORD: server.password,
    PGDATABASE: dbname,
    NO_COLOR: "1",
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
  };
  const deno = Deno.execPath();
  const cli = (...args: string[]) => ["run", "-A", CLI, ...args, "--connconfig", "conn.yaml"];
  const pairs: Pair[] = [];
  try {
    await writeFile(
      join(dir, "conn.yaml"),
      JSON.stringify({
        connection_type: "normal",
        connection_settings: {
          host: server.host,
          port: server.port,
          user: server.user,
          password: server.password,
          dbname,
          sslmode: "disable",
        },
      }),
    );
    // Fill Deno's module cache once, so that no round pays for type checking.
    await timed(deno, cli("pgconfig", "test"), env, dir);
    for (const rows of sizes) {
      const name = `data_${rows}`;
      const csv = join(dir, `${name}.csv`);
      log(`transfer: generating ${fmt(rows)} rows…`);
      const bytes = await generateCsv(csv, rows);
      await writeFile(join(dir, `${name}.yaml`), IMPORT_SETTINGS);
      const rounds = rows >= 1_000_000 ? bigRounds : 2 * bigRounds + 1;
      const importOurs = async (table: string, extra: string[] = []) => {
        const r = await timed(
          deno,
          cli("pgimport", "--import_file", csv, "--table", table, ...extra),
          env,
          dir,
        );
        if (!r.stdout.includes(`Rows imported: ${rows}\n`)) {
          throw new Error(`pgimport:\n${r.stdout}`);
        }
        return r;
      };
      const importPsql = async (table: string) => {
        await admin.unsafe(`CREATE TABLE ${table} (${COLUMNS})`);
        return await timed(
          "psql",
          psqlCommand(`\\copy ${table} from '${csv}' with (format csv, header)`),
          env,
          dir,
        );
      };
      const source = `src_${rows}`;
      const exportOurs = async (file: string) => {
        await writeFile(join(dir, file.replace(/\.csv$/, ".yaml")), EXPORT_SETTINGS);
        return await timed(
          deno,
          cli("pgexport", "--table", source, "--export_file", file),
          env,
          dir,
        );
      };
      const exportPsql = async (file: string) =>
        await timed(
          "psql",
          psqlCommand(`\\copy ${source} to '${join(dir, file)}' with (format csv, header)`),
          env,
          dir,
        );
      await importPsql(source);
      await admin.unsafe(`VACUUM ANALYZE ${source}`);
      const size = `${fmt(rows)} rows`;
      const imp: Pair = {
        label: `pgimport (one stream) / \`psql \\copy from\``,
        rows,
        bytes,
        ours: [],
        anchor: [],
        target: 0.9,
      };
      const par: Pair = {
        label: `pgimport \`--jobs ${jobs}\` / \`psql \\copy from\``,
        rows,
        bytes,
        ours: [],
        anchor: [],
        target: 1.3,
      };
      const exp: Pair = {
        label: `pgexport / \`psql \\copy to\``,
        rows,
        bytes,
        ours: [],
        anchor: [],
        target: 0.9,
      };
      const parallel = rows >= 1_000_000;
      for (let round = 1; round <= rounds; round++) {
        const oursFirst = round % 2 === 1;
        const step = async <T>(ours: () => Promise<T>, anchor: () => Promise<T>) => {
          if (oursFirst) return [await ours(), await anchor()] as const;
          const a = await anchor();
          return [await ours(), a] as const;
        };
        const settle = async (...tables: string[]) => {
          for (const t of tables) await admin.unsafe(`DROP TABLE IF EXISTS ${t}`);
          await admin.unsafe("CHECKPOINT");
        };
        const [io, ia] = await step(
          async () => {
            await settle();
            const r = await importOurs("t_ours");
            await settle("t_ours");
            return r;
          },
          async () => {
            await settle();
            const r = await importPsql("t_psql");
            await settle("t_psql");
            return r;
          },
        );
        imp.ours.push(io);
        imp.anchor.push(ia);
        if (parallel) {
          const [po, pa] = await step(
            async () => {
              const r = await importOurs("t_par", ["--jobs", String(jobs)]);
              await settle("t_par");
              return r;
            },
            async () => {
              const r = await importPsql("t_psql");
              await settle("t_psql");
              return r;
            },
          );
          par.ours.push(po);
          par.anchor.push(pa);
        }
        const [eo, ea] = await step(
          async () => {
            const r = await exportOurs("out_ours.csv");
            await rm(join(dir, "out_ours.csv"));
            return r;
          },
          async () => {
            const r = await exportPsql("out_psql.csv");
            await rm(join(dir, "out_psql.csv"));
            return r;
          },
        );
        exp.ours.push(eo);
        exp.anchor.push(ea);
        log(
          `transfer ${size} round ${round}: import ${io.seconds.toFixed(2)} vs psql ` +
            `${ia.seconds.toFixed(2)} s${
              parallel
                ? `; --jobs ${jobs} ${par.ours.at(-1)!.seconds.toFixed(2)} vs ` +
                  `${par.anchor.at(-1)!.seconds.toFixed(2)} s`
                : ""
            }; export ${eo.seconds.toFixed(2)} vs ${ea.seconds.toFixed(2)} s`,
        );
      }
      pairs.push(imp, ...(parallel ? [par] : []), exp);
      await admin.unsafe(`DROP TABLE ${source}`);
      await rm(csv);
    }
    let startLine: string | undefined;
    if (startRounds > 0) {
      const ours: Timed[] = [];
      const anchor: Timed[] = [];
      log(`CLI cold start: ${startRounds} rounds of pgconfig test vs psql -c 'select 1'`);
      for (let round = 0; round < startRounds; round++) {
        const o = () => timed(deno, cli("pgconfig", "test"), env, dir);
        const a = () => timed("psql", ["-X", "-q", "-c", "select 1"], env, dir);
        if (round % 2 === 0) {
          ours.push(await o());
          anchor.push(await a());
        } else {
          anchor.push(await a());
          ours.push(await o());
        }
      }
      const o = median(ours.map((t) => t.seconds * 1000));
      const a = median(anchor.map((t) => t.seconds * 1000));
      const spread = (ts: Timed[]) =>
        `${fmt(Math.min(...ts.map((t) => t.seconds * 1000)))}–${
          fmt(Math.max(...ts.map((t) => t.seconds * 1000)))
        }`;
      startLine =
        `| CLI cold start: \`deno run -A cli.ts pgconfig test\` / \`psql -c 'select 1'\` ` +
        `| — | ${fmt(o)} ms (${spread(ours)}) | ${fmt(a)} ms (${spread(anchor)}) | ` +
        `${(o / a).toFixed(1)}× psql's time | ≤ 80 ms | ${fmt(peakRss(ours))} MB (psql ${
          fmt(peakRss(anchor))
        }) | ${o <= 80 ? "OK" : "BELOW"} time, ${
          peakRss(ours) <= RSS_TARGET_MB ? "OK" : "BELOW"
        } RSS |`;
    }
    const markdown = [
      `Transfer and CLI start (\`bench/transfer.ts\`): wall time of the whole process, ` +
      "start-up included, ours and psql interleaved in every round (the order alternates); " +
      "ratio = median over rounds of psql's time / ours (range in brackets); peak RSS of the " +
      "process (`/usr/bin/time -v`), max over rounds. The CSV has six columns (integer, text, " +
      "e-mail, decimal, quoted text with commas and quotes, timestamp); imports go into a new " +
      "table, exports read the table psql imported.",
      "",
      "| case | file | ours (median) | psql (median) | ratio psql/ours | target | peak RSS | |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...pairs.map(pairLine),
      ...(startLine ? [startLine] : []),
    ].join("\n");
    return { markdown };
  } finally {
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Markers of the transfer section of docs/BENCHMARKS.md (its own, apart from the query path). */
const SECTION_BEGIN =
  "<!-- transfer:begin (generated by bench/transfer.ts; edit outside these markers) -->";
const SECTION_END = "<!-- transfer:end -->";

/**
 * Writes `markdown` (from {@link runTransferBench}) into the transfer section
 * of docs/BENCHMARKS.md, between its markers (added at the end when
 * missing), with the date, command and machine; text outside is kept.
 */
export async function writeTransferSection(markdown: string, command: string): Promise<string> {
  const doc = join(REPO, "docs", "BENCHMARKS.md");
  let text: string;
  try {
    text = await Deno.readTextFile(doc);
  } catch {
    text = "# Benchmarks\n";
  }
  const pg = await new Deno.Command("psql", { args: ["--version"], stdout: "piped" }).output()
    .then((o) => new TextDecoder().decode(o.stdout).trim(), () => "psql: not found");
  const section = [
    SECTION_BEGIN,
    "",
    `- date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
    `- command: \`${command}\``,
    `- machine: ${navigator.hardwareConcurrency} cores, ${Deno.build.os} ${Deno.build.arch}, ` +
    `Deno ${Deno.version.deno}; ${pg}; the server runs on the same cores`,
    "",
    markdown,
    "",
    SECTION_END,
  ].join("\n");
  const begin = text.indexOf(SECTION_BEGIN.slice(0, 20));
  const end = text.indexOf(SECTION_END);
  text = begin >= 0 && end > begin
    ? text.slice(0, begin) + section + text.slice(end + SECTION_END.length)
    : `${text.trimEnd()}\n\n## Transfer and CLI start: pgimport / pgexport vs \`psql\`\n\n${section}\n`;
  await Deno.writeTextFile(doc, text);
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", doc], cwd: REPO }).output();
  return doc;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const number = (name: string) => arg(name) === undefined ? undefined : Number(arg(name));
  const server = await startThrowawayServerOrExit();
  try {
    const { markdown } = await runTransferBench(server, {
      sizes: arg("sizes")?.split(",").map(Number),
      rounds: number("rounds"),
      jobs: number("jobs"),
      startRounds: number("start-rounds"),
    });
    console.log(`\n${markdown}`);
    if (!Deno.args.includes("--no-write")) {
      const command = ["deno run -A bench/transfer.ts", ...Deno.args].join(" ");
      console.log(`\nwritten to ${await writeTransferSection(markdown, command)}`);
    }
  } finally {
    await server.stop();
  }
}

/** psql arguments that run one command and stop at its first error. */
function psqlCommand(command: string): string[] {
  return ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", command];
}
