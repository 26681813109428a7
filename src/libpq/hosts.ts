/**
 * libpq's host list: `host`, `hostaddr` and `port` split at commas into one
 * entry per server to try, with libpq's matching rules and defaults
 * (`connectOptions2` in libpq's `fe-connect.c`).
 *
 * - The number of hosts is the number of `hostaddr` entries when `hostaddr`
 *   is given, else of `host` entries, else one.
 * - Given both, `host` and `hostaddr` must have as many entries.
 * - `port` is one port for every host, or exactly one per host.
 * - An empty entry means the default: for a host, the Unix socket directory
 *   (when it exists on this machine, else `localhost`); for a port, 5432.
 * - A host starting with `/` (or `@`, Linux's abstract namespace) is a Unix
 *   socket directory; a host with a `hostaddr` is reached at that address.
 *
 * @module
 */
import { isIP } from "node:net";
import { ConfigError } from "../errors.ts";
import type { LoadBalanceHosts } from "../config/types.ts";
import { describeSource, type Source, type SourceContext, sourceError } from "./source.ts";
import { libpqPort } from "./values.ts";

/** libpq's default port. */
export const DEFAULT_PORT = 5432;

/** One server to try, in libpq's order. */
export interface TargetHost {
  /**
   * The host name, IP address or socket directory (after defaults). It is
   * what TLS verifies and what `.pgpass` matches; `""` only when a
   * `hostaddr` was given without a host name.
   */
  host: string;
  /** The numeric address to connect to instead of looking `host` up. */
  hostaddr?: string;
  /** The TCP port, or the number in the socket file name. */
  port: number;
  /** TCP, or a Unix-domain socket. */
  kind: "tcp" | "unix";
  /** What to connect to: `hostaddr`, else `host` (TCP), or the socket file path (Unix). */
  address: string;
}

/** A host, hostaddr or port list as given, and where it came from. */
export interface ListSpec {
  /** The text, e.g. `"db1,db2"`; `""` means the default. */
  text: string;
  /** Where the text came from. */
  source: Source;
}

/** What {@link buildHosts} reads. */
export interface HostInputs {
  /** `host`, if set anywhere. */
  host?: ListSpec;
  /** `hostaddr`, if set anywhere. */
  hostaddr?: ListSpec;
  /** `port`, if set anywhere. */
  port?: ListSpec;
  /** The default Unix socket directory when it exists on this machine; else `localhost` is the default host. */
  socketDir?: string;
}

/**
 * True for a host that names a Unix socket directory (libpq's
 * `is_unixsock_path`): an absolute path, or `@name` (abstract namespace).
 *
 * @example
 * ```ts
 * import { isUnixSocketHost } from "./hosts.ts";
 * isUnixSocketHost("/var/run/postgresql"); // true
 * isUnixSocketHost("db.internal"); // false
 * ```
 */
export function isUnixSocketHost(host: string): boolean {
  return host.startsWith("/") || host.startsWith("@");
}

/**
 * The socket file libpq connects to for a socket directory and port.
 *
 * @example
 * ```ts
 * import { socketPath } from "./hosts.ts";
 * socketPath("/var/run/postgresql", 5432); // "/var/run/postgresql/.s.PGSQL.5432"
 * ```
 */
export function socketPath(dir: string, port: number): string {
  return `${dir}/.s.PGSQL.${port}`;
}

function counted(n: number, what: string, spec: ListSpec, keyword: string): string {
  return `${n} ${what} (${describeSource(spec.source, keyword)})`;
}

function mismatch(problem: string, specs: ListSpec[], context: SourceContext): ConfigError {
  const file = specs.some((s) => s.source === "config") ? context.file : undefined;
  return new ConfigError(problem, { file });
}

/**
 * Splits `host` / `hostaddr` / `port` into the servers to try, in order.
 *
 * @throws {ConfigError} mismatched list lengths (naming both sources, e.g.
 * `could not match 3 port numbers (environment variable PGPORT) to 2 hosts
 * (connection_settings.host)`), a bad port, or a `hostaddr` entry that is
 * not a numeric IP address.
 *
 * @example
 * ```ts
 * import { buildHosts } from "./hosts.ts";
 * const hosts = buildHosts({
 *   host: { text: "db1,db2", source: "config" },
 *   port: { text: "5433", source: "env:PGPORT" },
 * });
 * hosts.map((h) => `${h.address}:${h.port}`); // ["db1:5433", "db2:5433"]
 * ```
 */
export function buildHosts(inputs: HostInputs, context: SourceContext = {}): TargetHost[] {
  const { host, hostaddr, port } = inputs;
  const hostaddrs = hostaddr && hostaddr.text !== "" ? hostaddr.text.split(",") : undefined;
  const names = host && host.text !== "" ? host.text.split(",") : undefined;
  const n = hostaddrs?.length ?? names?.length ?? 1;
  if (hostaddrs && names && names.length !== n) {
    throw mismatch(
      `could not match ${counted(names.length, "host names", host!, "host")} to ${
        counted(n, "hostaddr values", hostaddr!, "hostaddr")
      }`,
      [host!, hostaddr!],
      context,
    );
  }
  for (const entry of hostaddrs ?? []) {
    if (entry !== "" && isIP(entry) === 0) {
      throw sourceError(
        hostaddr!.source,
        "hostaddr",
        `could not parse network address "${entry}"; expected a numeric IP address`,
        context,
      );
    }
  }
  let ports: (number | undefined)[] = new Array(n).fill(undefined);
  if (port && port.text !== "") {
    const given = port.text.split(",").map((p) => libpqPort(p, port.source, context));
    if (given.length === 1) ports = ports.map(() => given[0]);
    else if (given.length === n) ports = given;
    else {
      const hostSpec = hostaddrs ? hostaddr! : host;
      const hostCount = hostSpec
        ? counted(n, "hosts", hostSpec, hostSpec === hostaddr ? "hostaddr" : "host")
        : `${n} host`;
      throw mismatch(
        `could not match ${counted(given.length, "port numbers", port, "port")} to ${hostCount}`,
        hostSpec ? [port, hostSpec] : [port],
        context,
      );
    }
  }
  const out: TargetHost[] = [];
  for (let i = 0; i < n; i++) {
    const addr = hostaddrs?.[i] ?? "";
    let name = names?.[i] ?? "";
    const p = ports[i] ?? DEFAULT_PORT;
    if (addr !== "") {
      out.push({ host: name, hostaddr: addr, port: p, kind: "tcp", address: addr });
      continue;
    }
    if (name === "") name = inputs.socketDir ?? "localhost";
    if (isUnixSocketHost(name)) {
      out.push({ host: name, port: p, kind: "unix", address: socketPath(name, p) });
    } else {
      out.push({ host: name, port: p, kind: "tcp", address: name });
    }
  }
  return out;
}

/**
 * Names a server the way libpq's connection errors do:
 * `server at "db1", port 5432`, `server at "db1" (10.0.0.5), port 5432`, or
 * `server on socket "/var/run/postgresql/.s.PGSQL.5432"`.
 *
 * @example
 * ```ts
 * import { describeHost } from "./hosts.ts";
 * describeHost({ host: "db1", port: 5433, kind: "tcp", address: "db1" });
 * // 'server at "db1", port 5433'
 * ```
 */
export function describeHost(host: TargetHost): string {
  if (host.kind === "unix") return `server on socket "${host.address}"`;
  if (host.hostaddr !== undefined && host.host !== "" && host.host !== host.hostaddr) {
    return `server at "${host.host}" (${host.hostaddr}), port ${host.port}`;
  }
  return `server at "${host.address}", port ${host.port}`;
}

/**
 * The order to try the hosts in for one new connection: as given for
 * `disable`; for `random`, a fresh shuffle (libpq shuffles per connection,
 * with an inside-out Fisher–Yates; it also shuffles each host's DNS
 * addresses, which is the transport's part).
 *
 * @example
 * ```ts
 * import { orderHosts } from "./hosts.ts";
 * orderHosts(["a", "b", "c"], "disable"); // ["a", "b", "c"]
 * orderHosts(["a", "b", "c"], "random").length; // 3, in some order
 * ```
 */
export function orderHosts<T>(
  hosts: readonly T[],
  mode: LoadBalanceHosts,
  random: () => number = Math.random,
): T[] {
  const out = [...hosts];
  if (mode !== "random") return out;
  for (let i = 1; i < out.length; i++) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
