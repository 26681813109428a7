import { deepStrictEqual, throws } from "node:assert/strict";
import { validateConfig } from "../../src/config/validate.ts";
import { parseYaml } from "../../src/config/yaml.ts";

function settings(cs: Record<string, unknown>): [Record<string, unknown>, string[]] {
  const seen: string[] = [];
  return [
    validateConfig({ connection_settings: cs }, {
      file: "c.yaml",
      onWarning: (m) => seen.push(m),
    }).connection_settings as Record<string, unknown>,
    seen,
  ];
}

Deno.test("validateConfig: the libpq keys Python drops are ours, read without a warning", () => {
  const ours = {
    host: "db1,db2",
    hostaddr: "10.0.0.1,::1",
    service: "prod",
    passfile: "/run/secrets/pgpass",
    options: "-c search_path=app",
    sslnegotiation: "direct",
    target_session_attrs: "read-write",
    load_balance_hosts: "random",
  };
  const [cs, warnings] = settings(ours);
  deepStrictEqual(cs, ours);
  deepStrictEqual(warnings, []);
  // A truly unknown key still gets pgmonkey (Python)'s warning, word for word.
  const [, typo] = settings({ target_sesion_attrs: "read-write" });
  deepStrictEqual(typo, [
    "Unknown connection settings ignored: target_sesion_attrs. Valid keys: user, password, host, " +
    "port, dbname, sslmode, sslcert, sslkey, sslrootcert, connect_timeout, application_name, " +
    "keepalives, keepalives_idle, keepalives_interval, keepalives_count, autocommit",
  ]);
});

Deno.test("validateConfig: port takes libpq's comma-separated list; empty entries mean 5432", () => {
  deepStrictEqual(settings({ port: "5432,5433" })[0], { portList: [5432, 5433] });
  deepStrictEqual(settings({ port: "5432,,6432" })[0], { portList: [5432, undefined, 6432] });
  deepStrictEqual(settings({ port: " 5432 , 5433" })[0], { portList: [5432, 5433] });
  deepStrictEqual(settings({ port: "6432" })[0], { port: 6432 });
  deepStrictEqual(parseYaml("port: 5432,5433\n"), { port: "5432,5433" }); // YAML gives a string
  for (const bad of ["5432,abc", "5432, ,5433", "5432,70000"]) {
    throws(() => settings({ port: bad }), {
      name: "ConfigError",
      message: `c.yaml: connection_settings.port: expected an integer from 1 to 65535 or a ` +
        `comma-separated list of them, got '${bad}'`,
    });
  }
  throws(() => settings({ port: [5432, 5433] }), {
    message: "c.yaml: connection_settings.port: expected an integer from 1 to 65535, got a list " +
      "(write several as one comma-separated string, e.g. 'db1,db2')",
  });
});

Deno.test("validateConfig: host lists are strings; a YAML list gets a hint", () => {
  throws(() => settings({ host: ["db1", "db2"] }), {
    message: "c.yaml: connection_settings.host: expected a string, got a list (write several as " +
      "one comma-separated string, e.g. 'db1,db2')",
  });
});

Deno.test("validateConfig: hostaddr must be numeric addresses; empty entries allowed", () => {
  deepStrictEqual(settings({ hostaddr: "10.0.0.1,,fe80::1" })[0], {
    hostaddr: "10.0.0.1,,fe80::1",
  });
  throws(() => settings({ hostaddr: "10.0.0.1,db2" }), {
    message: "c.yaml: connection_settings.hostaddr: expected numeric IP addresses " +
      "(comma-separated for several hosts), got '10.0.0.1,db2'",
  });
});

Deno.test("validateConfig: target_session_attrs, load_balance_hosts, sslnegotiation are checked", () => {
  throws(() => settings({ target_session_attrs: "master" }), {
    message: "c.yaml: connection_settings.target_session_attrs: invalid target_session_attrs " +
      "'master'; expected one of: any, read-write, read-only, primary, standby, prefer-standby",
  });
  throws(() => settings({ load_balance_hosts: true }), {
    message: "c.yaml: connection_settings.load_balance_hosts: invalid load_balance_hosts true; " +
      "expected one of: disable, random",
  });
  throws(
    () => settings({ sslnegotiation: "tls" }),
    /invalid sslnegotiation 'tls'; expected one of: postgres, direct/,
  );
});

Deno.test("validateConfig: '' on our own keys is plain unset (Python never passes them to libpq)", () => {
  deepStrictEqual(settings({ service: "", target_session_attrs: "", host: "" })[0], {
    emptyKeys: ["host"],
  });
});
