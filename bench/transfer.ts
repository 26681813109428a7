/**
 * Transfer benchmark (issue 5): pgimport and pgexport against `psql \copy`
 * on the same server, in one run.
 *
 * A 2,000,000-row CSV (about 200 MB; integer, text, e-mail, decimal, quoted
 * text with commas and quotes, timestamp) is generated into a temp dir.
 * Each round runs, in alternating order, `pgmonkey pgimport` vs
 * `psql -c "\copy … from …"` into fresh tables and `pgmonkey pgexport` vs
 * `psql -c "\copy … to …"`, every command as a child process under
 * `/usr/bin/time -v` for its peak RSS. Times are wall-clock of the whole
 * process (start-up included, for both sides).
 *
 * ```sh
 * deno run -A bench/transfer.ts            # own throwaway server, 3 rounds
 * deno run -A bench/transfer.ts --rounds 5 --rows 500000
 * ```
 *
 * `bench/run.ts` calls {@link runTransferBench} with its server.
 *
 * @module
 */
import postgres from "postgres";
import { open, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startThrowawayServerOrExit } from "../tests/support/server.ts";
import type { ServerInfo } from "../tests/support/server.ts";

const REPO = new URL("..", import.meta.url).pathname;
const CLI = join(REPO, "cli.ts");

/** Options of {@link runTransferBench}. */
export interface TransferBenchOptions {
  /** Rows of the generated file (default 2,000,000). */
  rows?: number;
  /** Rounds (default 3); the median is reported. */
  rounds?: number;
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

/**
 * Runs the transfer benchmark on `server` and returns its markdown table
 * (rows/s, MB/s, ratio to psql, peak RSS per tool) with notes.
 */
export async function runTransferBench(
  server: ServerInfo,
  options: TransferBenchOptions = {},
): Promise<{ markdown: string }> {
  const rows = options.rows ?? 2_000_000;
  const rounds = options.rounds ?? 3;
  const log = options.log ?? ((line: string) => console.log(line));
  const dir = await Deno.makeTempDir({ dir: tmpdir(), prefix: "pgmonkey-transfer-bench-" });
  const dbname = `bench_transfer_${crypto.randomUUID().slice(0, 8)}`;
  const root = postgres({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: "postgres",
    onnotice: () => {},
  });
  await root.unsafe(`CREATE DATABASE ${dbname}`);
  await root.end();
  const admin = postgres({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: dbname,
    onnotice: () => {},
  });
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
  try {
    const csv = join(dir, "data.csv");
    log(`transfer: generating ${fmt(rows)} rows…`);
    const size = await generateCsv(csv, rows);
    log(`transfer: ${csv}: ${fmt(size / 1e6, 1)} MB`);
    await writeFile(join(dir, "data.yaml"), IMPORT_SETTINGS);
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
    const deno = Deno.execPath();
    const results: Record<string, Timed[]> = {
      importOurs: [],
      importPsql: [],
      exportOurs: [],
      exportPsql: [],
    };
    const ours = {
      import: async (table: string) => {
        const r = await timed(
          deno,
          [
            "run",
            "-A",
            CLI,
            "pgimport",
            "--import_file",
            csv,
            "--table",
            table,
            "--connconfig",
            "conn.yaml",
          ],
          env,
          dir,
        );
        if (!r.stdout.includes(`Rows imported: ${rows}`)) throw new Error(`pgimport:\n${r.stdout}`);
        return r;
      },
      export: async (file: string) => {
        await writeFile(join(dir, file.replace(/\.csv$/, ".yaml")), EXPORT_SETTINGS);
        return await timed(
          deno,
          [
            "run",
            "-A",
            CLI,
            "pgexport",
            "--table",
            "src",
            "--export_file",
            file,
            "--connconfig",
            "conn.yaml",
          ],
          env,
          dir,
        );
      },
    };
    const psql = {
      import: async (table: string) => {
        await admin.unsafe(`CREATE TABLE ${table} (${COLUMNS})`);
        return await timed(
          "psql",
          psqlCommand(`\\copy ${table} from '${csv}' with (format csv, header)`),
          env,
          dir,
        );
      },
      export: async (file: string) =>
        await timed(
          "psql",
          psqlCommand(`\\copy src to '${join(dir, file)}' with (format csv, header)`),
          env,
          dir,
        ),
    };
    // The export source: the file imported once by psql.
    await psql.import("src");
    await admin.unsafe("VACUUM ANALYZE src");
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 ? ["ours", "psql"] as const : ["psql", "ours"] as const;
      for (const side of order) {
        const table = `t_${side}_${round}`;
        const r = await (side === "ours" ? ours : psql).import(table);
        results[side === "ours" ? "importOurs" : "importPsql"].push(r);
        await admin.unsafe(`DROP TABLE ${table}`);
        await admin.unsafe("CHECKPOINT");
      }
      for (const side of order) {
        const file = `out_${side}.csv`;
        const r = await (side === "ours" ? ours : psql).export(file);
        results[side === "ours" ? "exportOurs" : "exportPsql"].push(r);
        await rm(join(dir, file));
      }
      const last = (k: string) => results[k][results[k].length - 1].seconds.toFixed(2);
      log(
        `transfer round ${round}: import ours ${last("importOurs")} s, psql ${
          last("importPsql")
        } s; export ours ${last("exportOurs")} s, psql ${last("exportPsql")} s`,
      );
    }
    const srcSize = (await stat(csv)).size;
    const line = (label: string, tool: string, rs: Timed[], anchor?: Timed[]) => {
      const s = median(rs.map((r) => r.seconds));
      const rss = Math.max(...rs.map((r) => r.rssMb));
      let ratio = "1.00× (anchor)";
      let target = "";
      let status = "";
      if (anchor) {
        // Per round: psql time / our time (both ran in the same round).
        const ratios = rs.map((r, i) => anchor[i].seconds / r.seconds);
        const m = median(ratios);
        ratio = `${m.toFixed(2)}× (rounds ${Math.min(...ratios).toFixed(2)}–${
          Math.max(...ratios).toFixed(2)
        })`;
        target = "≥ 0.90×, RSS < 150 MB";
        status = m >= 0.9 && rss < 150 ? "OK" : "BELOW";
      }
      return `| ${label} | ${tool} | ${s.toFixed(2)} | ${fmt(rows / s)} | ${
        fmt(srcSize / 1e6 / s, 1)
      } | ${ratio} | ${target} | ${fmt(rss, 0)} | ${status} |`;
    };
    const markdown = [
      `Transfer (\`deno run -A bench/transfer.ts\`): ${fmt(rows)} rows, ` +
      `${fmt(srcSize / 1e6, 1)} MB CSV, median of ${rounds} rounds; wall time of the whole ` +
      "process, start-up included; ratio = psql time / our time; peak RSS of the process " +
      "(`/usr/bin/time -v`), max over rounds.",
      "",
      "| case | tool | seconds | rows/s | MB/s | ratio | target | peak RSS MB | status |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      line("import", "pgmonkey pgimport", results.importOurs, results.importPsql),
      line("import", "psql \\copy from", results.importPsql),
      line("export", "pgmonkey pgexport", results.exportOurs, results.exportPsql),
      line("export", "psql \\copy to", results.exportPsql),
    ].join("\n");
    return { markdown };
  } finally {
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : undefined;
  };
  const server = await startThrowawayServerOrExit();
  try {
    const { markdown } = await runTransferBench(server, {
      rows: arg("rows"),
      rounds: arg("rounds"),
    });
    console.log(`\n${markdown}`);
  } finally {
    await server.stop();
  }
}

/** psql arguments that run one command and stop at its first error. */
function psqlCommand(command: string): string[] {
  return ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", command];
}
