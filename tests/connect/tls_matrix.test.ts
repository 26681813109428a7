// The sslmode matrix against the throwaway server (TLS on, certificate for DNS:localhost only,
// signed by ca.crt; pg_hba: certuser needs a client certificate, sslonly is refused without TLS),
// through postgres.js with our transport as its `socket`.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { freshDatabase, testCertPaths, testServer } from "../support/db.ts";
import type { ConnectionSettings } from "../../src/config/types.ts";
import { ConfigError, ConnectionError } from "../../src/errors.ts";
import { planTls } from "../../src/connect/tls.ts";
import { validateConfig } from "../../src/config/validate.ts";
import { openConnection } from "../../src/connect/open.ts";
import type { PGConnection, PoolStats } from "../../src/connect/handle.ts";

const SSLONLY_PASSWORD = "sslonly-pw-7d1c";

interface Client {
  sql: postgres.Sql;
  stats(): PoolStats;
  close(): Promise<void>;
}

/** A handle for `settings` (host/port/user/password default to the test server's); `max` > 1: a pool. */
function open(settings: ConnectionSettings, max = 1): Promise<PGConnection> {
  const s = testServer();
  const user = settings.user ?? s.user;
  const config = validateConfig({
    connection_settings: {
      host: s.host,
      port: s.port,
      user,
      password: user === s.user ? s.password : undefined,
      connect_timeout: 10,
      ...settings,
    },
    pool_settings: { min_size: 1, max_size: max },
  });
  return openConnection(config, max > 1 ? "pool" : "normal");
}

async function client(settings: ConnectionSettings, max = 1): Promise<Client> {
  const db = await open(settings, max);
  return { sql: db.sql, stats: () => db.stats(), close: () => db.close(1) };
}

async function sslState(sql: postgres.Sql): Promise<{ ssl: boolean; version: string | null }> {
  const [row] = await sql`SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
  return { ssl: row.ssl, version: row.version };
}

/** The error opening a connection fails with. */
async function failure(settings: ConnectionSettings): Promise<Error> {
  try {
    const db = await open(settings);
    await db.close();
  } catch (e) {
    return e as Error;
  }
  assert.fail(`expected the connection to fail for ${JSON.stringify(settings)}`);
}

function assertOneLineWithoutSecrets(e: Error): void {
  assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
  assert.ok(!e.message.includes(testServer().password), "no password in the message");
}

Deno.test({
  name: "sslmode matrix through postgres.js with our transport",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const certs = testCertPaths();
    const db = await freshDatabase("tls matrix");
    const dbname = db.dbname;
    try {
      await db.admin.unsafe(`
        DO $$ BEGIN CREATE ROLE certuser LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
        DO $$ BEGIN CREATE ROLE sslonly LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
        ALTER ROLE sslonly PASSWORD '${SSLONLY_PASSWORD}';
      `);

      await t.step("verify-full with host localhost connects over TLS", async () => {
        const c = await client({
          host: "localhost",
          dbname,
          sslmode: "verify-full",
          sslrootcert: certs.ca,
        });
        try {
          assert.equal((await sslState(c.sql)).ssl, true);
          assert.equal(c.stats().tls, true);
        } finally {
          await c.close();
        }
      });

      await t.step(
        "verify-full with host 127.0.0.1 fails with a clear host-name message",
        async () => {
          const e = await failure({
            host: "127.0.0.1",
            dbname,
            sslmode: "verify-full",
            sslrootcert: certs.ca,
          });
          assert.ok(e instanceof ConnectionError);
          assert.equal(e.code, "ERR_TLS_CERT_ALTNAME_INVALID");
          assert.match(
            e.message,
            /server certificate for "localhost" \(and 1 other name\) does not match host name "127\.0\.0\.1" \(sslmode=verify-full\)$/,
          );
          assertOneLineWithoutSecrets(e);
        },
      );

      await t.step(
        "verify-ca with host 127.0.0.1 connects (chain only, no host name check)",
        async () => {
          const c = await client({
            host: "127.0.0.1",
            dbname,
            sslmode: "verify-ca",
            sslrootcert: certs.ca,
          });
          try {
            assert.equal((await sslState(c.sql)).ssl, true);
          } finally {
            await c.close();
          }
        },
      );

      await t.step("verify-ca against an unrelated CA fails", async () => {
        const e = await failure({
          host: "127.0.0.1",
          dbname,
          sslmode: "verify-ca",
          sslrootcert: certs.otherCa,
        });
        assert.ok(e instanceof ConnectionError);
        assert.match(
          e.message,
          /certificate verify failed: self-signed certificate in certificate chain \(checked against root certificate file ".*other-ca\.crt", sslmode=verify-ca\)/,
        );
        assertOneLineWithoutSecrets(e);
      });

      await t.step(
        "require with a root certificate verifies the chain (libpq's rule)",
        async () => {
          const e = await failure({
            host: "127.0.0.1",
            dbname,
            sslmode: "require",
            sslrootcert: certs.otherCa,
          });
          assert.match(e.message, /certificate verify failed: .*sslmode=require\)/);
          const c = await client({
            host: "127.0.0.1",
            dbname,
            sslmode: "require",
            sslrootcert: certs.ca,
          });
          try {
            assert.equal((await sslState(c.sql)).ssl, true);
          } finally {
            await c.close();
          }
        },
      );

      await t.step("require without a root certificate encrypts without verifying", async () => {
        const c = await client({ host: "127.0.0.1", dbname, sslmode: "require" });
        try {
          const state = await sslState(c.sql);
          assert.equal(state.ssl, true);
          assert.match(state.version ?? "", /^TLSv1\.[23]$/);
        } finally {
          await c.close();
        }
      });

      await t.step("prefer uses TLS when the server offers it", async () => {
        const c = await client({ host: "127.0.0.1", dbname, sslmode: "prefer" });
        try {
          assert.equal((await sslState(c.sql)).ssl, true);
        } finally {
          await c.close();
        }
      });

      await t.step("disable stays plaintext", async () => {
        const c = await client({ host: "127.0.0.1", dbname, sslmode: "disable" });
        try {
          assert.equal((await sslState(c.sql)).ssl, false);
          assert.equal(c.stats().tls, false);
        } finally {
          await c.close();
        }
      });

      await t.step("disable as a role that pg_hba refuses without TLS fails clearly", async () => {
        const e = await failure({
          user: "sslonly",
          password: SSLONLY_PASSWORD,
          dbname,
          sslmode: "disable",
        });
        assert.equal((e as { code?: string }).code, "28000");
        assert.match(e.message, /pg_hba\.conf rejects connection .*"sslonly".*no encryption/);
        assert.ok(!e.message.includes(SSLONLY_PASSWORD));
      });

      await t.step("allow retries over TLS when plaintext is refused", async () => {
        const c = await client({
          user: "sslonly",
          password: SSLONLY_PASSWORD,
          dbname,
          sslmode: "allow",
        }, 2);
        try {
          const [a, b] = await Promise.all([
            sslState(c.sql),
            c.sql`SELECT pg_sleep(0.05)`.then(() => sslState(c.sql)),
          ]);
          assert.equal(a.ssl, true);
          assert.equal(b.ssl, true);
          assert.equal(c.stats().tls, true);
        } finally {
          await c.close();
        }
      });

      await t.step("allow stays plaintext when the server accepts it", async () => {
        const c = await client({ dbname, sslmode: "allow" });
        try {
          assert.equal((await sslState(c.sql)).ssl, false);
          assert.equal(c.stats().tls, false);
        } finally {
          await c.close();
        }
      });

      await t.step("a client certificate authenticates certuser (verify-full)", async () => {
        const c = await client({
          host: "localhost",
          user: "certuser",
          dbname,
          sslmode: "verify-full",
          sslrootcert: certs.ca,
          sslcert: certs.clientCert,
          sslkey: certs.clientKey,
        });
        try {
          const [row] = await c.sql`
            SELECT current_user AS who, ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
          assert.deepEqual({ ...row }, { who: "certuser", ssl: true, client_dn: "/CN=certuser" });
        } finally {
          await c.close();
        }
      });

      await t.step("certuser without a client certificate is refused", async () => {
        const e = await failure({
          host: "localhost",
          user: "certuser",
          dbname,
          sslmode: "verify-full",
          sslrootcert: certs.ca,
        });
        assert.equal((e as { code?: string }).code, "28000");
        assert.match(e.message, /certificate/);
      });

      await t.step(
        "a missing sslrootcert file is a ConfigError before any connection",
        async () => {
          const missing = `${certs.ca}.missing`;
          await assert.rejects(
            planTls({ host: "localhost", sslmode: "verify-full", sslrootcert: missing }),
            (e: unknown) => {
              assert.ok(e instanceof ConfigError);
              assert.equal(
                e.message,
                `connection_settings.sslrootcert: root certificate file "${missing}" does not ` +
                  `exist; either provide the file, use the system's trusted roots with ` +
                  `sslrootcert=system, or change sslmode to disable server certificate verification`,
              );
              return true;
            },
          );
        },
      );

      await t.step("sslmode is ignored over a Unix socket (as in libpq)", async () => {
        const dir = "/tmp";
        try {
          await Deno.stat(`${dir}/.s.PGSQL.${testServer().port}`);
        } catch {
          return; // the server has no socket there on this machine
        }
        const c = await client({ host: dir, dbname, sslmode: "verify-full" });
        try {
          assert.equal((await sslState(c.sql)).ssl, false);
          assert.equal(c.stats().tls, false);
        } finally {
          await c.close();
        }
      });

      await t.step(
        "sslrootcert=system: the OS store as OpenSSL finds it (SSL_CERT_FILE first)",
        async () => {
          const e = await failure({ host: "localhost", dbname, sslrootcert: "system" });
          assert.match(
            e.message,
            /certificate verify failed: .*the system's trusted roots \(sslrootcert=system\), sslmode=verify-full\)/,
          );
          // With SSL_CERT_FILE naming the test CA, that is the "system" store (as for libpq/OpenSSL).
          Deno.env.set("SSL_CERT_FILE", certs.ca);
          try {
            const c = await client({ host: "localhost", dbname, sslrootcert: "system" });
            try {
              assert.equal((await sslState(c.sql)).ssl, true);
            } finally {
              await c.close();
            }
          } finally {
            Deno.env.delete("SSL_CERT_FILE");
          }
        },
      );

      await t.step("failing connections keep failing fast, never hang", async () => {
        for (let i = 0; i < 4; i++) {
          await assert.rejects(
            open({ host: "127.0.0.1", dbname, sslmode: "verify-full", sslrootcert: certs.ca }, 2),
            /does not match host name/,
          );
        }
      });
    } finally {
      await db.close();
    }
  },
});
