/**
 * The files libpq 18 reads when it starts TLS (`initialize_SSL` in
 * `fe-secure-openssl.c`), found, checked and read the way libpq does, with
 * libpq's words for what is wrong (each names the file; paths are not
 * secrets, a file's content never appears):
 *
 * - root certificate: `sslrootcert`, else `~/.postgresql/root.crt` when it
 *   exists; `system` is the operating system's store, as OpenSSL finds it
 *   (`SSL_CERT_FILE`, else the distribution's bundle);
 * - client certificate: `sslcert`, else `~/.postgresql/postgresql.crt`; a
 *   file that does not exist means no client certificate;
 * - its key (only with a certificate): `sslkey`, else
 *   `~/.postgresql/postgresql.key`; it must exist, be a regular file, and
 *   not be open to group or others (0600 or less; 0640 or less when owned
 *   by root).
 *
 * An empty setting is an absent one, and `~` is `HOME`, else the user's home
 * directory (libpq's `pqGetHomeDirectory`).
 *
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";

/** The setting a {@link TlsFileProblem} is about. */
export type TlsFileKey = "sslrootcert" | "sslcert" | "sslkey";

/**
 * Something wrong with a TLS file, in libpq's words. libpq meets it when it
 * starts TLS: the TLS attempt fails (see `./tls.ts` for what that means per
 * sslmode).
 *
 * @example
 * ```ts
 * import { TlsFileProblem } from "./tls_files.ts";
 * const p = new TlsFileProblem("sslkey", 'certificate present, but not private key file "/h/.postgresql/postgresql.key"');
 * console.log(p.key); // "sslkey"
 * ```
 */
export class TlsFileProblem extends Error {
  /** The setting whose file it is. */
  readonly key: TlsFileKey;
  /** Creates the problem; `message` names the file and never shows its content. */
  constructor(key: TlsFileKey, message: string) {
    super(message);
    this.name = "TlsFileProblem";
    this.key = key;
  }
}

/** What was read: paths and PEM text (the key's text is for the TLS handshake only). */
export interface TlsFiles {
  /** The root certificate file, or `system`. */
  rootCert?: string;
  /** PEM text of the trusted roots (`system`: the OS bundle, when one was found). */
  ca?: string;
  /** The client certificate file. */
  certFile?: string;
  /** PEM text of the client certificate. */
  cert?: string;
  /** The client key file. */
  keyFile?: string;
  /** PEM text of the client key. */
  key?: string;
  /**
   * A `sslrootcert` that does not exist under `allow`/`prefer`/`require`:
   * libpq then verifies nothing, and neither do we (the caller warns).
   */
  missingRoot?: string;
}

/**
 * Where OpenSSL — and so libpq's `sslrootcert=system` — finds the operating
 * system's trusted roots, after `SSL_CERT_FILE`: the distributions' bundles.
 *
 * @example
 * ```ts
 * import { SYSTEM_ROOT_FILES } from "./tls_files.ts";
 * console.log(SYSTEM_ROOT_FILES[0]); // "/etc/ssl/certs/ca-certificates.crt"
 * ```
 */
export const SYSTEM_ROOT_FILES: readonly string[] = [
  "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Arch
  "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL
  "/etc/ssl/ca-bundle.pem", // openSUSE
  "/etc/ssl/cert.pem", // Alpine, macOS, BSDs
];

const CERT_PEM = /-----BEGIN (TRUSTED )?CERTIFICATE-----/;
const KEY_PEM = /-----BEGIN ([A-Z0-9 ]+ )?PRIVATE KEY-----/;

/** libpq's hint when verification has no root certificate. */
const NO_ROOT_HINT = "either provide the file, use the system's trusted roots with " +
  "sslrootcert=system, or change sslmode to disable server certificate verification";

function env(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined; // no permission to read it: as if unset
  }
}

/**
 * libpq's home directory for `~/.postgresql`: `HOME` when set and not empty,
 * else the user's entry in the password database.
 *
 * @example
 * ```ts
 * import { defaultHome } from "./tls_files.ts";
 * console.log(defaultHome()); // e.g. "/home/app"
 * ```
 */
export function defaultHome(): string | undefined {
  const home = env("HOME");
  if (home) return home;
  try {
    return os.userInfo().homedir || undefined;
  } catch {
    return undefined;
  }
}

/** Plain words for a file system error code. */
function why(code: string | undefined): string {
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
      return code ?? "unknown error";
  }
}

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

async function statOf(path: string): Promise<Stats | string> {
  try {
    return await stat(path);
  } catch (e) {
    return codeOf(e) ?? "ENOENT";
  }
}

/** The file's text if it holds PEM matching `expect`, else why not. */
async function readPem(
  path: string,
  expect: RegExp,
  what: string,
): Promise<{ text: string } | string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    return why(codeOf(e));
  }
  return expect.test(text) ? { text } : `does not contain ${what}`;
}

/** The operating system's trusted roots as PEM, or undefined (then the runtime's store is used). */
async function systemRoots(): Promise<string | undefined> {
  const fromEnv = env("SSL_CERT_FILE");
  for (const path of [...(fromEnv ? [fromEnv] : []), ...SYSTEM_ROOT_FILES]) {
    const pem = await readPem(path, CERT_PEM, "");
    if (typeof pem !== "string") return pem.text;
  }
  return undefined;
}

/** libpq's permission rule for a private key: nothing for others, `g=r` only when root owns it. */
function keyTooOpen(s: Stats): boolean {
  if (process.platform === "win32") return false;
  return (s.mode & (s.uid === 0 ? 0o037 : 0o077)) !== 0;
}

async function readRoot(
  setting: string | undefined,
  home: string | undefined,
  verify: boolean,
): Promise<Pick<TlsFiles, "rootCert" | "ca" | "missingRoot">> {
  if (setting === "system") return { rootCert: "system", ca: await systemRoots() };
  const path = setting ?? (home ? join(home, ".postgresql", "root.crt") : undefined);
  if (path !== undefined && typeof await statOf(path) !== "string") {
    const pem = await readPem(path, CERT_PEM, "a PEM certificate");
    if (typeof pem === "string") {
      throw new TlsFileProblem(
        "sslrootcert",
        `could not read root certificate file "${path}": ${pem}`,
      );
    }
    return { rootCert: path, ca: pem.text };
  }
  if (verify) {
    throw new TlsFileProblem(
      "sslrootcert",
      path === undefined
        ? `could not get home directory to locate root certificate file; ${NO_ROOT_HINT}`
        : `root certificate file "${path}" does not exist; ${NO_ROOT_HINT}`,
    );
  }
  // libpq: without the file, allow/prefer/require connect without verifying the server.
  return setting !== undefined ? { missingRoot: path } : {};
}

async function readKey(path: string | undefined): Promise<string> {
  if (path === undefined) {
    throw new TlsFileProblem(
      "sslkey",
      "certificate present, but no private key file (no sslkey, and no home directory " +
        "for ~/.postgresql/postgresql.key)",
    );
  }
  const s = await statOf(path);
  if (typeof s === "string") {
    throw new TlsFileProblem(
      "sslkey",
      s === "ENOENT"
        ? `certificate present, but not private key file "${path}"`
        : `could not stat private key file "${path}": ${why(s)}`,
    );
  }
  if (!s.isFile()) {
    throw new TlsFileProblem("sslkey", `private key file "${path}" is not a regular file`);
  }
  if (keyTooOpen(s)) {
    throw new TlsFileProblem(
      "sslkey",
      `private key file "${path}" has group or world access; file must have permissions ` +
        `u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) ` +
        `or less if owned by root`,
    );
  }
  const pem = await readPem(path, KEY_PEM, "a PEM private key");
  if (typeof pem === "string") {
    throw new TlsFileProblem("sslkey", `could not load private key file "${path}": ${pem}`);
  }
  return pem.text;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}

/**
 * Finds and reads the TLS files of `settings` as libpq does (see the module
 * doc). `verify` (sslmode `verify-ca`/`verify-full`) makes a missing root
 * certificate a problem.
 *
 * @throws {TlsFileProblem} the first problem, as libpq stops at the first.
 *
 * @example
 * ```ts ignore
 * import { readTlsFiles } from "./tls_files.ts";
 * const files = await readTlsFiles({ sslrootcert: "ca.crt" }, { home: "/home/app", verify: true });
 * ```
 */
export async function readTlsFiles(
  settings: { sslrootcert?: string; sslcert?: string; sslkey?: string },
  options: { home?: string; verify: boolean },
): Promise<TlsFiles> {
  const { home } = options;
  const files: TlsFiles = await readRoot(
    nonEmpty(settings.sslrootcert),
    home,
    options.verify,
  );
  const certFile = nonEmpty(settings.sslcert) ??
    (home ? join(home, ".postgresql", "postgresql.crt") : undefined);
  if (certFile === undefined) return files;
  const s = await statOf(certFile);
  if (typeof s === "string") {
    if (s === "ENOENT" || s === "ENOTDIR") return files; // no client certificate
    throw new TlsFileProblem(
      "sslcert",
      `could not open certificate file "${certFile}": ${why(s)}`,
    );
  }
  const pem = await readPem(certFile, CERT_PEM, "a PEM certificate");
  if (typeof pem === "string") {
    throw new TlsFileProblem("sslcert", `could not read certificate file "${certFile}": ${pem}`);
  }
  const keyFile = nonEmpty(settings.sslkey) ??
    (home ? join(home, ".postgresql", "postgresql.key") : undefined);
  const key = await readKey(keyFile);
  return { ...files, certFile, cert: pem.text, keyFile, key };
}
