/**
 * Test certificates made with `openssl`: a CA, a server certificate for
 * `localhost` only (so `127.0.0.1` is a wrong host name for verify-full), a
 * client certificate for the role `certuser`, and a second, unrelated CA.
 *
 * @module
 */
import { join } from "node:path";

/** Paths of the generated PEM files. */
export interface TestCerts {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherCaCert: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
}

const CLIENT_EXTENSIONS = "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
const SERVER_EXTENSIONS = "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n" +
  "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n";

/**
 * Writes `<name>.key` (mode 0600) and `<name>.crt`, a certificate for the
 * common name `cn` with the X.509 `extensions` (openssl's extfile lines),
 * signed by the CA `ca`, into `dir`.
 */
async function issueCertificate(
  dir: string,
  name: string,
  cn: string,
  extensions: string,
  ca: { cert: string; key: string },
  days: string,
): Promise<{ cert: string; key: string }> {
  await Deno.writeTextFile(join(dir, `${name}.ext`), extensions);
  await openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ], dir);
  await openssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    days,
    "-extfile",
    `${name}.ext`,
  ], dir);
  await Deno.chmod(join(dir, `${name}.key`), 0o600);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/**
 * Writes `<name>.key` (mode 0600) and `<name>.crt`, a client certificate for
 * the common name `cn` signed by the CA `ca`, into `dir`.
 *
 * @example
 * ```ts ignore
 * await issueClientCertificate(dir, "stranger", "postgres", { cert: otherCa, key: otherCaKey });
 * ```
 */
export function issueClientCertificate(
  dir: string,
  name: string,
  cn: string,
  ca: { cert: string; key: string },
  days = "3650",
): Promise<{ cert: string; key: string }> {
  return issueCertificate(dir, name, cn, CLIENT_EXTENSIONS, ca, days);
}

/** Writes a self-signed CA, `<name>.crt` and `<name>.key`, into `dir`. */
async function makeCa(dir: string, name: string, cn: string, days: string): Promise<void> {
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-days",
    days,
    "-subj",
    `/CN=${cn}`,
  ], dir);
}

/** Generates all test certificates into `dir` (created if missing). */
export async function makeTestCerts(dir: string): Promise<TestCerts> {
  await Deno.mkdir(dir, { recursive: true });
  const days = "3650";
  await makeCa(dir, "ca", "pgmonkey test CA", days);
  await makeCa(dir, "other-ca", "pgmonkey other CA", days);
  const ca = { cert: join(dir, "ca.crt"), key: join(dir, "ca.key") };
  await issueCertificate(dir, "server", "localhost", SERVER_EXTENSIONS, ca, days);
  await issueClientCertificate(dir, "client", "certuser", ca, days);
  return {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    serverCert: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.crt"),
    clientKey: join(dir, "client.key"),
    otherCaCert: join(dir, "other-ca.crt"),
  };
}
