// Broken and hostile config files, each run through `pgconfig test`,
// `pgserverconfig` and `pgimport`: every one exits 1 with the same one-line
// error (after each command's prefix), none blocks, and the import creates
// nothing on the real test server. Big and special files (a 2 MiB file, a
// FIFO, /dev/zero, 5000-byte hosts…) are made at run time.
//
// The `max_waiting` row (its message and its count in stats().timeouts) is
// tests/connect/pool_behaviour.test.ts, against a live pool.
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { CONFIG_NOT_AVAILABLE } from "../../src/server/recommend.ts";
import { importSettings } from "../transfer/_helpers.ts";
import {
  assertFails,
  cli,
  type CliResult,
  inTurn,
  makeFifo,
  setUp,
  show,
  tableExists,
} from "./_support.ts";

const { db, dir } = await setUp("hostile config");

/** A row: how to make the config file, and the error it must give. */
interface Row {
  name: string;
  /** Writes the config (or makes the special file) and returns its path. */
  make: (path: string) => Promise<string>;
  /** The error after the command's prefix; `{F}` is the config path, `{S}` the secret's. */
  error: string;
  /** pgimport's error when it differs (it refuses a path that is not a regular file itself). */
  importError?: string;
  /** Extra flags for every command. */
  args?: string[];
  /** The `from_file` secret path, for `{S}`. */
  secret?: string;
}

type Patch = Record<string, unknown>;

/** A config for the test database with `patch` merged in (one level deep). */
function config(patch: Patch = {}): Patch {
  const out: Patch = {
    connection_type: "normal",
    connection_settings: { ...db.settings },
  };
  for (const [section, value] of Object.entries(patch)) {
    const current = out[section];
    out[section] = typeof current === "object" && current !== null && !Array.isArray(value)
      ? { ...current, ...(value as Patch) }
      : value;
  }
  return out;
}

/** Writes `config(patch)` as YAML (JSON is YAML; `\u0000` is YAML's NUL escape too). */
function file(patch: Patch): (path: string) => Promise<string> {
  return async (path) => {
    await Deno.writeTextFile(path, JSON.stringify(config(patch), null, 2) + "\n");
    return path;
  };
}

const cs = (settings: Patch): Patch => ({ connection_settings: settings });
const sync = (settings: Patch): Patch => ({ sync_settings: settings });
const POOL_WHY = "(a pool holds at most 10000 connections; PostgreSQL's own ceiling is 262143)";
const NAME_WHY = "PostgreSQL cuts application_name at NAMEDATALEN - 1 bytes";
const secretFile = (secret: string): (path: string) => Promise<string> =>
  file(cs({ password: { from_file: secret } }));
const SECRET_ERROR = "Could not read secret file '{S}' (referenced by config key " +
  "'connection_settings.password' via from_file): ";
const fifoSecret = join(dir, "secret.fifo");
const bigSecret = join(dir, "big.secret");
const NOT_REGULAR = "Connection config file is not a regular file: {F}";

/** Sixteen custom settings of 1000 bytes each: 16 × (8 + 1000 + 2) bytes in the startup packet. */
const manySettings = Object.fromEntries(
  Array.from({ length: 16 }, (_, i) => [`pgm.s${String(i).padStart(3, "0")}`, "x".repeat(1000)]),
);

const ROWS: Row[] = [
  // Pool sizes: the max_size 1000000 was killed at 4.3 GB.
  {
    name: "max_size 1000000",
    make: file({ pool_settings: { max_size: 1000000 } }),
    error:
      `{F}: pool_settings.max_size: expected an integer from 1 to 10000, got 1000000 ${POOL_WHY}`,
  },
  {
    name: "min_size 20000 (max_size would default to it)",
    make: file({ async_pool_settings: { min_size: 20000 } }),
    error:
      `{F}: async_pool_settings.min_size: expected an integer from 0 to 10000, got 20000 ${POOL_WHY}`,
  },
  // pgserverconfig used to exit 0 and print recommendations for these.
  {
    name: "min_size above max_size",
    make: file({ pool_settings: { min_size: 50, max_size: 5 } }),
    error: "{F}: pool_settings: min_size (50) cannot be greater than max_size (5)",
  },
  {
    name: "port 'abc'",
    make: file(cs({ port: "abc" })),
    error: "{F}: connection_settings.port: expected an integer from 1 to 65535, got 'abc'",
  },
  {
    name: "sslmode 'maybe'",
    make: file(cs({ sslmode: "maybe" })),
    error: "{F}: connection_settings.sslmode: invalid sslmode 'maybe'; expected one of: " +
      "disable, allow, prefer, require, verify-ca, verify-full",
  },
  {
    name: "connect_timeout -5",
    make: file(cs({ connect_timeout: -5 })),
    error: "{F}: connection_settings.connect_timeout: expected a non-negative number, got -5",
  },
  {
    name: "pool timeout 'soon'",
    make: file({ pool_settings: { timeout: "soon" } }),
    error: "{F}: pool_settings.timeout: expected a non-negative number, got 'soon'",
  },
  // String lengths PostgreSQL has.
  {
    name: "application_name of 64 bytes",
    make: file(cs({ application_name: "a".repeat(64) })),
    error: `{F}: connection_settings.application_name: expected at most 63 bytes (${NAME_WHY}), ` +
      "got 64 bytes",
  },
  {
    name: "user of 64 bytes",
    make: file(cs({ user: "u".repeat(64) })),
    error: "{F}: connection_settings.user: expected at most 63 bytes (PostgreSQL cuts role " +
      "names at NAMEDATALEN - 1 bytes), got 64 bytes",
  },
  {
    name: "dbname of 32 characters, 64 bytes",
    make: file(cs({ dbname: "é".repeat(32) })),
    error: "{F}: connection_settings.dbname: expected at most 63 bytes (PostgreSQL cuts " +
      "database names at NAMEDATALEN - 1 bytes), got 64 bytes",
  },
  {
    name: "host of 5000 bytes",
    make: file(cs({ host: "h".repeat(5000) })),
    error: "{F}: connection_settings.host: expected at most 4095 bytes (far longer than any " +
      "host name, host list or socket directory), got 5000 bytes",
  },
  {
    name: "password of 70000 bytes",
    make: file(cs({ password: "p".repeat(70000) })),
    error: "{F}: connection_settings.password: expected at most 65535 bytes (the longest " +
      "authentication message PostgreSQL reads), got 70000 bytes",
  },
  // NUL bytes: refused here, not sent to the server ("invalid startup packet").
  {
    name: "NUL byte in dbname",
    make: file(cs({ dbname: "ab\0c" })),
    error: "{F}: connection_settings.dbname: must not contain a NUL byte (found at character 3)",
  },
  {
    name: "NUL byte in password",
    make: file(cs({ password: "pw\0secret" })),
    error: "{F}: connection_settings.password: must not contain a NUL byte (found at character 3)",
  },
  {
    name: "NUL byte in sslrootcert",
    make: file(cs({ sslrootcert: "/etc/ssl/ca.pem\0.txt" })),
    error:
      "{F}: connection_settings.sslrootcert: must not contain a NUL byte (found at character 16)",
  },
  // Hostile session settings.
  {
    name: "session setting value with a NUL byte",
    make: file(sync({ search_path: "public\0x" })),
    error: "{F}: sync_settings.search_path: must not contain a NUL byte (found at character 7)",
  },
  {
    name: "session setting name with a NUL byte",
    make: file(sync({ "a\0b": "x" })),
    error: "{F}: sync_settings: setting name 'a\\x00b' must not contain a NUL byte " +
      "(found at character 2)",
  },
  {
    name: "empty session setting name",
    make: file(sync({ "": "x" })),
    error: "{F}: sync_settings: a setting name is empty",
  },
  {
    name: "session setting 'user' (would log in as another role)",
    make: file(sync({ user: "postgres" })),
    error: "{F}: sync_settings.user: a connection parameter, not a session setting: set " +
      "connection_settings.user",
  },
  {
    name: "session setting 'database'",
    make: file({ async_settings: { database: "postgres" } }),
    error: "{F}: async_settings.database: a connection parameter, not a session setting: set " +
      "connection_settings.dbname",
  },
  {
    name: "session setting 'options'",
    make: file(sync({ options: "-c work_mem=1GB" })),
    error: "{F}: sync_settings.options: a startup-packet parameter, not a session setting: set " +
      "the settings you need one by one",
  },
  {
    name: "session setting 'REPLICATION' (any case)",
    make: file(sync({ REPLICATION: "database" })),
    error: "{F}: sync_settings.REPLICATION: a startup-packet parameter, not a session setting: " +
      "set the settings you need one by one",
  },
  {
    name: "session setting 'client_encoding'",
    make: file(sync({ client_encoding: "LATIN1" })),
    error: "{F}: sync_settings.client_encoding: pgmonkey always talks UTF8 to the server (the " +
      "driver decodes UTF-8 only); pgimport/pgexport take the file's encoding from their " +
      "settings file",
  },
  {
    name: "session setting '_pq_.x' (a protocol option)",
    make: file(sync({ "_pq_.x": "1" })),
    error: "{F}: sync_settings._pq_.x: a protocol option, not a session setting",
  },
  {
    name: "session settings larger than the startup packet",
    make: file(sync(manySettings)),
    error: "{F}: sync_settings: the settings take 16160 bytes, expected at most 9000: they are " +
      "sent in the connection's startup packet, which PostgreSQL limits to 10000 bytes",
  },
  {
    name: "session application_name of 64 bytes",
    make: file(sync({ application_name: "s".repeat(64) })),
    error: `{F}: sync_settings.application_name: expected at most 63 bytes (${NAME_WHY}), ` +
      "got 64 bytes",
  },
  {
    name: "session setting that is a mapping",
    make: file(sync({ statement_timeout: { ms: 5 } })),
    error: "{F}: sync_settings.statement_timeout: expected a single value (string, number or " +
      "boolean), got a mapping",
  },
  // What the path is: only a regular file of at most 1 MiB is read.
  {
    name: "config file of 2 MiB (a huge application_name)",
    make: async (path) => {
      await file(cs({ application_name: "a".repeat(2 << 20) }))(path);
      return path;
    },
    error: "{F}: is {SIZE} bytes, larger than the 1 MiB (1048576 bytes) allowed",
  },
  {
    name: "a FIFO (must not block)",
    make: (path) => makeFifo(path),
    error: "{F}: is a named pipe (FIFO), expected a regular file (a YAML config file)",
    importError: NOT_REGULAR,
  },
  {
    name: "/dev/zero (must not fill memory)",
    make: () => Promise.resolve("/dev/zero"),
    error: "{F}: is a character device, expected a regular file (a YAML config file)",
    importError: NOT_REGULAR,
  },
  {
    name: "a directory",
    make: async (path) => {
      await Deno.mkdir(path);
      return path;
    },
    error: "{F}: is a directory, expected a YAML config file",
    importError: NOT_REGULAR,
  },
  // from_file secrets get the same checks.
  {
    name: "from_file secret that is a FIFO",
    make: async (path) => {
      await makeFifo(fifoSecret);
      return await secretFile(fifoSecret)(path);
    },
    error: `${SECRET_ERROR}is a named pipe (FIFO), expected a regular file`,
    args: ["--resolve-env"],
    secret: fifoSecret,
  },
  {
    name: "from_file secret /dev/zero",
    make: secretFile("/dev/zero"),
    error: `${SECRET_ERROR}is a character device, expected a regular file`,
    args: ["--resolve-env"],
    secret: "/dev/zero",
  },
  {
    name: "from_file secret of 2 MiB",
    make: async (path) => {
      await Deno.writeTextFile(bigSecret, "s".repeat(2 << 20));
      return await secretFile(bigSecret)(path);
    },
    error: `${SECRET_ERROR}is 2097152 bytes, larger than the 1 MiB (1048576 bytes) allowed`,
    args: ["--resolve-env"],
    secret: bigSecret,
  },
];

// One good CSV and its settings file, imported by every row into its own table.
await Deno.writeTextFile(join(dir, "data.csv"), "id,name\n1,alpha\n2,beta\n");
await Deno.writeTextFile(join(dir, "data.yaml"), importSettings());

const COMMANDS = [
  { label: "pgconfig test", prefix: "pgmonkey: connection test failed: " },
  { label: "pgserverconfig", prefix: "pgmonkey: error: " },
  { label: "pgimport", prefix: "pgmonkey: pgimport failed: " },
] as const;

function argv(command: string, path: string, table: string, extra: string[]): string[] {
  switch (command) {
    case "pgconfig test":
      return ["pgconfig", "test", "--connconfig", path, ...extra];
    case "pgserverconfig":
      return ["pgserverconfig", "--filepath", path, ...extra];
    default:
      return [
        "pgimport",
        "--import_file",
        "data.csv",
        "--table",
        table,
        "--connconfig",
        path,
        ...extra,
      ];
  }
}

Deno.test("control: a good config connects, recommends and imports (the checks can see a table)", async () => {
  const path = await file({})(join(dir, "good.yaml"));
  const [test, server, imp] = await Promise.all(
    COMMANDS.map((c) => cli(argv(c.label, path, "t_cfg_good", []), dir)),
  );
  strictEqual(test.code, 0, show(test));
  strictEqual(server.code, 0, show(server));
  strictEqual(imp.code, 0, show(imp));
  ok(await tableExists(db.admin, "public", "t_cfg_good"));
});

Deno.test("control: session settings of exactly 9000 bytes and 63-byte names fit the startup packet", async () => {
  // 9 × (8-byte name + 990-byte value + 2 NUL bytes) = 9000 bytes, the most allowed.
  const settings = Object.fromEntries(
    Array.from({ length: 9 }, (_, i) => [`pgm.s${String(i).padStart(3, "0")}`, "v".repeat(990)]),
  );
  const path = await file({
    connection_settings: { application_name: "a".repeat(63) },
    sync_settings: settings,
  })(join(dir, "fits.yaml"));
  const r = await cli(["pgconfig", "test", "--connconfig", path], dir);
  strictEqual(r.code, 0, show(r));
  ok(r.stdout.includes("Sync connection test completed successfully.\n"), show(r));
});

Deno.test(`${ROWS.length} broken configs: exit 1, the same first error line in each command, nothing created`, async () => {
  const prepared = [];
  let n = 0;
  for (const row of ROWS) {
    const path = await row.make(join(dir, `row${++n}.yaml`));
    let size = "";
    if (row.error.includes("{SIZE}")) size = String((await Deno.stat(path)).size);
    prepared.push({ row, path, table: `t_cfg_${n}`, size });
  }
  const jobs = prepared.flatMap((p) =>
    COMMANDS.map((c) => async (): Promise<[typeof p, typeof c, CliResult]> => [
      p,
      c,
      await cli(argv(c.label, p.path, p.table, p.row.args ?? []), dir),
    ])
  );
  const failures: string[] = [];
  for (const [p, c, r] of await inTurn(jobs)) {
    const wanted = (c.label === "pgimport" && p.row.importError) || p.row.error;
    const line = c.prefix + wanted.replaceAll("{F}", p.path).replaceAll("{S}", p.row.secret ?? "")
      .replaceAll("{SIZE}", p.size);
    try {
      assertFails(r, line, `${p.row.name} — ${c.label}`);
      if (c.label === "pgserverconfig") strictEqual(r.stdout, `${CONFIG_NOT_AVAILABLE}\n`);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  for (const p of prepared) {
    if (await tableExists(db.admin, "public", p.table)) {
      failures.push(`${p.row.name}: pgimport created ${p.table}`);
    }
  }
  strictEqual(failures.length, 0, failures.join("\n\n"));
});

Deno.test("teardown: drop temp dir, close the admin connection", async () => {
  await Deno.remove(dir, { recursive: true });
  await db.close();
});
