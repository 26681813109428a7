import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { passwordFor, resolveTarget } from "../../src/libpq/resolve.ts";
import { settingsFor, targetSecrets } from "../../src/libpq/target.ts";
import { validateConfig } from "../../src/config/validate.ts";
import type { ConnectionSettings } from "../../src/config/types.ts";
import { scratch, testEnvironment } from "./_environment.ts";

const resolve = (
  settings: ConnectionSettings,
  env: Record<string, string> = {},
  extra: Parameters<typeof testEnvironment>[0] = {},
) => resolveTarget(settings, testEnvironment({ env, ...extra }), { file: "app.yaml" });

/** `connection_settings` as validateConfig makes them (so `''` lands in emptyKeys). */
const validated = (cs: Record<string, unknown>) =>
  validateConfig({ connection_settings: cs }).connection_settings;

Deno.test("resolveTarget: libpq's built-in defaults", async () => {
  const t = await resolve({});
  deepStrictEqual(t.hosts, [{ host: "localhost", port: 5432, kind: "tcp", address: "localhost" }]);
  strictEqual(t.user, "osuser");
  strictEqual(t.dbname, "osuser");
  strictEqual(t.sslmode, "prefer");
  strictEqual(t.sslnegotiation, "postgres");
  strictEqual(t.target_session_attrs, "any");
  strictEqual(t.load_balance_hosts, "disable");
  strictEqual(t.keepalives, true);
  strictEqual(t.password, undefined);
  strictEqual(t.passfile, "/nonexistent-home/.pgpass");
  strictEqual(t.sources.host, "default");
  strictEqual(t.sources.user, "default");
  deepStrictEqual(t.ignored, []);
  deepStrictEqual(t.envSettings, {});
  // With the socket directory present, it is the default host.
  const sock = await resolve({}, {}, { socketDir: "/var/run/postgresql" });
  deepStrictEqual(sock.hosts.map((h) => [h.kind, h.address]), [
    ["unix", "/var/run/postgresql/.s.PGSQL.5432"],
  ]);
});

Deno.test("resolveTarget: every PG* variable fills what the config leaves out", async () => {
  const t = await resolve({}, {
    PGHOST: "db1,db2",
    PGHOSTADDR: "10.0.0.1,10.0.0.2",
    PGPORT: "5433,5434",
    PGUSER: "app",
    PGDATABASE: "appdb",
    PGPASSWORD: "env-secret",
    PGSSLMODE: "verify-full",
    PGSSLROOTCERT: "/etc/ca.crt",
    PGSSLCERT: "/etc/client.crt",
    PGSSLKEY: "/etc/client.key",
    PGSSLNEGOTIATION: "direct",
    PGAPPNAME: "worker",
    PGCONNECT_TIMEOUT: "7",
    PGTARGETSESSIONATTRS: "read-write",
    PGLOADBALANCEHOSTS: "random",
    PGOPTIONS: "-c search_path=app",
  });
  deepStrictEqual(t.hosts.map((h) => [h.host, h.hostaddr, h.port]), [
    ["db1", "10.0.0.1", 5433],
    ["db2", "10.0.0.2", 5434],
  ]);
  deepStrictEqual(
    [t.user, t.dbname, t.password, t.sslmode, t.sslrootcert, t.sslcert, t.sslkey],
    [
      "app",
      "appdb",
      "env-secret",
      "verify-full",
      "/etc/ca.crt",
      "/etc/client.crt",
      "/etc/client.key",
    ],
  );
  deepStrictEqual(
    [t.sslnegotiation, t.application_name, t.connect_timeout, t.target_session_attrs],
    ["direct", "worker", 7, "read-write"],
  );
  strictEqual(t.load_balance_hosts, "random");
  strictEqual(t.options, "-c search_path=app");
  strictEqual(t.passfile, undefined); // a password was given: no password file
  strictEqual(t.sources.password, "env:PGPASSWORD");
  strictEqual(t.sources.target_session_attrs, "env:PGTARGETSESSIONATTRS");
  deepStrictEqual(targetSecrets(t), ["env-secret"]);
});

Deno.test("resolveTarget: a value in the file wins over the environment", async () => {
  const t = await resolve(
    validated({ host: "filehost", port: 6000, user: "fileuser", sslmode: "disable" }),
    { PGHOST: "envhost", PGPORT: "7000", PGUSER: "envuser", PGSSLMODE: "require" },
  );
  deepStrictEqual(t.hosts.map((h) => `${h.host}:${h.port}`), ["filehost:6000"]);
  strictEqual(t.user, "fileuser");
  strictEqual(t.sslmode, "disable");
  strictEqual(t.sources.host, "config");
  strictEqual(t.sources.port, "config");
});

Deno.test("resolveTarget: '' in the file shuts out the environment; null does not (as libpq via Python)", async () => {
  const env = {
    PGHOST: "envhost",
    PGPASSWORD: "env-secret",
    PGSSLROOTCERT: "/env/ca.crt",
    PGUSER: "envuser",
  };
  const empty = await resolve(
    validated({ host: "", password: "", sslrootcert: "", user: "" }),
    env,
  );
  strictEqual(empty.hosts[0].host, "localhost");
  strictEqual(empty.password, undefined);
  strictEqual(empty.passfile, "/nonexistent-home/.pgpass"); // '' password: .pgpass is still read
  strictEqual(empty.sslrootcert, undefined);
  strictEqual(empty.user, "osuser");
  strictEqual(empty.sources.host, "config");
  const nulls = await resolve(
    validated({ host: null, password: null, sslrootcert: null, user: null }),
    env,
  );
  strictEqual(nulls.hosts[0].host, "envhost");
  strictEqual(nulls.password, "env-secret");
  strictEqual(nulls.sslrootcert, "/env/ca.crt");
  strictEqual(nulls.user, "envuser");
});

Deno.test("resolveTarget: a service fills in between the file and the environment", async () => {
  await using dir = await scratch();
  const file = await dir.write(
    "svc.conf",
    "[prod]\nhost=svc1,svc2\nport=6432\nuser=svcuser\npassword=svc-secret\nkeepalives=0\n" +
      "keepalives_idle=30\nconnect_timeout=1\n",
  );
  const t = await resolve(
    { dbname: "from-file" },
    {
      PGSERVICE: "prod",
      PGSERVICEFILE: file,
      PGHOST: "envhost",
      PGUSER: "envuser",
      PGAPPNAME: "a",
    },
  );
  deepStrictEqual(t.hosts.map((h) => `${h.host}:${h.port}`), ["svc1:6432", "svc2:6432"]);
  strictEqual(t.user, "svcuser"); // service beats PGUSER
  strictEqual(t.dbname, "from-file"); // the file beats the service
  strictEqual(t.application_name, "a"); // not in the service: the environment
  strictEqual(t.password, "svc-secret");
  strictEqual(t.keepalives, false);
  strictEqual(t.keepalives_idle, 30);
  strictEqual(t.connect_timeout, 2); // libpq's minimum
  deepStrictEqual(t.service, { name: "prod", file });
  strictEqual(t.sources.host, `service:${file}:2`);
  strictEqual(t.sources.service, "env:PGSERVICE");
  strictEqual(t.sources.application_name, "env:PGAPPNAME");
  // The config's `service` key works too, and wins over PGSERVICE.
  await dir.write("svc.conf", "[prod]\nhost=p\n[staging]\nhost=s\n");
  const s = await resolve({ service: "staging" }, { PGSERVICE: "prod", PGSERVICEFILE: file });
  strictEqual(s.hosts[0].host, "s");
});

Deno.test("resolveTarget: sslmode defaults: PGREQUIRESSL, sslrootcert=system", async () => {
  strictEqual((await resolve({}, { PGREQUIRESSL: "1" })).sslmode, "require");
  strictEqual((await resolve({}, { PGREQUIRESSL: "0" })).sslmode, "prefer");
  strictEqual((await resolve({}, { PGREQUIRESSL: "1", PGSSLMODE: "allow" })).sslmode, "allow");
  strictEqual((await resolve({ sslrootcert: "system" })).sslmode, "verify-full");
  strictEqual((await resolve({}, { PGSSLROOTCERT: "system" })).sslmode, "verify-full");
});

Deno.test("resolveTarget: bad values are one-line errors naming their source", async () => {
  await rejects(resolve({}, { PGTARGETSESSIONATTRS: "master" }), {
    name: "ConfigError",
    message:
      'environment variable PGTARGETSESSIONATTRS: invalid target_session_attrs value "master"; ' +
      "expected one of: any, read-write, read-only, primary, standby, prefer-standby",
  });
  await rejects(resolve({}, { PGLOADBALANCEHOSTS: "yes" }), /PGLOADBALANCEHOSTS: invalid/);
  await rejects(resolve({}, { PGSSLMODE: "on" }), /PGSSLMODE: invalid sslmode value "on"/);
  await rejects(resolve({}, { PGCONNECT_TIMEOUT: "5s" }), /invalid integer value "5s"/);
  await rejects(resolve({ host: "a,b" }, { PGPORT: "1,2,3" }), {
    message: "app.yaml: could not match 3 port numbers (environment variable PGPORT) to " +
      "2 hosts (connection_settings.host)",
  });
  await rejects(resolve({ sslrootcert: "system", sslmode: "require" }), {
    message: 'app.yaml: connection_settings.sslmode: weak sslmode "require" may not be used ' +
      'with sslrootcert=system (use "verify-full")',
  });
  await rejects(resolve({ sslnegotiation: "direct" }, {}), {
    message: 'app.yaml: connection_settings.sslnegotiation: weak sslmode "prefer" may not be ' +
      'used with sslnegotiation=direct (use "require", "verify-ca", or "verify-full")',
  });
  await rejects(resolve({}, { PGSERVICE: "nope" }), /PGSERVICE: definition of service "nope"/);
  await rejects(
    resolve({}, {}, { userName: undefined }),
    /no user name: set connection_settings.user/,
  );
  await using dir = await scratch();
  const file = await dir.write("svc.conf", "[s]\nport=\nsslmode=maybe\n");
  await rejects(resolve({}, { PGSERVICE: "s", PGSERVICEFILE: file }), {
    message: `${file}:3: sslmode: invalid sslmode value "maybe"; expected one of: disable, ` +
      "allow, prefer, require, verify-ca, verify-full",
  });
});

Deno.test("resolveTarget: unsupported parameters are listed; unenforceable protections refused", async () => {
  const t = await resolve({}, {
    PGSSLSNI: "0",
    PGCHANNELBINDING: "prefer",
    PGCLIENTENCODING: "LATIN1",
    PGGSSENCMODE: "disable",
  });
  deepStrictEqual(t.ignored, [
    { keyword: "channel_binding", source: "env:PGCHANNELBINDING" },
    { keyword: "client_encoding", source: "env:PGCLIENTENCODING" },
    { keyword: "sslsni", source: "env:PGSSLSNI" },
    { keyword: "gssencmode", source: "env:PGGSSENCMODE" },
  ]);
  for (
    const [name, value] of [
      ["PGCHANNELBINDING", "require"],
      ["PGREQUIREAUTH", "scram-sha-256"],
      ["PGSSLCRL", "/etc/crl.pem"],
      ["PGGSSENCMODE", "require"],
      ["PGSSLMINPROTOCOLVERSION", "TLSv1.3"],
    ]
  ) {
    await rejects(resolve({}, { [name]: value }), (e: Error) => {
      ok(e.message.startsWith(`environment variable ${name}: `), e.message);
      ok(e.message.includes("is not supported by pgmonkey (Deno)"), e.message);
      return true;
    });
  }
  await using dir = await scratch();
  const file = await dir.write("svc.conf", "[s]\nrequire_auth=md5\n");
  await rejects(
    resolve({}, { PGSERVICE: "s", PGSERVICEFILE: file }),
    /svc\.conf:2: require_auth: /,
  );
});

Deno.test("resolveTarget: PGDATESTYLE, PGTZ, PGGEQO become startup settings ('default' is not sent)", async () => {
  const t = await resolve({}, { PGTZ: "UTC", PGDATESTYLE: "ISO, DMY", PGGEQO: "Default" });
  deepStrictEqual(t.envSettings, { timezone: "UTC", datestyle: "ISO, DMY" });
});

Deno.test("resolveTarget: host and port lists from the YAML file", async () => {
  const t = await resolve(validated({ host: "db1,db2,/tmp", port: "5432,,6432" }));
  deepStrictEqual(t.hosts.map((h) => [h.kind, h.address, h.port]), [
    ["tcp", "db1", 5432],
    ["tcp", "db2", 5432],
    ["unix", "/tmp/.s.PGSQL.6432", 6432],
  ]);
});

Deno.test("passwordFor: the target's password, else .pgpass per host (HOME, PGPASSFILE, passfile)", async () => {
  await using dir = await scratch();
  await dir.write(
    ".pgpass",
    "db1:5432:app:deploy:pw-db1\nlocalhost:*:*:deploy:pw-local\n*:*:*:other:x\n",
  );
  const environment = testEnvironment({
    env: { HOME: dir.path },
    socketDir: "/var/run/postgresql",
  });
  const settings = validated({ host: "db1,db2,", user: "deploy", dbname: "app" });
  const t = await resolveTarget(settings, environment);
  strictEqual(t.passfile, join(dir.path, ".pgpass"));
  const found = await Promise.all(t.hosts.map((h) => passwordFor(t, h, environment)));
  deepStrictEqual(found, [
    { password: "pw-db1", source: "pgpass", file: join(dir.path, ".pgpass"), line: 1 },
    {},
    // The default socket directory matches `localhost`.
    { password: "pw-local", source: "pgpass", file: join(dir.path, ".pgpass"), line: 2 },
  ]);
  // PGPASSFILE and the passfile key point elsewhere; the key wins.
  const other = await dir.write("other", "*:*:*:*:from-other\n");
  const viaEnv = await resolveTarget(
    settings,
    testEnvironment({
      env: { HOME: dir.path, PGPASSFILE: other },
    }),
  );
  strictEqual((await passwordFor(viaEnv, viaEnv.hosts[1], environment)).password, "from-other");
  const viaKey = await resolveTarget(
    { ...settings, passfile: join(dir.path, ".pgpass") },
    testEnvironment({ env: { HOME: dir.path, PGPASSFILE: other } }),
  );
  strictEqual((await passwordFor(viaKey, viaKey.hosts[0], environment)).password, "pw-db1");
  // A password from anywhere else wins, and .pgpass is not read.
  const withPw = await resolveTarget(
    settings,
    testEnvironment({
      env: { HOME: dir.path, PGPASSWORD: "env-pw" },
    }),
  );
  deepStrictEqual(await passwordFor(withPw, withPw.hosts[0], environment), {
    password: "env-pw",
    source: "env:PGPASSWORD",
  });
});

Deno.test("settingsFor: one host's view as connection_settings", async () => {
  const t = await resolve(
    validated({ host: "db1,db2", hostaddr: ",10.0.0.2", user: "u", password: "pw" }),
    { PGAPPNAME: "app", PGCONNECT_TIMEOUT: "5" },
  );
  deepStrictEqual(settingsFor(t, t.hosts[1]), {
    host: "db2",
    hostaddr: "10.0.0.2",
    port: 5432,
    user: "u",
    dbname: "u",
    sslmode: "prefer",
    keepalives: true,
    password: "pw",
    connect_timeout: 5,
    application_name: "app",
    sslnegotiation: "postgres",
    target_session_attrs: "any",
  });
});

Deno.test("resolveTarget: on Windows the password file is %APPDATA%\\postgresql\\pgpass.conf", async () => {
  const t = await resolve({}, { APPDATA: "C:\\Users\\u\\AppData\\Roaming" }, { windows: true });
  strictEqual(t.passfile, "C:\\Users\\u\\AppData\\Roaming\\postgresql\\pgpass.conf");
});
