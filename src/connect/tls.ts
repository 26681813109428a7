/**
 * libpq's `sslmode` semantics, planned once per config: which TLS negotiation
 * to run, what to verify, and the PEM material read from `sslrootcert`,
 * `sslcert` and `sslkey`. The transport (`./transport/negotiate.ts`) carries
 * the plan out and `./connector.ts` makes libpq's attempts in libpq's order;
 * postgres.js's own `ssl` option stays off, because it turns `verify-ca` into
 * verify-full and never tries plaintext first for `allow`.
 *
 * | sslmode | negotiation | verification |
 * |---|---|---|
 * | `disable` | plaintext only | — |
 * | `allow` | plaintext first; TLS if the server refuses the plaintext login | as `require` |
 * | `prefer` (default) | SSLRequest; TLS if the server says `S` (plaintext if `N`), a new plaintext connection if the TLS attempt fails | as `require` |
 * | `require` | SSLRequest; TLS or fail | none, or chain as `verify-ca` when a root certificate is present |
 * | `verify-ca` | SSLRequest; TLS or fail | chain against the root certificate, no host name check |
 * | `verify-full` | SSLRequest; TLS or fail | chain and host name |
 *
 * The files, as libpq 18 reads them (`initialize_SSL`): the root certificate
 * is `sslrootcert`, else `~/.postgresql/root.crt` when it exists;
 * `sslrootcert: system` means the operating system's trusted roots and, as
 * in libpq, requires `verify-full` (it is the default sslmode then). The
 * client certificate is `sslcert`, else `~/.postgresql/postgresql.crt`; a
 * certificate file that does not exist means no client certificate. With a
 * certificate, its key is `sslkey`, else `~/.postgresql/postgresql.key`, and
 * must exist, be a regular file and be private (0600 or less, 0640 or less
 * when owned by root). `~` is `HOME`, else the user's home directory. TLS is
 * never used over Unix sockets (libpq ignores sslmode there).
 *
 * A problem with these files is, like in libpq, a problem of the TLS
 * *attempt*: under `require` and `verify-*` it is an error (a
 * {@link ConfigError} naming the file, before any connection), under `allow`
 * and `prefer` it is kept in the plan ({@link TlsPlan.setupProblem}) and
 * makes each TLS attempt fail — `prefer` then connects in plaintext, and
 * `allow` never needs TLS when the server takes plaintext.
 *
 * A root certificate file named in `sslrootcert` that does not exist means,
 * as in libpq, no server verification under `allow`, `prefer` and `require`
 * (and an error under `verify-*`); unlike libpq, which is silent, the plan
 * then warns once, naming the file, so that a mistyped path is noticed.
 *
 * @module
 */
import type { ConnectionOptions } from "node:tls";
import { isIP } from "node:net";
import type { ConnectionSettings, SslMode } from "../config/types.ts";
import { ConfigError } from "../errors.ts";
import { defaultHome, readTlsFiles, TlsFileProblem, type TlsFiles } from "./tls_files.ts";

export { SYSTEM_ROOT_FILES } from "./tls_files.ts";

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
  /**
   * Under `allow`/`prefer`: what is wrong with the TLS files (libpq's words,
   * naming the file). Every TLS attempt then fails with it, as in libpq, so
   * `prefer` falls back to plaintext; under `require`/`verify-*` the same
   * problem is a {@link ConfigError} from {@link planTls} instead.
   */
  readonly setupProblem?: string;
}

/** The plan used for Unix sockets and `sslmode: disable`. */
export const NO_TLS: TlsPlan = Object.freeze({
  sslmode: "disable",
  negotiation: "disable",
  verify: "none",
});

/** Options of {@link planTls}. */
export interface PlanTlsOptions {
  /** libpq's home directory for `~/.postgresql/…` (default: `HOME`, else the user's). */
  home?: string;
  /** Receives the warning about a `sslrootcert` that does not exist (default: none). */
  warn?: (message: string) => void;
}

/**
 * Plans TLS for `connection_settings` with libpq's sslmode semantics (see the
 * module doc). Reads the files it needs; nothing else touches the network or
 * the file system.
 *
 * @throws {ConfigError} under `require`/`verify-*`, a problem with a TLS file
 * (in libpq's words, naming the key and the path, never a file's content);
 * `sslrootcert: system` with a mode other than `verify-full`.
 *
 * @example
 * ```ts ignore
 * import { planTls } from "./tls.ts";
 * const plan = await planTls({ host: "db.example.com", sslmode: "verify-full", sslrootcert: "ca.crt" });
 * console.log(plan.negotiation, plan.verify); // "require" "verify-full"
 * ```
 */
export async function planTls(
  settings: ConnectionSettings,
  options: PlanTlsOptions = {},
): Promise<TlsPlan> {
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
  const verifying = sslmode === "verify-ca" || sslmode === "verify-full";

  let files: TlsFiles = {};
  let setupProblem: string | undefined;
  try {
    files = await readTlsFiles(settings, {
      home: options.home ?? defaultHome(),
      verify: verifying,
    });
  } catch (e) {
    if (!(e instanceof TlsFileProblem)) throw e;
    if (negotiation === "require") {
      throw new ConfigError(e.message, { key: `connection_settings.${e.key}` });
    }
    setupProblem = e.message;
  }
  // libpq: with a root certificate, require (and allow/prefer once on TLS) verify like verify-ca.
  const verify: TlsVerify = sslmode === "verify-full"
    ? "verify-full"
    : verifying || files.rootCert !== undefined
    ? "verify-ca"
    : "none";

  if (files.missingRoot !== undefined) {
    options.warn?.(
      `root certificate file "${files.missingRoot}" does not exist: the server's certificate ` +
        `is not verified (sslmode=${sslmode}, as libpq); provide the file, or use ` +
        `sslmode=verify-full to refuse unverified servers`,
    );
  }
  const plan: Record<string, unknown> = { sslmode, negotiation, verify };
  for (const k of ["rootCert", "ca", "certFile", "cert", "keyFile"] as const) {
    if (files[k] !== undefined) plan[k] = files[k];
  }
  if (files.key !== undefined) {
    Object.defineProperty(plan, "key", { value: files.key, enumerable: false });
  }
  if (setupProblem !== undefined) plan.setupProblem = setupProblem;
  return Object.freeze(plan) as unknown as TlsPlan;
}

/**
 * `node:tls` connect options for a plan and a host: the trusted roots, SNI
 * `servername` for host names (never for IP addresses, as libpq), and the
 * client certificate and key. The runtime verifies nothing itself
 * (`rejectUnauthorized: false`, no identity check): the transport checks the
 * chain and, for `verify-full`, the host name the way libpq does once the
 * handshake is done and before anything is sent (`./transport/verify.ts`),
 * so that refusals carry OpenSSL's reason and libpq's host name rules apply.
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
    host,
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
  if (!isIP(host)) options.servername = host;
  if (plan.ca !== undefined) options.ca = plan.ca;
  if (plan.cert !== undefined) options.cert = plan.cert;
  if (plan.key !== undefined) options.key = plan.key;
  return options;
}
