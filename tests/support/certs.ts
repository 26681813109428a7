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

/** Generates all test certificates into `dir` (created if missing). */
export async function makeTestCerts(dir: string): Promise<TestCerts> {
  await Deno.mkdir(dir, { recursive: true });
  const days = "3650";
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    days,
    "-subj",
    "/CN=pgmonkey test CA",
  ], dir);
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "other-ca.key",
    "-out",
    "other-ca.crt",
    "-days",
    days,
    "-subj",
    "/CN=pgmonkey other CA",
  ], dir);
  await Deno.writeTextFile(
    join(dir, "server.ext"),
    "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
  );
  await openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  ], dir);
  await openssl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    days,
    "-extfile",
    "server.ext",
  ], dir);
  await Deno.writeTextFile(
    join(dir, "client.ext"),
    "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
  );
  await openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "client.key",
    "-out",
    "client.csr",
    "-subj",
    "/CN=certuser",
  ], dir);
  await openssl([
    "x509",
    "-req",
    "-in",
    "client.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "client.crt",
    "-days",
    days,
    "-extfile",
    "client.ext",
  ], dir);
  await Deno.chmod(join(dir, "client.key"), 0o600);
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
