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
 * Writes a new RSA key `<name>.key` for the common name `cn` into `dir`, with
 * a signing request `<name>.csr` — or, given `selfSignedDays`, a self-signed
 * certificate `<name>.crt` valid that many days (a CA).
 */
function newKey(dir: string, name: string, cn: string, selfSignedDays?: string): Promise<void> {
  const selfSigned = selfSignedDays ? ["-x509", "-days", selfSignedDays] : [];
  return openssl([
    "req",
    ...selfSigned,
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    selfSignedDays ? `${name}.crt` : `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ], dir);
}

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
  await newKey(dir, name, cn);
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

/**
 * Writes `<name>.key` (mode 0600) and `<name>.crt`, a server certificate with
 * the common name `cn` and the subject alternative names `altNames`
 * (openssl's syntax, e.g. `DNS:localhost,IP:127.0.0.1`), signed by the CA
 * `ca`, into `dir`.
 *
 * @example
 * ```ts ignore
 * await issueServerCertificate(dir, "ip-cn", "127.0.0.1", "DNS:localhost", { cert: caCert, key: caKey });
 * ```
 */
export function issueServerCertificate(
  dir: string,
  name: string,
  cn: string,
  altNames: string,
  ca: { cert: string; key: string },
): Promise<{ cert: string; key: string }> {
  return issueCertificate(
    dir,
    name,
    cn,
    SERVER_EXTENSIONS.replace("DNS:localhost", altNames),
    ca,
    "3650",
  );
}

/**
 * Writes `<name>.key` (mode 0600) and `<name>.crt`, a server certificate for
 * `localhost` signed by the CA `ca` that expired long ago (valid in 2020
 * only), into `dir`. OpenSSL 3.0's `x509` cannot set dates in the past, so
 * this signs with `openssl ca` and a throwaway CA database.
 *
 * @example
 * ```ts ignore
 * const expired = await issueExpiredServerCertificate(dir, "expired", { cert: caCert, key: caKey });
 * ```
 */
export async function issueExpiredServerCertificate(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
): Promise<{ cert: string; key: string }> {
  const work = join(dir, `${name}.ca`);
  await Deno.mkdir(work, { recursive: true });
  await Deno.writeTextFile(join(work, "index.txt"), "");
  await Deno.writeTextFile(join(work, "serial"), "1000\n");
  await Deno.writeTextFile(
    join(work, "ca.cnf"),
    [
      "[ca]",
      "default_ca = throwaway",
      "[throwaway]",
      `dir = ${work}`,
      `database = ${join(work, "index.txt")}`,
      `new_certs_dir = ${work}`,
      `serial = ${join(work, "serial")}`,
      "default_md = sha256",
      "policy = any",
      "unique_subject = no",
      "[any]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(join(dir, `${name}.ext`), SERVER_EXTENSIONS);
  await newKey(dir, name, "localhost");
  await openssl([
    "ca",
    "-batch",
    "-notext",
    "-config",
    join(work, "ca.cnf"),
    "-cert",
    ca.cert,
    "-keyfile",
    ca.key,
    "-in",
    `${name}.csr`,
    "-out",
    `${name}.crt`,
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20210101000000Z",
    "-extfile",
    `${name}.ext`,
  ], dir);
  await Deno.chmod(join(dir, `${name}.key`), 0o600);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/** Writes a self-signed CA, `<name>.crt` and `<name>.key`, into `dir`. */
function makeCa(dir: string, name: string, cn: string, days: string): Promise<void> {
  return newKey(dir, name, cn, days);
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
