import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  effectiveConnectTimeout,
  libpqChoice,
  libpqInt,
  libpqPort,
  parseLibpqInt,
} from "../../src/libpq/values.ts";
import { ConfigError } from "../../src/errors.ts";

Deno.test("parseLibpqInt: strtol with surrounding whitespace, nothing else", () => {
  deepStrictEqual(
    ["10", " 10", "10 ", "\t+7\n", "-3", "0", "-0"].map(parseLibpqInt),
    [10, 10, 10, 7, -3, 0, 0],
  );
  for (const bad of ["", " ", "10s", "2.5", "1e3", "0x10", "+", "2147483648", "1 0"]) {
    strictEqual(parseLibpqInt(bad), undefined, bad);
  }
  strictEqual(parseLibpqInt("2147483647"), 2147483647);
  strictEqual(parseLibpqInt("-2147483648"), -2147483648);
});

Deno.test("libpqInt: libpq's message, naming the environment variable", () => {
  strictEqual(libpqInt(" 30 ", "connect_timeout", "env:PGCONNECT_TIMEOUT"), 30);
  throws(() => libpqInt("ten", "connect_timeout", "env:PGCONNECT_TIMEOUT"), {
    name: "ConfigError",
    message:
      'environment variable PGCONNECT_TIMEOUT: invalid integer value "ten" for connection option "connect_timeout"',
  });
});

Deno.test("libpqPort: empty is the default, 1..65535 otherwise; service file line in the error", () => {
  strictEqual(libpqPort("", "env:PGPORT"), undefined);
  strictEqual(libpqPort("6432", "env:PGPORT"), 6432);
  throws(() => libpqPort("70000", "service:/etc/pg_service.conf:4"), {
    message: '/etc/pg_service.conf:4: port: invalid port number "70000"; expected an integer ' +
      "from 1 to 65535",
  });
  throws(() => libpqPort("0", "env:PGPORT"), /invalid port number "0"/);
  throws(
    () => libpqPort("db", "env:PGPORT"),
    /PGPORT: invalid integer value "db" for connection option "port"/,
  );
});

Deno.test("libpqChoice: one of the words, else a one-line error listing them", () => {
  strictEqual(
    libpqChoice("random", "load_balance_hosts", ["disable", "random"], "default"),
    "random",
  );
  throws(
    () => libpqChoice("master", "target_session_attrs", ["any"], "env:PGTARGETSESSIONATTRS"),
    (e: unknown) => e instanceof ConfigError,
  );
  throws(
    () =>
      libpqChoice("master", "target_session_attrs", ["any", "primary"], "env:PGTARGETSESSIONATTRS"),
    {
      message:
        'environment variable PGTARGETSESSIONATTRS: invalid target_session_attrs value "master"; ' +
        "expected one of: any, primary",
    },
  );
  throws(() => libpqChoice("x", "sslmode", ["disable"], "config", { file: "c.yaml" }), {
    message:
      'c.yaml: connection_settings.sslmode: invalid sslmode value "x"; expected one of: disable',
  });
});

Deno.test("effectiveConnectTimeout: none for 0, negative or unset; at least 2 seconds", () => {
  deepStrictEqual(
    [undefined, -1, 0, 1, 2, 10, 1.5].map(effectiveConnectTimeout),
    [undefined, undefined, undefined, 2, 2, 10, 2],
  );
});
