/**
 * Our resolver against the real libpq (Debian's libpq5, through Deno FFI in a
 * subprocess with a clean environment): the same `connection_settings`, as
 * pgmonkey (Python) hands them to libpq (psycopg's `make_conninfo`), the same
 * environment, service files and `.pgpass`, must give the same user,
 * database, password, host, port, sslmode, … and fail in the same cases.
 * libpq's warnings (printed on its stderr) must match ours word for word.
 *
 * The one deliberate difference is not exercised here: libpq's default host
 * is its compiled-in socket directory even when that directory is missing
 * (we fall back to localhost then), so both sides get `/var/run/postgresql`.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import os from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../src/config/validate.ts";
import { passwordFor, resolveTarget } from "../../src/libpq/resolve.ts";
import type { ResolvedTarget } from "../../src/libpq/target.ts";
import { effectiveConnectTimeout, parseLibpqInt } from "../../src/libpq/values.ts";
import { scratch, testEnvironment } from "./_environment.ts";
import { runLibpqProbe } from "../support/libpq_probe.ts";

interface LibpqResult {
  status: number;
  error: string;
  options: Record<string, string>;
  host: string | null;
  port: string | null;
  pass: string | null;
}

/** psycopg's `_param_escape` + `make_conninfo` for the keys pgmonkey (Python) passes on. */
function conninfo(settings: Record<string, unknown>): string {
  return Object.entries(settings)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => {
      let s = String(v);
      if (s === "") return `${k}=''`;
      s = s.replace(/([\\'])/g, "\\$1");
      return `${k}=${/\s/.test(s) ? `'${s}'` : s}`;
    })
    .join(" ");
}

async function askLibpq(
  cases: { conninfo: string; env: Record<string, string> }[],
): Promise<{ results: LibpqResult[]; stderr: string }> {
  const { output, stderr } = await runLibpqProbe<{ version: number; results: LibpqResult[] }>(
    new URL("./_libpq_probe.ts", import.meta.url),
    [],
    cases,
  );
  ok(output.version >= 150000, `libpq ${output.version} is older than 15`);
  return { results: output.results, stderr };
}

interface Case {
  name: string;
  settings: Record<string, unknown>;
  env?: Record<string, string>;
  /** Files to create in the scratch directory (HOME): name → [text, mode]. */
  files?: Record<string, [string, number?]>;
  /** Expect both to refuse the parameters (before any connection attempt). */
  fails?: boolean;
}

const SOCK = "/nonexistent-pgmonkey-sock";

const CASES: Case[] = [
  { name: "nothing given: libpq's defaults", settings: {} },
  {
    name: "every common PG* variable",
    settings: {},
    env: {
      PGHOST: SOCK,
      PGPORT: "6543",
      PGUSER: "envuser",
      PGDATABASE: "envdb",
      PGPASSWORD: "env-secret",
      PGSSLMODE: "require",
      PGSSLROOTCERT: "/etc/ca.crt",
      PGSSLCERT: "/etc/c.crt",
      PGSSLKEY: "/etc/c.key",
      PGAPPNAME: "envapp",
      PGCONNECT_TIMEOUT: "1",
      PGTARGETSESSIONATTRS: "read-write",
      PGOPTIONS: "-c geqo=off",
    },
  },
  {
    name: "the file wins over the environment",
    settings: { host: SOCK, port: 7000, user: "fileuser", dbname: "filedb", sslmode: "disable" },
    env: { PGHOST: "/elsewhere", PGPORT: "1", PGUSER: "envuser", PGSSLMODE: "require" },
  },
  {
    name: "'' shuts out the environment (password still from .pgpass)",
    settings: { host: "", user: "", password: "", sslrootcert: "", application_name: "" },
    env: { PGHOST: SOCK, PGUSER: "envuser", PGPASSWORD: "nope", PGSSLROOTCERT: "/x.crt" },
    files: { ".pgpass": ["localhost:5432:*:*:from-pgpass\n"] },
  },
  {
    name: "null lets the environment in",
    settings: { host: null, user: null, password: null },
    env: { PGHOST: SOCK, PGUSER: "envuser", PGPASSWORD: "env-secret" },
  },
  {
    name: "a service sits between the file and the environment",
    settings: { dbname: "filedb" },
    env: { PGSERVICE: "prod", PGUSER: "envuser", PGAPPNAME: "envapp", PGHOST: "/env" },
    files: {
      "svc.conf": [`[prod]\nhost=${SOCK}\nport=7777\nuser=svcuser\ndbname=svcdb\npassword=svcpw\n`],
    },
  },
  {
    name: "the system service file when the user's lacks the service",
    settings: {},
    env: { PGSERVICE: "shared" },
    files: {
      ".pg_service.conf": ["[mine]\nuser=mine\n"],
      "sysconf/pg_service.conf": ["[shared]\nuser=shared-user\n", 0o644],
    },
  },
  { name: "an unknown service", settings: {}, env: { PGSERVICE: "nope" }, fails: true },
  {
    name: "a missing PGSERVICEFILE",
    settings: {},
    env: { PGSERVICE: "x", PGSERVICEFILE: "/nonexistent/svc.conf" },
    fails: true,
  },
  {
    name: "spaces around = in a service file",
    settings: {},
    env: { PGSERVICE: "s" },
    files: { "svc.conf": ["[s]\nhost = db\n"] },
    fails: true,
  },
  {
    name: "an unknown keyword in a service file",
    settings: {},
    env: { PGSERVICE: "s" },
    files: { "svc.conf": ["[s]\nhosst=db\n"] },
    fails: true,
  },
  {
    name: ".pgpass: first match, escapes, wildcards",
    settings: { host: SOCK, port: 5433, user: "u:1", dbname: "d\\b" },
    files: {
      ".pgpass": [
        `# comment\nbroken\n${SOCK}:5432:*:*:wrong-port\n${SOCK}:5433:d\\\\b:u\\:1:p\\:w\\\\1:x\n*:*:*:*:later\n`,
      ],
    },
  },
  {
    name: ".pgpass: the default socket directory matches localhost",
    settings: { host: "/var/run/postgresql", port: 1 },
    files: { ".pgpass": ["localhost:1:*:*:pw-local\n"] },
  },
  {
    name: ".pgpass: another socket directory does not",
    settings: { host: SOCK },
    files: { ".pgpass": ["localhost:*:*:*:pw-local\n*:*:*:*:pw-any\n"] },
  },
  {
    name: ".pgpass: group-readable is ignored with a warning",
    settings: { host: SOCK },
    files: { ".pgpass": ["*:*:*:*:pw\n", 0o640] },
  },
  {
    name: "PGPASSFILE",
    settings: { host: SOCK },
    env: { PGPASSFILE: "@HOME@/elsewhere" },
    files: { elsewhere: ["*:*:*:*:from-elsewhere\n"], ".pgpass": ["*:*:*:*:not-this\n"] },
  },
  {
    name: "the passfile key wins over PGPASSFILE",
    settings: { host: SOCK, passfile: "@HOME@/chosen" },
    env: { PGPASSFILE: "@HOME@/elsewhere" },
    files: { chosen: ["*:*:*:*:chosen\n"], elsewhere: ["*:*:*:*:elsewhere\n"] },
  },
  {
    name: "hostaddr with a host name",
    settings: { host: "db.example", hostaddr: "127.0.0.1", port: 1 },
  },
  {
    name: "a host list with one port",
    settings: { host: `${SOCK}1,${SOCK}2`, port: 6000 },
  },
  {
    name: "mismatched port and host lists",
    settings: { host: `${SOCK}1,${SOCK}2` },
    env: { PGPORT: "1,2,3" },
    fails: true,
  },
  {
    name: "mismatched host and hostaddr lists",
    settings: { host: "a,b,c", hostaddr: "127.0.0.1,127.0.0.2" },
    fails: true,
  },
  { name: "PGREQUIRESSL=1", settings: { host: SOCK }, env: { PGREQUIRESSL: "1" } },
  { name: "an invalid PGSSLMODE", settings: {}, env: { PGSSLMODE: "on" }, fails: true },
  {
    name: "an invalid PGTARGETSESSIONATTRS",
    settings: {},
    env: { PGTARGETSESSIONATTRS: "master" },
    fails: true,
  },
  {
    name: "keepalives from a service",
    settings: { host: SOCK },
    env: { PGSERVICE: "k" },
    files: { "svc.conf": ["[k]\nkeepalives=0\nkeepalives_idle=30\n"] },
  },
];

function expand(value: string, home: string): string {
  return value.replaceAll("@HOME@", home);
}

Deno.test("resolveTarget agrees with the real libpq", async () => {
  const userName = os.userInfo().username;
  const homes: string[] = [];
  const dirs = [];
  const libpqCases = [];
  for (const c of CASES) {
    const dir = await scratch();
    dirs.push(dir);
    homes.push(dir.path);
    await Deno.mkdir(join(dir.path, "sysconf"));
    for (const [name, [text, mode]] of Object.entries(c.files ?? {})) {
      await dir.write(name, text, mode ?? 0o600);
    }
    const env: Record<string, string> = { HOME: dir.path, PGSYSCONFDIR: join(dir.path, "sysconf") };
    if (c.files?.["svc.conf"]) env.PGSERVICEFILE = join(dir.path, "svc.conf");
    for (const [k, v] of Object.entries(c.env ?? {})) env[k] = expand(v, dir.path);
    const settings = Object.fromEntries(
      Object.entries(c.settings).map((
        [k, v],
      ) => [k, typeof v === "string" ? expand(v, dir.path) : v]),
    );
    libpqCases.push({ c, env, settings, conninfo: conninfo(settings) });
  }
  try {
    const { results, stderr } = await askLibpq(
      libpqCases.map(({ conninfo, env }) => ({ conninfo, env })),
    );
    const ourWarnings: string[] = [];
    for (let i = 0; i < libpqCases.length; i++) {
      await compare(libpqCases[i], results[i], userName, ourWarnings);
    }
    const libpqWarnings = stderr.split("\n").filter((l) => l.startsWith("WARNING:"));
    deepStrictEqual(ourWarnings, libpqWarnings);
    ok(libpqWarnings.length === 1, "the group-readable .pgpass case warns once");
  } finally {
    for (const d of dirs) await d[Symbol.asyncDispose]();
  }
});

async function compare(
  { c, env, settings }: { c: Case; env: Record<string, string>; settings: Record<string, unknown> },
  libpq: LibpqResult,
  userName: string,
  warnings: string[],
) {
  const label = `case "${c.name}"`;
  const optionsFailed = libpq.status === 1 && !libpq.error.startsWith("connection to server");
  const environment = testEnvironment({
    env,
    userName,
    socketDir: "/var/run/postgresql",
    compiledSocketDir: "/var/run/postgresql",
    sysconfDir: "/nonexistent-sysconf",
    warn: (m) => warnings.push(m),
  });
  let target: ResolvedTarget | undefined;
  let ours: unknown;
  try {
    const validated = validateConfig({ connection_settings: settings }, {
      onWarning: (m) => warnings.push(m),
    }).connection_settings;
    target = await resolveTarget(validated, environment);
  } catch (e) {
    ours = e;
  }
  if (c.fails) {
    ok(optionsFailed, `${label}: libpq accepted it: ${libpq.error}`);
    ok(ours instanceof Error, `${label}: we accepted it`);
    ok(!(ours as Error).message.includes("\n"), `${label}: one line`);
    return;
  }
  ok(!optionsFailed, `${label}: libpq refused it: ${libpq.error}`);
  if (!target) throw ours;
  const o = libpq.options;
  const unset = (v: string | undefined) => v === undefined || v === "" ? undefined : v;
  deepStrictEqual(
    {
      user: target.user,
      dbname: target.dbname,
      password: target.password,
      passfile: target.passfile,
      sslmode: target.sslmode,
      sslrootcert: target.sslrootcert,
      sslcert: target.sslcert,
      sslkey: target.sslkey,
      application_name: target.application_name,
      options: target.options,
      target_session_attrs: target.target_session_attrs,
      connect_timeout: target.connect_timeout,
      keepalives: target.keepalives,
      keepalives_idle: target.keepalives_idle,
    },
    {
      user: o.user,
      dbname: o.dbname,
      password: unset(o.password),
      passfile: unset(o.passfile),
      sslmode: o.sslmode,
      sslrootcert: unset(o.sslrootcert),
      sslcert: unset(o.sslcert),
      sslkey: unset(o.sslkey),
      application_name: unset(o.application_name),
      options: unset(o.options),
      target_session_attrs: o.target_session_attrs,
      connect_timeout: effectiveConnectTimeout(
        o.connect_timeout === undefined ? undefined : parseLibpqInt(o.connect_timeout),
      ),
      keepalives: o.keepalives === undefined ? true : parseLibpqInt(o.keepalives) !== 0,
      keepalives_idle: o.keepalives_idle === undefined
        ? undefined
        : parseLibpqInt(o.keepalives_idle),
    },
    label,
  );
  // libpq reports the host it tried last; compare that one (and its port and password).
  const last = target.hosts[target.hosts.length - 1];
  strictEqual(last.host !== "" ? last.host : last.hostaddr, libpq.host, `${label}: host`);
  strictEqual(String(last.port), libpq.port, `${label}: port`);
  if (target.hosts.length > 1) {
    strictEqual(target.hosts.map((h) => h.host).join(","), o.host, `${label}: host list`);
  }
  const { password } = await passwordFor(target, last, environment);
  strictEqual(password ?? "", libpq.pass ?? "", `${label}: password used`);
}
