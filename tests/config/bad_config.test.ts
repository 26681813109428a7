// Table of invalid configs: each must fail with one exact, one-line
// ConfigError that names the file and key and never shows a secret.
import { ok, rejects, strictEqual } from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ConfigError } from "../../src/errors.ts";
import { readValidatedConfig } from "../../src/config/load.ts";

const SECRETS = ["S3cretPW", "hunter2", "swordfish"];
const dir = mkdtempSync(join(tmpdir(), "pgm-bad-"));
globalThis.addEventListener("unload", () => rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

interface Case {
  name: string;
  /** File content; `undefined` = the file does not exist. */
  content?: string | Uint8Array;
  /** Prepare the path some other way (directory, permissions). */
  setup?: (path: string) => void;
  /** Expected message; `{F}` stands for the file path. */
  message: string;
  ignore?: boolean;
}

const CS = "connection_settings:\n  host: localhost\n  password: S3cretPW\n";

const CASES: Case[] = [
  {
    name: "unclosed quote",
    content: 'connection_settings:\n  host: "localhost\n  password: S3cretPW\n',
    message: '{F}: invalid YAML at line 4, column 1: missing closing "quote',
  },
  {
    name: "bad indentation",
    content: "connection_settings:\n  host: localhost\n    port: 5432\n  password: S3cretPW\n",
    message:
      "{F}: invalid YAML at line 2, column 9: nested mappings are not allowed in compact mappings",
  },
  {
    name: "tab indentation",
    content: "connection_settings:\n\thost: localhost\n",
    message: "{F}: invalid YAML at line 2, column 1: tabs are not allowed as indentation",
  },
  {
    name: "multi-document YAML",
    content: `${CS}---\n${CS}`,
    message:
      "{F}: invalid YAML at line 4, column 1: expected a single document but found another document",
  },
  {
    name: "unknown YAML tag",
    content: "connection_settings: !!python/object:os.system {}\n",
    message:
      "{F}: invalid YAML at line 1, column 22: unresolved tag: tag:yaml.org,2002:python/object:os.system",
  },
  {
    name: "a list at top level",
    content: "- connection_settings\n- S3cretPW\n",
    message: "{F}: expected a mapping with connection_settings at the top level, got a list",
  },
  {
    name: "a scalar at top level",
    content: "S3cretPW\n",
    message: "{F}: expected a mapping with connection_settings at the top level, got a string",
  },
  {
    name: "empty file",
    content: "",
    message: "{F}: config is empty; expected a mapping with connection_settings",
  },
  {
    name: "file with only comments",
    content: "# connection_settings:\n#   password: S3cretPW\n",
    message: "{F}: config is empty; expected a mapping with connection_settings",
  },
  {
    name: "missing connection_settings",
    content: "connection_type: pool\npool_settings:\n  max_size: 5\n",
    message:
      "{F}: connection_settings: missing; expected a mapping of connection parameters (host, port, user, ...)",
  },
  {
    name: "connection_settings a list",
    content: "connection_settings:\n  - host\n  - S3cretPW\n",
    message: "{F}: connection_settings: expected a mapping of connection parameters, got a list",
  },
  {
    name: "connection_settings empty (null)",
    content: "connection_settings:\n",
    message: "{F}: connection_settings: expected a mapping of connection parameters, got null",
  },
  {
    name: "port 'abc'",
    content: `${CS}  port: abc\n`,
    message: "{F}: connection_settings.port: expected an integer from 1 to 65535, got 'abc'",
  },
  {
    name: "port 70000",
    content: `${CS}  port: 70000\n`,
    message: "{F}: connection_settings.port: expected an integer from 1 to 65535, got 70000",
  },
  {
    name: "port 1.5",
    content: `${CS}  port: 1.5\n`,
    message: "{F}: connection_settings.port: expected an integer from 1 to 65535, got 1.5",
  },
  {
    name: "port 0",
    content: `${CS}  port: '0'\n`,
    message: "{F}: connection_settings.port: expected an integer from 1 to 65535, got '0'",
  },
  {
    name: "bad sslmode",
    content: `${CS}  sslmode: verify_full\n`,
    message:
      "{F}: connection_settings.sslmode: invalid sslmode 'verify_full'; expected one of: disable, allow, prefer, require, verify-ca, verify-full",
  },
  {
    name: "autocommit 'perhaps'",
    content: `${CS}  autocommit: perhaps\n`,
    message:
      "{F}: connection_settings.autocommit: expected a boolean (true/false, yes/no, on/off, 1/0), got 'perhaps'",
  },
  {
    name: "keepalives_idle 'soon'",
    content: `${CS}  keepalives_idle: soon\n`,
    message: "{F}: connection_settings.keepalives_idle: expected a non-negative number, got 'soon'",
  },
  {
    name: "connect_timeout -5",
    content: `${CS}  connect_timeout: -5\n`,
    message: "{F}: connection_settings.connect_timeout: expected a non-negative number, got -5",
  },
  {
    name: "password as a list (items not shown)",
    content: "connection_settings:\n  password: [hunter2, swordfish]\n",
    message: "{F}: connection_settings.password: expected a string, got a list",
  },
  {
    name: "password as from_env without resolveEnv",
    content: "connection_settings:\n  password:\n    from_env: PGPASSWORD\n",
    message:
      "{F}: connection_settings.password: expected a string, got a mapping (from_env/from_file need resolveEnv: true)",
  },
  {
    name: "user as a boolean",
    content: `${CS}  user: yes\n`,
    message: "{F}: connection_settings.user: expected a string, got true (quote the value in YAML)",
  },
  {
    name: "connection_type bogus",
    content: `connection_type: bogus\n${CS}`,
    message:
      "{F}: connection_type: Unsupported connection type: 'bogus'. Valid types: normal, pool, async, async_pool",
  },
  {
    name: "connection_type null",
    content: `connection_type:\n${CS}`,
    message:
      "{F}: connection_type: Unsupported connection type: 'None'. Valid types: normal, pool, async, async_pool",
  },
  {
    name: "sync_settings a list",
    content: `${CS}sync_settings:\n  - statement_timeout\n`,
    message: "{F}: sync_settings: expected a mapping of setting names to values, got a list",
  },
  {
    name: "a GUC value that is a map",
    content: `${CS}async_settings:\n  statement_timeout: {ms: 5}\n`,
    message:
      "{F}: async_settings.statement_timeout: expected a single value (string, number or boolean), got a mapping",
  },
  {
    name: "min_size > max_size in pool_settings",
    content: `${CS}pool_settings:\n  min_size: 50\n  max_size: 5\n`,
    message: "{F}: pool_settings: min_size (50) cannot be greater than max_size (5)",
  },
  {
    name: "min_size > max_size in async_pool_settings (even for a normal connection)",
    content:
      `connection_type: normal\n${CS}async_pool_settings:\n  min_size: '50'\n  max_size: '5'\n`,
    message: "{F}: async_pool_settings: min_size (50) cannot be greater than max_size (5)",
  },
  {
    name: "max_size 'lots'",
    content: `${CS}pool_settings:\n  max_size: lots\n`,
    message: "{F}: pool_settings.max_size: expected an integer from 1 to 10000, got 'lots'",
  },
  {
    name: "max_size 0",
    content: `${CS}pool_settings:\n  max_size: 0\n`,
    message: "{F}: pool_settings.max_size: expected an integer from 1 to 10000, got 0",
  },
  {
    name: "min_size -1",
    content: `${CS}async_pool_settings:\n  min_size: -1\n`,
    message: "{F}: async_pool_settings.min_size: expected an integer from 0 to 10000, got -1",
  },
  {
    name: "timeout -1",
    content: `${CS}pool_settings:\n  timeout: -1\n`,
    message: "{F}: pool_settings.timeout: expected a non-negative number, got -1",
  },
  {
    name: "check_on_checkout 'maybe'",
    content: `${CS}pool_settings:\n  check_on_checkout: maybe\n`,
    message:
      "{F}: pool_settings.check_on_checkout: expected a boolean (true/false, yes/no, on/off, 1/0), got 'maybe'",
  },
  {
    name: "pool_settings a string",
    content: `${CS}pool_settings: big\n`,
    message: "{F}: pool_settings: expected a mapping of pool settings, got 'big'",
  },
  {
    name: "missing file",
    message: "config file not found: {F}",
  },
  {
    name: "a directory as file",
    setup: (path) => mkdirSync(path),
    message: "{F}: is a directory, expected a YAML config file",
  },
  {
    name: isRoot
      ? "a file without read permission (skipped: running as root, which can read anything)"
      : "a file without read permission",
    setup: (path) => {
      writeFileSync(path, CS);
      chmodSync(path, 0o000);
    },
    message: "{F}: permission denied",
    ignore: isRoot,
  },
  {
    name: "invalid UTF-8 bytes",
    content: new Uint8Array([
      ...new TextEncoder().encode("connection_settings:\n  host: caf"),
      0xe9,
      0x0a,
    ]),
    message:
      "{F}: not valid UTF-8 text ('utf-8' codec can't decode byte 0xe9 in position 32: invalid continuation byte)",
  },
];

let n = 0;
for (const c of CASES) {
  const path = join(dir, `case${++n}.yaml`);
  Deno.test({
    name: `bad config: ${c.name}`,
    ignore: c.ignore,
    async fn() {
      if (c.setup) c.setup(path);
      else if (c.content !== undefined) writeFileSync(path, c.content);
      {
        await rejects(readValidatedConfig(path, { onWarning: () => {} }), (e: unknown) => {
          ok(e instanceof ConfigError, `not a ConfigError: ${e}`);
          strictEqual(e.message, c.message.replaceAll("{F}", path));
          ok(!e.message.includes("\n"), "message has a newline");
          for (const s of SECRETS) ok(!e.message.includes(s), `message leaks ${s}`);
          strictEqual(e.file, path);
          return true;
        });
      }
    },
  });
}

Deno.test("bad config: the table has at least 25 cases", () => {
  ok(CASES.length >= 25);
});
