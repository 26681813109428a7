// Unit tests of chainFailure: OpenSSL's reason for a server certificate chain that fails
// verification (certificates made with openssl; no server).
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { chainFailure } from "../../src/connect/transport/verify.ts";
import { issueExpiredServerCertificate, makeTestCerts } from "../support/certs.ts";

const dir = await Deno.makeTempDir({ prefix: "pgm-verify-" });
const certs = await makeTestCerts(join(dir, "certs"));
const ca = { cert: certs.caCert, key: certs.caKey };
const otherCa = { cert: certs.otherCaCert, key: join(certs.dir, "other-ca.key") };
const expired = await issueExpiredServerCertificate(certs.dir, "expired", ca);
const expiredOther = await issueExpiredServerCertificate(certs.dir, "expired-other", otherCa);

const der = (path: string) => new X509Certificate(Deno.readTextFileSync(path)).raw;
const pem = (path: string) => Deno.readTextFileSync(path);

Deno.test("a valid chain has no failure", () => {
  assert.equal(chainFailure([der(certs.serverCert)], pem(certs.caCert)), undefined);
});

Deno.test("an expired certificate from the right CA: certificate has expired", () => {
  assert.equal(chainFailure([der(expired.cert)], pem(certs.caCert)), "CERT_HAS_EXPIRED");
});

Deno.test("a certificate from another CA: unable to get local issuer certificate", () => {
  assert.equal(
    chainFailure([der(certs.serverCert)], pem(certs.otherCaCert)),
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  );
});

Deno.test("an expired certificate from another CA: the issuer is reported first (as OpenSSL)", () => {
  assert.equal(
    chainFailure([der(expiredOther.cert)], pem(certs.caCert)),
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  );
});

Deno.test("a self-signed certificate that is not trusted", () => {
  assert.equal(
    chainFailure([der(certs.otherCaCert)], pem(certs.caCert)),
    "DEPTH_ZERO_SELF_SIGNED_CERT",
  );
});

Deno.test("a chain checked before it is valid: certificate is not yet valid", () => {
  assert.equal(
    chainFailure([der(certs.serverCert)], pem(certs.caCert), new Date("2001-01-01T00:00:00Z")),
    "CERT_NOT_YET_VALID",
  );
});

Deno.test("the right CA among many roots (a bundle) is found", () => {
  const bundle = pem(certs.otherCaCert) + pem(certs.caCert);
  assert.equal(chainFailure([der(certs.serverCert)], bundle), undefined);
  assert.equal(chainFailure([der(expired.cert)], bundle), "CERT_HAS_EXPIRED");
});

Deno.test("without roots (the runtime's store) only the dates can be told", () => {
  assert.equal(chainFailure([der(expired.cert)], undefined), "CERT_HAS_EXPIRED");
  assert.equal(chainFailure([der(certs.serverCert)], undefined), undefined);
});

Deno.test("teardown: remove the certificates", () => Deno.remove(dir, { recursive: true }));
