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
      assert.match(
        e.message,
        /either provide the file, use the system's trusted roots with sslrootcert=system, or change sslmode/,
      );
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

Deno.test("a sslrootcert file that does not exist: no verification under allow/prefer/require, with a warning; refused under verify-*", async () => {
  for (const sslmode of ["verify-ca", "verify-full"] as const) {
    const e = await configError(planTls({ host: "db", sslmode, sslrootcert: "/x/ca.crt" }));
    assert.equal(e.key, "connection_settings.sslrootcert");
    assert.match(e.message, /root certificate file "\/x\/ca\.crt" does not exist; /);
  }
  for (const sslmode of ["allow", "prefer", "require"] as const) {
    const warnings: string[] = [];
    const plan = await planTls({ host: "db", sslmode, sslrootcert: "/x/ca.crt" }, {
      warn: (m) => warnings.push(m),
    });
    assert.equal(plan.verify, "none");
    assert.equal(plan.rootCert, undefined);
    assert.deepEqual(warnings, [
      `root certificate file "/x/ca.crt" does not exist: the server's certificate is not ` +
      `verified (sslmode=${sslmode}, as libpq); provide the file, or use sslmode=verify-full ` +
      `to refuse unverified servers`,
    ]);
  }
});

Deno.test("a sslcert file that does not exist means no client certificate (as libpq)", async () => {
  await withHome(async (home) => {
    const f = await files(home);
    const plan = await planTls({
      host: "db",
      sslmode: "require",
      sslcert: "/x/c.crt",
      sslkey: f.key,
    });
    assert.equal(plan.certFile, undefined);
    assert.equal(plan.key, undefined);
    assert.equal(plan.setupProblem, undefined);
  });
});

Deno.test("TLS file problems: a ConfigError under require/verify-*, the TLS attempt's failure under allow/prefer", async () => {
  await withHome(async (home) => {
    const f = await files(home);
    const problems: [Record<string, string>, string, string][] = [
      [
        { sslcert: f.cert, sslkey: "/x/c.key" },
        "sslkey",
        'certificate present, but not private key file "/x/c.key"',
      ],
      [
        { sslrootcert: home },
        "sslrootcert",
        `could not read root certificate file "${home}": is a directory`,
      ],
      [
        { sslcert: home },
        "sslcert",
        `could not read certificate file "${home}": is a directory`,
      ],
      [
        { sslcert: f.cert, sslkey: home },
        "sslkey",
        `private key file "${home}" is not a regular file`,
      ],
      [
        { sslrootcert: f.key },
        "sslrootcert",
        `could not read root certificate file "${f.key}": does not contain a PEM certificate`,
      ],
    ];
    for (const [settings, key, message] of problems) {
      for (const sslmode of ["require", "verify-ca"] as const) {
        const e = await configError(
          planTls({ host: "db", sslmode, sslrootcert: f.ca, ...settings }),
        );
        assert.equal(e.message, `connection_settings.${key}: ${message}`);
      }
      for (const sslmode of ["allow", "prefer"] as const) {
        const plan = await planTls({ host: "db", sslmode, ...settings });
        assert.equal(plan.setupProblem, message, `${sslmode} ${JSON.stringify(settings)}`);
        assert.equal(plan.negotiation, sslmode);
      }
    }
  });
});

Deno.test("an empty sslrootcert/sslcert/sslkey is an absent one (libpq's defaults apply)", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(join(home, ".postgresql"));
    await Deno.writeTextFile(join(home, ".postgresql", "root.crt"), CERT);
    const plan = await planTls({ host: "db", sslmode: "require", sslrootcert: "", sslcert: "" });
    assert.equal(plan.rootCert, join(home, ".postgresql", "root.crt"));
    assert.equal(plan.certFile, undefined);
  });
});

Deno.test("the home directory can be given (libpq's environment), else HOME is used", async () => {
  await withHome(async (home) => {
    const other = await Deno.makeTempDir({ prefix: "pgm-other-home-" });
    try {
      await Deno.mkdir(join(other, ".postgresql"));
      await Deno.writeTextFile(join(other, ".postgresql", "root.crt"), CERT);
      const given = await planTls({ host: "db", sslmode: "require" }, { home: other });
      assert.equal(given.rootCert, join(other, ".postgresql", "root.crt"));
      const fromEnv = await planTls({ host: "db", sslmode: "require" });
      assert.equal(fromEnv.rootCert, undefined, `nothing in ${home}/.postgresql`);
    } finally {
      await Deno.remove(other, { recursive: true });
    }
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
    // A file that is not PEM is refused, without echoing it.
    const notPem = join(home, "notpem.key");
    await Deno.writeTextFile(notPem, KEY_SECRET, { mode: 0o600 });
    const bad = await configError(
      planTls({ host: "db", sslmode: "require", sslcert: f.cert, sslkey: notPem }),
    );
    assert.equal(
      bad.message,
      `connection_settings.sslkey: could not load private key file "${notPem}": ` +
        `does not contain a PEM private key`,
    );
    assert.ok(!bad.message.includes(KEY_SECRET));
  });
});

Deno.test("libpq's key permission rule: 0600 or less, 0640 or less when owned by root", async () => {
  await withHome(async (home) => {
    const f = await files(home);
    const open = async (mode: number) => {
      await Deno.chmod(f.key, mode);
      return planTls({ host: "db", sslmode: "require", sslcert: f.cert, sslkey: f.key });
    };
    const refused = async (mode: number) => {
      const e = await configError(open(mode));
      assert.equal(
        e.message,
        `connection_settings.sslkey: private key file "${f.key}" has group or world access; ` +
          `file must have permissions u=rw (0600) or less if owned by the current user, or ` +
          `permissions u=rw,g=r (0640) or less if owned by root`,
        mode.toString(8),
      );
    };
    for (const mode of [0o600, 0o400, 0o700]) assert.equal((await open(mode)).keyFile, f.key);
    for (const mode of [0o644, 0o604, 0o660, 0o610]) await refused(mode);
    if (Deno.uid() === 0) assert.equal((await open(0o640)).keyFile, f.key);
    else await refused(0o640);
    // Under prefer the same problem fails the TLS attempt instead (prefer then uses plaintext).
    await Deno.chmod(f.key, 0o644);
    const plan = await planTls({ host: "db", sslmode: "prefer", sslcert: f.cert, sslkey: f.key });
    assert.match(plan.setupProblem ?? "", /^private key file ".*" has group or world access/);
    assert.equal(plan.key, undefined);
  });
});

Deno.test("a certificate without a key: an error under require, the TLS attempt's failure under prefer", async () => {
  await withHome(async (home) => {
    const f = await files(home);
    const e = await configError(planTls({ host: "db", sslmode: "require", sslcert: f.cert }));
    assert.equal(e.key, "connection_settings.sslkey");
    assert.equal(
      e.message,
      `connection_settings.sslkey: certificate present, but not private key file ` +
        `"${join(home, ".postgresql", "postgresql.key")}"`,
    );
    // ~/.postgresql/postgresql.crt alone, as libpq finds it.
    await Deno.mkdir(join(home, ".postgresql"));
    await Deno.copyFile(f.cert, join(home, ".postgresql", "postgresql.crt"));
    for (const sslmode of ["allow", "prefer"] as const) {
      const plan = await planTls({ host: "db", sslmode });
      assert.equal(
        plan.setupProblem,
        `certificate present, but not private key file "${
          join(home, ".postgresql", "postgresql.key")
        }"`,
      );
    }
  });
});

Deno.test("tlsConnectOptions: SNI only for names; the runtime verifies nothing (the transport does)", async () => {
  await withHome(async (home) => {
    const f = await files(home);
    const full = tlsConnectOptions(
      await planTls({ host: "db", sslmode: "verify-full", sslrootcert: f.ca }),
      "db",
    );
    assert.equal(full.servername, "db");
    assert.equal(full.host, "db");
    assert.equal(full.ca, CERT);
    assert.equal(full.rejectUnauthorized, false);
    assert.equal(full.checkServerIdentity?.("elsewhere", {} as never), undefined);
    const ca = tlsConnectOptions(
      await planTls({ host: "10.0.0.1", sslmode: "verify-ca", sslrootcert: f.ca }),
      "10.0.0.1",
    );
    assert.equal(ca.servername, undefined);
    const req = tlsConnectOptions(await planTls({ host: "::1", sslmode: "require" }), "::1");
    assert.equal(req.rejectUnauthorized, false);
    assert.equal(req.servername, undefined);
    assert.equal(req.ca, undefined);
  });
});
