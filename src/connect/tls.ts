/**
 * libpq's `sslmode` semantics, planned once per config: which TLS negotiation
 * to run, what to verify, and the PEM material read from `sslrootcert`,
 * `sslcert` and `sslkey`. The transport (`./transport.ts`) carries the plan
 * out; postgres.js's own `ssl` option stays off, because it turns `verify-ca`
 * into verify-full and never tries plaintext first for `allow`.
 *
 * | sslmode | negotiation | verification |
 * |---|---|---|
 * | `disable` | plaintext only | — |
 * | `allow` | plaintext first; TLS if the server refuses a plaintext login (SQLSTATE 28000) | as `require` |
 * | `prefer` (default) | SSLRequest; TLS if the server says `S` (plaintext if `N`, or if the handshake fails) | as `require` |
 * | `require` | SSLRequest; TLS or fail | none, or chain as `verify-ca` when a root certificate is present |
 * | `verify-ca` | SSLRequest; TLS or fail | chain against the root certificate, no host name check |
 * | `verify-full` | SSLRequest; TLS or fail | chain and host name |
 *
 * The root certificate is `sslrootcert`, else `~/.postgresql/root.crt` when
 * it exists (libpq's default). `sslrootcert: system` means the runtime's
 * trusted roots and, as in libpq, requires `verify-full` (it is the default
 * sslmode then). The client certificate is `sslcert`, else
 * `~/.postgresql/postgresql.crt` when it exists, with its key `sslkey`, else
 * `~/.postgresql/postgresql.key`. TLS is never used over Unix sockets (libpq
 * ignores sslmode there).
 *
 * How `allow` is carried out (by the transport): the first connection of a
 * transport is preceded by a plaintext probe that sends a StartupMessage
 * (user and database only) and reads the server's first answer. An
 * authentication request means the server accepts plaintext: the probe is
 * closed and this and later connections are plaintext. An ErrorResponse with
 * SQLSTATE 28000 (pg_hba refuses the plaintext connection) makes this and
 * later connections use TLS, verified as for `require`. Any other answer
 * keeps plaintext, and the real connection reports it. The choice is made
 * once per transport; it costs one extra, short-lived connection. (libpq
 * retries each connection over TLS after any error during authentication,
 * including a wrong password; the probe stops before authentication.)
 *
 * Differences from libpq, on purpose: a root certificate file named in
 * `sslrootcert` that cannot be read is an error in every mode (libpq
 * silently skips verification for `require`/`allow`/`prefer`); and `prefer`
 * does not retry in plaintext when the server refuses a login over TLS
 * (libpq does; it does retry when the TLS handshake fails).
 *
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ConnectionOptions } from "node:tls";
import { isIP } from "node:net";
import process from "node:process";
import type { ConnectionSettings, SslMode } from "../config/types.ts";
import { ConfigError } from "../errors.ts";

/**
 * How TLS is obtained: never; plaintext first and TLS when the server refuses
 * a plaintext login; TLS when the server agrees, else plaintext; TLS or fail.
 */
export type TlsNegotiation = "disable" | "allow" | "prefer" | "require";

/** What is checked about the server certificate once TLS is up. */
export type TlsVerify = "none" | "verify-ca" | "verify-full";

/**
 * The result of {@link planTls}: everything the transport needs to open
 * connections with libpq's sslmode semantics. The private key is held in a
 * non-enumerable property, so logging or `JSON.stringify`ing a plan never
 * prints it.
 */
export interface TlsPlan {
  /** The sslmode the plan implements (`prefer` when the config left it out). */
  readonly sslmode: SslMode;
  /** How TLS is negotiated. */
  readonly negotiation: TlsNegotiation;
  /** What is verified on a TLS connection. */
  readonly verify: TlsVerify;
  /** Where trusted roots come from: a file path, `system`, or undefined (no verification). */
  readonly rootCert?: string;
  /** PEM text of the trusted roots (for `system`: the OS bundle; undefined: the runtime's store). */
  readonly ca?: string;
  /** Path of the client certificate, when one is sent. */
  readonly certFile?: string;
  /** PEM text of the client certificate. */
  readonly cert?: string;
  /** Path of the client private key, when one is sent. */
  readonly keyFile?: string;
  /** PEM text of the client private key (non-enumerable). */
  readonly key?: string;
}

/** The plan used for Unix sockets and `sslmode: disable`. */
export const NO_TLS: TlsPlan = Object.freeze({
  sslmode: "disable",
  negotiation: "disable",
  verify: "none",
});

const HOME_FILES = {
  rootCert: ["root.crt"],
  cert: ["postgresql.crt"],
  key: ["postgresql.key"],
} as const;

function homeFile(kind: keyof typeof HOME_FILES): string | undefined {
  let home: string | undefined;
  try {
    home = homedir();
  } catch {
    home = undefined;
  }
  return home ? join(home, ".postgresql", ...HOME_FILES[kind]) : undefined;
}

async function exists(path: string | undefined): Promise<boolean> {
  if (!path) return false;
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function readProblem(e: unknown): string {
  const code = (e as { code?: string })?.code;
  switch (code) {
    case "ENOENT":
      return "file not found";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a parent is not a directory";
    default:
      return code ?? (e instanceof Error ? e.message.split("\n")[0] : String(e));
  }
}

/**
 * Where OpenSSL — and so libpq's `sslrootcert=system` — finds the operating
 * system's trusted roots: `SSL_CERT_FILE`, else the distributions' bundles.
 */
export const SYSTEM_ROOT_FILES: readonly string[] = [
  "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Arch
  "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL
  "/etc/ssl/ca-bundle.pem", // openSUSE
  "/etc/ssl/cert.pem", // Alpine, macOS, BSDs
];

/**
 * The operating system's trusted roots as PEM, like OpenSSL's default paths
 * (Deno's TLS would otherwise use its bundled Mozilla roots); `undefined`
 * where none of the files exists (then the runtime's own store is used).
 */
async function systemRoots(): Promise<string | undefined> {
  let env: string | undefined;
  try {
    env = process.env.SSL_CERT_FILE;
  } catch {
    env = undefined;
  }
  for (const path of [...(env ? [env] : []), ...SYSTEM_ROOT_FILES]) {
    try {
      const text = await readFile(path, "utf8");
      if (CERT_PEM.test(text)) return text;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Reads a PEM file, turning failures into a ConfigError naming the key and path. */
async function readPem(
  key: "sslrootcert" | "sslcert" | "sslkey",
  path: string,
  expect: RegExp,
  what: string,
): Promise<string> {
  const where = { key: `connection_settings.${key}` };
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read '${path}': ${readProblem(e)}`, where, { cause: e });
  }
  // Never echo the file's content: it may be a private key.
  if (!expect.test(text)) throw new ConfigError(`'${path}' does not contain ${what}`, where);
  return text;
}

/**
 * libpq refuses a private key that group or others may read: 0600 or less
 * when owned by the user, 0640 or less when owned by root. Windows has no
 * such check.
 */
async function checkKeyPermissions(path: string): Promise<void> {
  if (process.platform === "win32") return;
  let mode: number;
  let uid: number;
  try {
    const s = await stat(path);
    mode = s.mode;
    uid = s.uid;
  } catch {
    return; // readPem reports unreadable files
  }
  const limit = uid === 0 ? 0o640 : 0o600;
  if ((mode & 0o777 & ~limit) !== 0) {
    throw new ConfigError(
      `private key file '${path}' has group or world access; file must have permissions ` +
        `u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) ` +
        `or less if owned by root`,
      { key: "connection_settings.sslkey" },
    );
  }
}

const CERT_PEM = /-----BEGIN (TRUSTED )?CERTIFICATE-----/;
const KEY_PEM = /-----BEGIN ([A-Z0-9 ]+ )?PRIVATE KEY-----/;

/**
 * Plans TLS for `connection_settings` with libpq's sslmode semantics (see the
 * module doc). Reads the PEM files it needs; nothing else touches the
 * network or the file system.
 *
 * @throws {ConfigError} a certificate or key file is missing, unreadable or
 * not PEM; verification is asked for without a root certificate;
 * `sslrootcert: system` with a mode other than `verify-full`. Messages name
 * the key and the path, never a file's content.
 *
 * @example
 * ```ts ignore
 * import { planTls } from "./tls.ts";
 * const plan = await planTls({ host: "db.example.com", sslmode: "verify-full", sslrootcert: "ca.crt" });
 * console.log(plan.negotiation, plan.verify); // "require" "verify-full"
 * ```
 */
export async function planTls(settings: ConnectionSettings): Promise<TlsPlan> {
  const rootSetting = settings.sslrootcert;
  // libpq (16+): sslrootcert=system makes verify-full the default, and the only mode allowed.
  const sslmode: SslMode = settings.sslmode ??
    (rootSetting === "system" ? "verify-full" : "prefer");
  if (rootSetting === "system" && sslmode !== "verify-full") {
    throw new ConfigError(
      `weak sslmode "${sslmode}" may not be used with sslrootcert=system (use "verify-full")`,
      { key: "connection_settings.sslmode" },
    );
  }
  if (sslmode === "disable" || settings.host?.startsWith("/")) {
    return sslmode === "disable" ? NO_TLS : Object.freeze({ ...NO_TLS, sslmode });
  }
  const negotiation: TlsNegotiation = sslmode === "allow"
    ? "allow"
    : sslmode === "prefer"
    ? "prefer"
    : "require";

  // Trusted roots.
  let rootCert: string | undefined;
  let ca: string | undefined;
  if (rootSetting === "system") {
    rootCert = "system";
    ca = await systemRoots();
  } else if (rootSetting !== undefined) {
    rootCert = rootSetting;
    ca = await readPem("sslrootcert", rootSetting, CERT_PEM, "a PEM certificate");
  } else {
    const fallback = homeFile("rootCert");
    if (await exists(fallback)) {
      rootCert = fallback;
      ca = await readPem("sslrootcert", fallback!, CERT_PEM, "a PEM certificate");
    } else if (sslmode === "verify-ca" || sslmode === "verify-full") {
      throw new ConfigError(
        `root certificate file "${fallback ?? "~/.postgresql/root.crt"}" does not exist; ` +
          `either provide sslrootcert, use sslrootcert=system, or change sslmode to disable ` +
          `server certificate verification`,
        { key: "connection_settings.sslrootcert" },
      );
    }
  }
  // libpq: with a root certificate, require (and allow/prefer once on TLS) verify like verify-ca.
  const verify: TlsVerify = sslmode === "verify-full"
    ? "verify-full"
    : sslmode === "verify-ca" || rootCert !== undefined
    ? "verify-ca"
    : "none";

  // Client certificate and key.
  let certFile = settings.sslcert;
  if (certFile === undefined) {
    const fallback = homeFile("cert");
    if (await exists(fallback)) certFile = fallback;
  }
  let cert: string | undefined;
  let keyFile: string | undefined;
  let key: string | undefined;
  if (certFile !== undefined) {
    cert = await readPem("sslcert", certFile, CERT_PEM, "a PEM certificate");
    keyFile = settings.sslkey;
    if (keyFile === undefined) {
      const fallback = homeFile("key");
      if (!(await exists(fallback))) {
        throw new ConfigError(
          `certificate present, but not private key file "${
            fallback ?? "~/.postgresql/postgresql.key"
          }"`,
          { key: "connection_settings.sslkey" },
        );
      }
      keyFile = fallback!;
    }
    key = await readPem("sslkey", keyFile, KEY_PEM, "a PEM private key");
    await checkKeyPermissions(keyFile);
  }

  const plan: Record<string, unknown> = { sslmode, negotiation, verify };
  if (rootCert !== undefined) plan.rootCert = rootCert;
  if (ca !== undefined) plan.ca = ca;
  if (certFile !== undefined) plan.certFile = certFile;
  if (cert !== undefined) plan.cert = cert;
  if (keyFile !== undefined) plan.keyFile = keyFile;
  if (key !== undefined) Object.defineProperty(plan, "key", { value: key, enumerable: false });
  return Object.freeze(plan) as unknown as TlsPlan;
}

/**
 * `node:tls` connect options for a plan and a host: the trusted roots,
 * `rejectUnauthorized`, a no-op `checkServerIdentity` for chain-only
 * verification, SNI `servername` for host names (never for IP addresses; Node
 * then checks the IP against the certificate's IP SANs), and the client
 * certificate and key.
 *
 * @example
 * ```ts
 * import { NO_TLS, tlsConnectOptions } from "./tls.ts";
 * const opts = tlsConnectOptions({ ...NO_TLS, negotiation: "require" }, "db.example.com");
 * console.log(opts.rejectUnauthorized, opts.servername); // false "db.example.com"
 * ```
 */
export function tlsConnectOptions(plan: TlsPlan, host: string): ConnectionOptions {
  const options: ConnectionOptions = {
    // Node checks the identity against `host` (or `servername`); without it, it assumes "localhost".
    host,
    rejectUnauthorized: plan.verify !== "none",
  };
  if (!isIP(host)) options.servername = host;
  if (plan.ca !== undefined) options.ca = plan.ca;
  if (plan.verify === "verify-ca") options.checkServerIdentity = () => undefined;
  if (plan.cert !== undefined) options.cert = plan.cert;
  if (plan.key !== undefined) options.key = plan.key;
  return options;
}
