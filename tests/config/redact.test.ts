import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { collectSecrets, redactConfig, REDACTED, redactText } from "../../src/config/redact.ts";
import { isSensitiveKey } from "../../src/config/sensitive.ts";
import { pyJsonDumps } from "../../src/config/hash.ts";

const PROBE = {
  connection_settings: {
    user: "u",
    password: "pw",
    sslkey: "",
    sslcert: null,
    sslrootcert: "/ca",
    Password: "X",
    port: 0,
  },
  x: {
    auth_token: 123,
    secret_list: ["a"],
    credential_empty_list: [],
    creds: "no",
    password: { from_env: "X" },
    zero_secret: 0,
    false_token: false,
    true_token: true,
  },
  lst: [{ password: "p" }],
};

Deno.test("redactConfig: the probe's case, with the list leak fixed", () => {
  // probe_env.out, except "lst": upstream prints [{"password": "p"}].
  strictEqual(
    pyJsonDumps(redactConfig(PROBE), { sortKeys: false }),
    '{"connection_settings": {"user": "u", "password": "***REDACTED***", "sslkey": "", "sslcert": null, "sslrootcert": "***REDACTED***", "Password": "***REDACTED***", "port": 0}, "x": {"auth_token": "***REDACTED***", "secret_list": "***REDACTED***", "credential_empty_list": [], "creds": "no", "password": {"from_env": "X"}, "zero_secret": 0, "false_token": false, "true_token": "***REDACTED***"}, "lst": [{"password": "***REDACTED***"}]}',
  );
});

Deno.test("redactConfig: a non-mapping is returned unchanged", () => {
  strictEqual(redactConfig("notadict"), "notadict");
  strictEqual(redactConfig(null), null);
  strictEqual(redactConfig(5), 5);
});

Deno.test("redactConfig: lists are walked at any depth", () => {
  deepStrictEqual(redactConfig({ a: [[{ token: "t", ok: "v" }]], b: [1, "x"] }), {
    a: [[{ token: REDACTED, ok: "v" }]],
    b: [1, "x"],
  });
  deepStrictEqual(redactConfig([{ password: "p" }]), [{ password: REDACTED }]);
});

Deno.test("redactConfig: returns a copy and leaves the input alone", () => {
  const cfg = { connection_settings: { password: "pw", hosts: ["a"] } };
  const out = redactConfig(cfg);
  out.connection_settings.hosts.push("b");
  deepStrictEqual(cfg, { connection_settings: { password: "pw", hosts: ["a"] } });
});

Deno.test("isSensitiveKey: exact names and substrings, case-insensitive", () => {
  for (
    const k of [
      "password",
      "PASSWORD",
      "sslkey",
      "SslCert",
      "sslrootcert",
      "api_token",
      "MY_SECRET_KEY",
      "aws_credentials",
    ]
  ) {
    strictEqual(isSensitiveKey(k), true, k);
  }
  for (
    const k of ["passwd", "password[0]", "host", "user", "sslmode", "creds", "password_encryption"]
  ) {
    strictEqual(isSensitiveKey(k), false, k);
  }
});

Deno.test("collectSecrets: non-empty strings (and numbers) under sensitive keys, at any depth; ssl* paths are not secrets", () => {
  deepStrictEqual(collectSecrets(PROBE).sort(), ["123", "X", "a", "p", "pw"]);
  deepStrictEqual(
    collectSecrets({
      connection_settings: { sslrootcert: "system", sslkey: "/k.pem", sslcert: "/c" },
    }),
    [],
  );
  deepStrictEqual(
    collectSecrets({ connection_settings: { password: { from_env: "PGPASSWORD" } } }),
    [],
  );
  deepStrictEqual(collectSecrets("text"), []);
});

Deno.test("redactText: masks every occurrence, longest secret first, in one pass", () => {
  strictEqual(
    redactText("auth failed for pw 'hunter2' (hunter2)", ["hunter2", "", "hunter"]),
    `auth failed for pw '${REDACTED}' (${REDACTED})`,
  );
  strictEqual(redactText("a.b*c", ["b*"]), `a.${REDACTED}c`);
  strictEqual(redactText("RED", ["RED", "ACT"]), REDACTED);
  strictEqual(redactText("nothing here", []), "nothing here");
});

Deno.test("redactText: a 70000-character secret is masked (no regular expression to overflow)", () => {
  const secret = "p".repeat(70000);
  strictEqual(redactText(`failed for ${secret}!`, [secret, "other"]), `failed for ${REDACTED}!`);
  strictEqual(redactText("short text", [secret]), "short text");
});
