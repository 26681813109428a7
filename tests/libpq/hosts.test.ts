import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  buildHosts,
  describeHost,
  isUnixSocketHost,
  orderHosts,
  socketPath,
} from "../../src/libpq/hosts.ts";

const cfg = (text: string) => ({ text, source: "config" as const });

Deno.test("buildHosts: nothing given means the socket directory when it exists, else localhost", () => {
  deepStrictEqual(buildHosts({ socketDir: "/var/run/postgresql" }), [
    {
      host: "/var/run/postgresql",
      port: 5432,
      kind: "unix",
      address: "/var/run/postgresql/.s.PGSQL.5432",
    },
  ]);
  deepStrictEqual(buildHosts({}), [
    { host: "localhost", port: 5432, kind: "tcp", address: "localhost" },
  ]);
});

Deno.test("buildHosts: a host list in order, one port for all", () => {
  const hosts = buildHosts({ host: cfg("db1,10.0.0.2,/tmp"), port: cfg("6432") });
  deepStrictEqual(hosts.map((h) => [h.host, h.port, h.kind, h.address]), [
    ["db1", 6432, "tcp", "db1"],
    ["10.0.0.2", 6432, "tcp", "10.0.0.2"],
    ["/tmp", 6432, "unix", "/tmp/.s.PGSQL.6432"],
  ]);
});

Deno.test("buildHosts: a port per host; empty entries mean the defaults", () => {
  const hosts = buildHosts(
    { host: cfg("db1,,db3"), port: { text: "5433,,5435", source: "env:PGPORT" } },
  );
  deepStrictEqual(hosts.map((h) => `${h.address}:${h.port}`), [
    "db1:5433",
    "localhost:5432",
    "db3:5435",
  ]);
});

Deno.test("buildHosts: hostaddr gives the address; host stays the name (for TLS and .pgpass)", () => {
  const hosts = buildHosts({ host: cfg("db1,db2"), hostaddr: cfg("10.0.0.1,") });
  deepStrictEqual(hosts, [
    { host: "db1", hostaddr: "10.0.0.1", port: 5432, kind: "tcp", address: "10.0.0.1" },
    { host: "db2", port: 5432, kind: "tcp", address: "db2" },
  ]);
  // The number of hosts follows hostaddr when it is given.
  deepStrictEqual(
    buildHosts({ hostaddr: cfg("::1,127.0.0.1") }).map((h) => [h.host, h.address]),
    [["", "::1"], ["", "127.0.0.1"]],
  );
});

Deno.test("buildHosts: mismatched lists are one-line errors naming both sources", () => {
  throws(
    () =>
      buildHosts({ host: cfg("a,b"), port: { text: "1,2,3", source: "env:PGPORT" } }, {
        file: "c.yaml",
      }),
    {
      name: "ConfigError",
      message: "c.yaml: could not match 3 port numbers (environment variable PGPORT) to " +
        "2 hosts (connection_settings.host)",
    },
  );
  throws(
    () => buildHosts({ port: { text: "1,2", source: "env:PGPORT" } }),
    { message: "could not match 2 port numbers (environment variable PGPORT) to 1 host" },
  );
  throws(
    () =>
      buildHosts({
        host: { text: "a,b,c", source: "env:PGHOST" },
        hostaddr: { text: "10.0.0.1,10.0.0.2", source: "service:/etc/pg_service.conf:2" },
      }),
    {
      message: "could not match 3 host names (environment variable PGHOST) to 2 hostaddr values " +
        "(/etc/pg_service.conf:2)",
    },
  );
});

Deno.test("buildHosts: a hostaddr that is not a numeric address is refused", () => {
  throws(() => buildHosts({ hostaddr: { text: "db1", source: "env:PGHOSTADDR" } }), {
    message: 'environment variable PGHOSTADDR: could not parse network address "db1"; ' +
      "expected a numeric IP address",
  });
});

Deno.test("isUnixSocketHost / socketPath: libpq's socket rules", () => {
  deepStrictEqual(["/tmp", "@abstract", "db", "./rel"].map(isUnixSocketHost), [
    true,
    true,
    false,
    false,
  ]);
  strictEqual(socketPath("/tmp", 6432), "/tmp/.s.PGSQL.6432");
});

Deno.test("describeHost: libpq's wording for each kind of host", () => {
  const [name, addr, sock] = [
    ...buildHosts({ host: cfg("db1,db2"), hostaddr: cfg(",10.0.0.2") }),
    ...buildHosts({ host: cfg("/tmp") }),
  ];
  strictEqual(describeHost(name), 'server at "db1", port 5432');
  strictEqual(describeHost(addr), 'server at "db2" (10.0.0.2), port 5432');
  strictEqual(describeHost(sock), 'server on socket "/tmp/.s.PGSQL.5432"');
});

Deno.test("orderHosts: as given for disable; a permutation for random, per call", () => {
  deepStrictEqual(orderHosts(["a", "b", "c"], "disable"), ["a", "b", "c"]);
  // random() always 0 swaps each new element to the front: inside-out Fisher-Yates.
  deepStrictEqual(orderHosts(["a", "b", "c"], "random", () => 0), ["c", "a", "b"]);
  // random() just below 1 keeps every element in place.
  deepStrictEqual(orderHosts(["a", "b", "c"], "random", () => 0.999), ["a", "b", "c"]);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(orderHosts(["a", "b", "c"], "random").join(""));
  deepStrictEqual([...seen].sort(), ["abc", "acb", "bac", "bca", "cab", "cba"]);
});
