import { deepStrictEqual, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import {
  findService,
  parseServiceFile,
  serviceFileCandidates,
} from "../../src/libpq/service_file.ts";
import { libpqHome } from "../../src/libpq/io.ts";
import { scratch, testEnvironment } from "./_environment.ts";

const FILE = "/etc/pg_service.conf";
const keywords = (text: string, name: string) =>
  parseServiceFile(text, name, FILE)?.map((e) => `${e.keyword}=${e.value}@${e.line}`);

Deno.test("parseServiceFile: the named section's keyword=value lines, with line numbers", () => {
  const text = [
    "# shared services",
    "[dev]",
    "host=localhost",
    "",
    "[prod]  # trailing text after ] is ignored",
    "  host=db1,db2  ",
    "port=5433",
    "# comment inside",
    "sslmode=verify-full",
    "[other]",
    "host=elsewhere",
  ].join("\n");
  deepStrictEqual(keywords(text, "prod"), [
    "host=db1,db2@6",
    "port=5433@7",
    "sslmode=verify-full@9",
  ]);
  deepStrictEqual(keywords(text, "dev"), ["host=localhost@3"]);
  strictEqual(keywords(text, "missing"), undefined);
  strictEqual(keywords(text, "pro"), undefined); // no prefix match
});

Deno.test("parseServiceFile: first value of a repeated keyword wins; only the first section counts", () => {
  const text = "[s]\nport=1\nport=2\n[s]\nhost=second-section\n";
  deepStrictEqual(keywords(text, "s"), ["port=1@2"]);
  // An empty value is kept (it is given, but empty); '=' inside the value is fine.
  deepStrictEqual(keywords("[s]\npassword=\noptions=-c a=b\n", "s"), [
    "password=@2",
    "options=-c a=b@3",
  ]);
  // An empty section is a definition with no entries.
  deepStrictEqual(keywords("[s]\n[t]\n", "s"), []);
});

Deno.test("parseServiceFile: syntax errors inside the section name file and line", () => {
  throws(() => parseServiceFile("[s]\nhost db\n", "s", FILE), {
    name: "ConfigError",
    message: "/etc/pg_service.conf:2: syntax error in service file: expected keyword=value",
  });
  throws(() => parseServiceFile("[s]\nhost = db\n", "s", FILE), {
    message: '/etc/pg_service.conf:2: syntax error in service file: "host " is not a libpq ' +
      "connection parameter",
  });
  throws(() => parseServiceFile("[s]\nhosst=db\n", "s", FILE), /"hosst" is not a libpq/);
  throws(() => parseServiceFile("[s]\nservice=t\n", "s", FILE), {
    message: "/etc/pg_service.conf:2: nested service specifications not supported in service file",
  });
  throws(
    () => parseServiceFile("[s]\nldap://ldap.example.com/dc=x?y?one?(z)\n", "s", FILE),
    /:2: LDAP service lookups are not supported/,
  );
  // Lines outside the wanted section are not parsed at all (as libpq).
  deepStrictEqual(keywords("[a]\nnonsense here\n[s]\nport=1\n", "s"), ["port=1@4"]);
});

Deno.test("parseServiceFile: a line of 1023 bytes or more (with its newline) is an error", () => {
  // libpq reads lines into a 1024-byte buffer: 1021 bytes plus the newline fit.
  const ok = "[s]\noptions=" + "x".repeat(1021 - "options=".length) + "\n";
  deepStrictEqual(parseServiceFile(ok, "s", FILE)?.length, 1);
  const long = "[s]\noptions=" + "x".repeat(1022 - "options=".length) + "\n";
  throws(() => parseServiceFile(long, "s", FILE), {
    message: '/etc/pg_service.conf:2: line 2 too long in service file "/etc/pg_service.conf"',
  });
  // Bytes, not characters: 341 three-byte characters are 1023 bytes.
  throws(() => parseServiceFile("# " + "€".repeat(341) + "\n[s]\n", "s", FILE), /line 1 too long/);
});

Deno.test("serviceFileCandidates / libpqHome: PGSERVICEFILE or ~/.pg_service.conf, then PGSYSCONFDIR", () => {
  const base = { homeDir: "/home/u", sysconfDir: "/etc/postgresql-common" };
  deepStrictEqual(serviceFileCandidates({ ...base, env: {} }), [
    { path: "/home/u/.pg_service.conf", required: false },
    { path: "/etc/postgresql-common/pg_service.conf", required: false },
  ]);
  deepStrictEqual(
    serviceFileCandidates({
      ...base,
      env: { PGSERVICEFILE: "/srv/svc.conf", PGSYSCONFDIR: "/opt/pg/etc", HOME: "/x" },
    }),
    [
      { path: "/srv/svc.conf", required: true },
      { path: "/opt/pg/etc/pg_service.conf", required: false },
    ],
  );
  strictEqual(libpqHome({ env: { HOME: "/from-env" }, homeDir: "/home/u" }), "/from-env");
  strictEqual(libpqHome({ env: { HOME: "" }, homeDir: "/home/u" }), "/home/u");
  strictEqual(
    libpqHome({ env: { APPDATA: "C:\\Users\\u\\AppData\\Roaming" }, windows: true }),
    "C:\\Users\\u\\AppData\\Roaming\\postgresql",
  );
});

Deno.test("findService: the user's file first, the system file when it lacks the service", async () => {
  await using dir = await scratch();
  await dir.write(".pg_service.conf", "[mine]\nhost=user-file\n");
  await dir.write("pg_service.conf", "[mine]\nhost=system\n[shared]\nhost=system-shared\n", 0o644);
  const environment = testEnvironment({ env: { HOME: dir.path, PGSYSCONFDIR: dir.path } });
  const mine = await findService("mine", "env:PGSERVICE", environment);
  deepStrictEqual(mine, {
    name: "mine",
    file: join(dir.path, ".pg_service.conf"),
    entries: [{ keyword: "host", value: "user-file", line: 2 }],
  });
  const shared = await findService("shared", "config", environment);
  strictEqual(shared.file, join(dir.path, "pg_service.conf"));
  strictEqual(shared.entries[0].value, "system-shared");
});

Deno.test("findService: an unknown service names the service, its source and the files searched", async () => {
  await using dir = await scratch();
  await dir.write("pg_service.conf", "[other]\nhost=x\n");
  const environment = testEnvironment({ env: { HOME: dir.path, PGSYSCONFDIR: dir.path } });
  await rejects(findService("nope", "env:PGSERVICE", environment), {
    name: "ConfigError",
    message: `environment variable PGSERVICE: definition of service "nope" not found (searched ${
      join(dir.path, ".pg_service.conf")
    } (missing), ${join(dir.path, "pg_service.conf")})`,
  });
  await rejects(
    findService("nope", "config", environment, "app.yaml"),
    /^ConfigError: app\.yaml: connection_settings\.service: definition of service "nope" not found/,
  );
});

Deno.test("findService: PGSERVICEFILE must exist; it replaces ~/.pg_service.conf", async () => {
  await using dir = await scratch();
  await dir.write(".pg_service.conf", "[s]\nhost=home\n");
  const missing = join(dir.path, "missing.conf");
  const environment = testEnvironment({ env: { HOME: dir.path, PGSERVICEFILE: missing } });
  await rejects(findService("s", "env:PGSERVICE", environment), {
    message: `environment variable PGSERVICEFILE: service file "${missing}" not found`,
  });
  const chosen = await dir.write("chosen.conf", "[s]\nhost=chosen\n");
  const def = await findService(
    "s",
    "env:PGSERVICE",
    testEnvironment({ env: { HOME: dir.path, PGSERVICEFILE: chosen } }),
  );
  strictEqual(def.entries[0].value, "chosen");
});
