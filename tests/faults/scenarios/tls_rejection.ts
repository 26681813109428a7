// TLS rejections in a loop: the client presents a certificate from a CA the server does not
// trust, so the server rejects it with a TLS 1.3 alert that arrives after the client's side of
// the handshake is done. 120 attempts over all four types, four at a time, while a healthy
// pool keeps committing: every attempt fails with a one-line error within connect_timeout, and
// the process never sees an uncaught error. Env: PGM_FAULT_TARGET, PGMONKEY_TEST_CERTDIR.
import { join } from "node:path";
import { ConnectionError, PGConnectionManager } from "../../../mod.ts";
import { startLoad } from "../_support/load.ts";
import { Scenario } from "../_support/scenario.ts";
import { issueClientCertificate } from "../../support/certs.ts";
import { adminSql, connectionSettings, faultTarget, idsIn } from "../_support/servers.ts";

const ATTEMPTS = 120;
const AT_ONCE = 4;
const CONNECT_TIMEOUT = 5;
const BOUND_MS = CONNECT_TIMEOUT * 1000 + 1500;
const TYPES = ["normal", "pool", "async", "async_pool"] as const;

await new Scenario(`TLS client certificate rejected, ${ATTEMPTS} attempts`).run(async (s) => {
  const target = faultTarget();
  const certDir = Deno.env.get("PGMONKEY_TEST_CERTDIR")!;
  const dir = await Deno.makeTempDir({ prefix: "pgm-stranger-" });
  const admin = adminSql(target);
  const m = new PGConnectionManager();
  try {
    // A client certificate from the test's other CA, which the server does not trust.
    const stranger = await issueClientCertificate(dir, "stranger", "postgres", {
      cert: join(certDir, "other-ca.crt"),
      key: join(certDir, "other-ca.key"),
    }, "30");
    const table = "acks_tls";
    await admin.unsafe(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    const healthy = await m.getDatabaseConnectionFromConfig({
      connection_settings: connectionSettings(target),
      pool_settings: { min_size: 2, max_size: 2, timeout: 5 },
    }, "pool");
    const load = startLoad(s, healthy, { workers: 2, table, boundMs: 7000 });
    const rejected = (i: number) => {
      const type = TYPES[i % TYPES.length];
      const verify = i % 2 === 0
        ? { sslmode: "require" }
        : { sslmode: "verify-ca", sslrootcert: join(certDir, "ca.crt") };
      return s.call(
        `${type} with a refused client certificate`,
        BOUND_MS,
        () =>
          m.getDatabaseConnectionFromConfig(
            {
              connection_settings: connectionSettings(target, {
                ...verify,
                sslcert: stranger.cert,
                sslkey: stranger.key,
                connect_timeout: CONNECT_TIMEOUT,
              }),
              pool_settings: { min_size: 1, max_size: 2, timeout: 5 },
              async_pool_settings: { min_size: 1, max_size: 2, timeout: 5 },
            },
            type,
            { forceReload: true },
          ),
      );
    };
    const messages = new Map<string, number>();
    let refused = 0;
    for (let i = 0; i < ATTEMPTS; i += AT_ONCE) {
      const batch = await Promise.all(
        Array.from({ length: AT_ONCE }, (_, k) => rejected(i + k)),
      );
      if (batch.some((r) => !r.ok && r.stuck)) break; // reported as late; no need to go on
      for (const r of batch) {
        if (r.ok) continue;
        if (r.error instanceof ConnectionError && !r.error.message.includes("\n")) refused++;
        const text = String((r.error as Error).message).replace(/:\d{4,5}\b/g, ":PORT");
        messages.set(text, (messages.get(text) ?? 0) + 1);
      }
    }
    await load.stop();
    s.check(
      "every attempt is refused with a one-line ConnectionError",
      refused === ATTEMPTS,
      `${refused} of ${ATTEMPTS}; ${JSON.stringify([...messages])}`,
    );
    s.figure("attempts refused", refused);
    s.figure("messages", [...messages.keys()].join(" | "));
    s.figure("healthy pool commits meanwhile", load.commitTimes.length);
    s.check("the healthy pool kept committing", load.commitTimes.length > 0);
    s.verifyAcked(await idsIn(admin, table));
  } finally {
    await m.clearCache();
    await admin.end({ timeout: 1 });
    await Deno.remove(dir, { recursive: true });
  }
});
