// pgimport details a user meets: Ctrl-C during an import ends the progress
// line and prints one line (nothing imported, exit 130), and a delimiter that
// gives one column while the first row holds another common delimiter is
// warned about.
import { match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { INTERRUPTED } from "../../src/cli/pgimport.ts";
import { otherDelimiterWarning } from "../../src/transfer/delimiter_check.ts";
import { freshDatabase } from "../support/db.ts";
import { cli, show, tempDir, writeConfig } from "./_helpers.ts";

const db0 = await freshDatabase("cli pgimport details");
const dir = await tempDir("pgimport-details");
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const conn = await writeConfig(join(dir, "conn.yaml"), {
  connection_type: "normal",
  connection_settings: { ...db0.settings, application_name: "pgm-import-interrupt" },
  // The server notices a vanished client within 100 ms, even inside a long COPY.
  sync_settings: { client_connection_check_interval: "100" },
});

function settings(delimiter: string): string {
  return `auto_create_table: true\ndelimiter: ${JSON.stringify(delimiter)}\nencoding: utf-8\n` +
    `enforce_lowercase: true\nhas_headers: true\nquotechar: '"'\n`;
}

Deno.test("Ctrl-C during an import: the progress line is ended, one line, exit 130, nothing imported", async () => {
  // A trigger that sleeps per row keeps the COPY running until the interrupt.
  await db0.admin.unsafe(`
    CREATE TABLE slow (id text, name text);
    CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$;
    CREATE TRIGGER slow_row BEFORE INSERT ON slow FOR EACH ROW EXECUTE FUNCTION slow_row();`);
  const csv = join(dir, "slow.csv");
  // Small enough to be sent at once (the progress line is drawn), slow enough to be interrupted.
  const rows = Array.from({ length: 2_000 }, (_, i) => `${i},name ${i}\n`).join("");
  await Deno.writeTextFile(csv, `id,name\n${rows}`);
  await Deno.writeTextFile(join(dir, "slow.yaml"), settings(","));

  // Under `script`, stderr is a terminal (so the progress line is drawn) and
  // writing Ctrl-C (\x03) to it sends SIGINT to the CLI, as a keyboard does.
  const command = [Deno.execPath(), "run", "-A", join(REPO, "cli.ts"), "pgimport"]
    .concat(["--import_file", csv, "--table", "slow", "--connconfig", conn])
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    env: { NO_COLOR: "1", PGMONKEY_DEBUG: "" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  let transcript = "";
  const decoder = new TextDecoder();
  const reader = (async () => {
    for await (const chunk of child.stdout) {
      transcript += decoder.decode(chunk, { stream: true });
      if (transcript.includes("Importing data: ") && !transcript.includes("\x03")) {
        transcript += "\x03"; // mark: sent once
        await writer.write(new Uint8Array([3]));
      }
    }
  })();
  // A bound, not a timing assertion: a CLI that ignores Ctrl-C must not hang the suite.
  const guard = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const status = await child.status;
  clearTimeout(guard);
  await reader;
  await writer.close().catch(() => {});
  await child.stderr.cancel();

  strictEqual(status.code, 130, transcript);
  ok(transcript.includes("Executing COPY command: "), transcript);
  // The progress line (`\r\x1b[2KImporting data: …`) is ended with a newline before the message.
  const tail = transcript.slice(transcript.lastIndexOf("Importing data: "));
  match(tail, /^Importing data: [^\r\n]*\r?\n(\^C)?[^\n]*pgmonkey: pgimport interrupted/, tail);
  ok(transcript.replace(/\r\n/g, "\n").endsWith(INTERRUPTED), JSON.stringify(tail));
  // The server rolls back once it sees the connection closed: no row is left.
  for (let i = 0; i < 300; i++) {
    const [{ n }] = await db0.admin`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pgm-import-interrupt'`;
    if (n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const [{ count }] = await db0.admin`SELECT count(*)::int AS count FROM slow`;
  strictEqual(count, 0);
});

Deno.test("a delimiter that gives one column while the first row holds another: a warning on stderr", async () => {
  const csv = join(dir, "semi.csv");
  await Deno.writeTextFile(csv, "id;name\n1;Ada\n2;Grace\n");
  await Deno.writeTextFile(join(dir, "semi.yaml"), settings(","));
  const r = await cli(
    ["pgimport", "--import_file", csv, "--table", "semi", "--connconfig", conn],
  );
  strictEqual(r.code, 0, show(r)); // a one-column import is legitimate: warned, not refused
  strictEqual(
    r.stderr,
    `pgmonkey: warning: ${join(dir, "semi.yaml")}: delimiter ',' gives one column, but the ` +
      "first row 'id;name' contains ';': if that is the separator, set delimiter: ';'\n",
  );
  const [{ count }] = await db0.admin`SELECT count(*)::int AS count FROM semi`;
  strictEqual(count, 2);
  // The right delimiter: no warning.
  const good = join(dir, "good.csv");
  await Deno.writeTextFile(good, "id;name\n1;Ada\n");
  await Deno.writeTextFile(join(dir, "good.yaml"), settings(";"));
  const ok2 = await cli(
    ["pgimport", "--import_file", good, "--table", "good", "--connconfig", conn],
  );
  strictEqual(ok2.code, 0, show(ok2));
  strictEqual(ok2.stderr, "");
});

Deno.test("teardown: drop temp dir, close the admin connection", async () => {
  await Deno.remove(dir, { recursive: true });
  await db0.close();
});

Deno.test("otherDelimiterWarning: only for one column holding another common delimiter", () => {
  strictEqual(otherDelimiterWarning(["a", "b"], ",", "s.yaml"), undefined);
  strictEqual(otherDelimiterWarning(["just one column"], ",", "s.yaml"), undefined);
  strictEqual(
    otherDelimiterWarning(["id\tname"], ";", "s.yaml"),
    "s.yaml: delimiter ';' gives one column, but the first row 'id\\tname' contains '\\t': " +
      "if that is the separator, set delimiter: '\\t'",
  );
  match(
    otherDelimiterWarning([`${"x".repeat(50)}|y`], ",", "s.yaml")!,
    /'x{37}\.\.\.' contains '\|'/,
  );
});
