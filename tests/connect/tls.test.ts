// Unit tests of planTls: libpq's sslmode rules, file handling and messages (no server).
import assert from "node:assert/strict";
import { join } from "node:path";
import { NO_TLS, planTls, tlsConnectOptions } from "../../src/connect/tls.ts";
import { ConfigError } from "../../src/errors.ts";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
const KEY_SECRET = "MIIEsecretkeymaterial";
const KEY = `-----BEGIN PRIVATE KEY-----\n${KEY_SECRET}\n-----END PRIVATE KEY-----\n`;

/** Runs `fn` with HOME set to a fresh directory (libpq's ~/.postgresql defaults live there). */
async function withHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const saved = Deno.env.get("HOME");
  const home = await Deno.makeTempDir({ prefix: "pgm-home-" });
  Deno.env.set("HOME", home);
  try {
    return await fn(home);
  } finally {
    if (saved === undefined) Deno.env.delete("HOME");
    else Deno.env.set("HOME", saved);
    await Deno.remove(home, { recursive: true });
  }
}

async function files(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const ca = join(dir, "ca.crt");
  const cert = join(dir, "client.crt");
  const key = join(dir, "client.key");
  await Deno.writeTextFile(ca, CERT);
  await Deno.writeTextFile(cert, CERT);
  await Deno.writeTextFile(key, KEY, { mode: 0o600 });
  await Deno.chmod(key, 0o600);
  return { ca, cert, key };
}

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("sslmode defaults to prefer: TLS if the server agrees, nothing verified", async () => {
  await withHome(async () => {
    const plan = await planTls({ host: "db" });
    assert.equal(plan.sslmode, "prefer");
    assert.equal(plan.negotiation, "prefer");
    assert.equal(plan.verify, "none");
  });
});

Deno.test("disable and Unix sockets plan no TLS at all", async () => {
  assert.equal(await planTls({ host: "db", sslmode: "disable" }), NO_TLS);
  const unix = await planTls({ host: "/var/run/postgresql", sslmode: "verify-full" });
  assert.equal(unix.negotiation, "disable");
  assert.equal(unix.sslmode, "verify-full");
});

Deno.test("each sslmode maps to libpq's negotiation and verification", async () => {
  await withHome(async (home) => {
    const f = await files(home);
    const cases = [
      ["allow", undefined, "allow", "none"],
      ["prefer", undefined, "prefer", "none"],
      ["require", undefined, "require", "none"],
      ["allow", f.ca, "allow", "verify-ca"],
      ["prefer", f.ca, "prefer", "verify-ca"],
      ["require", f.ca, "require", "verify-ca"],
      ["verify-ca", f.ca, "require", "verify-ca"],
      ["verify-full", f.ca, "require", "verify-full"],
    ] as const;
    for (const [sslmode, sslrootcert, negotiation, verify] of cases) {
      const plan = await planTls({ host: "db", sslmode, sslrootcert });
      assert.equal(plan.negotiation, negotiation, `${sslmode} ${sslrootcert}`);
      assert.equal(plan.verify, verify, `${sslmode} ${sslrootcert}`);
      assert.equal(plan.ca, sslrootcert ? CERT : undefined);
    }
  });
});

Deno.test("~/.postgresql/root.crt is used when sslrootcert is not set (require then verifies)", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(join(home, ".postgresql"));
    await Deno.writeTextFile(join(home, ".postgresql", "root.crt"), CERT);
    const plan = await planTls({ host: "db", sslmode: "require" });
    assert.equal(plan.verify, "verify-ca");
    assert.equal(plan.rootCert, join(home, ".postgresql", "root.crt"));
  });
});

Deno.test("verify-ca/verify-full without any root certificate is an error like libpq's", async () => {
  await withHome(async (home) => {
    for (const sslmode of ["verify-ca", "verify-full"] as const) {
      const e = await configError(planTls({ host: "db", sslmode }));
      assert.equal(e.key, "connection_settings.sslrootcert");
      assert.match(e.message, /root certificate file ".*\.postgresql\/root\.crt" does not exist/);
      assert.ok(e.message.includes(home));
      assert.match(e.message, /use sslrootcert=system, or change sslmode/);
      assert.ok(!e.message.includes("\n"));
    }
  });
});

Deno.test("sslrootcert=system means the OS trust store (as OpenSSL finds it) and requires verify-full", async () => {
  const plan = await planTls({ host: "db", sslmode: "verify-full", sslrootcert: "system" });
  assert.equal(plan.rootCert, "system");
  const bundle = await Deno.readTextFile("/etc/ssl/certs/ca-certificates.crt").catch(() =>
    undefined
  );
  assert.equal(plan.ca, bundle, "Debian's bundle when it exists, else the runtime's store");
  assert.equal(plan.verify, "verify-full");
  assert.equal((await planTls({ host: "db", sslrootcert: "system" })).sslmode, "verify-full");
  const e = await configError(planTls({ host: "db", sslmode: "require", sslrootcert: "system" }));
  assert.equal(
    e.message,
    'connection_settings.sslmode: weak sslmode "require" may not be used with sslrootcert=system (use "verify-full")',
  );
});

Deno.test("a missing or unreadable certificate file is a ConfigError naming the key and path", async () => {
  const e = await configError(
    planTls({ host: "db", sslmode: "require", sslrootcert: "/x/ca.crt" }),
  );
  assert.equal(
    e.message,
    "connection_settings.sslrootcert: cannot read '/x/ca.crt': file not found",
  );
  await withHome(async (home) => {
    const f = await files(home);
    const cert = await configError(
      planTls({ host: "db", sslmode: "require", sslcert: "/x/c.crt", sslkey: f.key }),
    );
    assert.equal(
      cert.message,
      "connection_settings.sslcert: cannot read '/x/c.crt': file not found",
    );
    const key = await configError(
      planTls({ host: "db", sslmode: "require", sslcert: f.cert, sslkey: "/x/c.key" }),
    );
    assert.equal(key.message, "connection_settings.sslkey: cannot read '/x/c.key': file not found");
    const dir = await configError(planTls({ host: "db", sslmode: "require", sslrootcert: home }));
    assert.equal(
      dir.message,
      `connection_settings.sslrootcert: cannot read '${home}': is a directory`,
    );
  });
});

Deno.test("key material never shows up in messages, logs or JSON", async () => {
  await withHome(async (home) => {
    const f = await files(home);
    const plan = await planTls({
      host: "db",
      sslmode: "verify-full",
      sslrootcert: f.ca,
      sslcert: f.cert,
      sslkey: f.key,
    });
    assert.equal(plan.key, KEY);
    assert.equal(plan.cert, CERT);
    assert.equal(plan.keyFile, f.key);
    assert.ok(!JSON.stringify(plan).includes(KEY_SECRET));
    assert.ok(!Deno.inspect(plan).includes(KEY_SECRET));
    // A key file with group/world access is refused (as libpq does), without echoing it.
    await Deno.chmod(f.key, 0o644);
    const perm = await configError(
      planTls({ host: "db", sslmode: "require", sslcert: f.cert, sslkey: f.key }),
    );
    assert.match(
      perm.message,
      /^connection_settings\.sslkey: private key file '.*' has group or world access/,
    );
    assert.ok(!perm.message.includes(KEY_SECRET));
    // A file that is not PEM is refused, without echoing it.
    const notPem = join(home, "notpem.key");
    await Deno.writeTextFile(notPem, KEY_SECRET, { mode: 0o600 });
    const bad = await configError(
      planTls({ host: "db", sslmode: "require", sslcert: f.cert, sslkey: notPem }),
    );
    assert.equal(
      bad.message,
      `connection_settings.sslkey: '${notPem}' does not contain a PEM private key`,
    );
  });
});

Deno.test("sslcert without a key (and no ~/.postgresql/postgresql.key) is an error", async () => {
  await withHome(async (home) => {
    const f = await files(home);
    const e = await configError(planTls({ host: "db", sslmode: "require", sslcert: f.cert }));
    assert.equal(e.key, "connection_settings.sslkey");
    assert.match(e.message, /certificate present, but not private key file ".*postgresql\.key"/);
  });
});

Deno.test("tlsConnectOptions: SNI only for names, no host name check for verify-ca", async () => {
  await withHome(async (home) => {
    const f = await files(home);
    const full = tlsConnectOptions(
      await planTls({ host: "db", sslmode: "verify-full", sslrootcert: f.ca }),
      "db",
    );
    assert.equal(full.servername, "db");
    assert.equal(full.host, "db");
    assert.equal(full.rejectUnauthorized, true);
    assert.equal(full.checkServerIdentity, undefined);
    const ca = tlsConnectOptions(
      await planTls({ host: "10.0.0.1", sslmode: "verify-ca", sslrootcert: f.ca }),
      "10.0.0.1",
    );
    assert.equal(ca.servername, undefined);
    assert.equal(ca.rejectUnauthorized, true);
    assert.equal(ca.checkServerIdentity?.("10.0.0.1", {} as never), undefined);
    const req = tlsConnectOptions(await planTls({ host: "::1", sslmode: "require" }), "::1");
    assert.equal(req.rejectUnauthorized, false);
    assert.equal(req.servername, undefined);
  });
});
