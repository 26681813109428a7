// No secret is ever printed: every command, run against failing servers and
// broken configs whose password is a unique string, never shows it — also when
// the server echoes it back, when it came from the environment, and with
// PGMONKEY_DEBUG=1 stack traces.
import { ok } from "node:assert/strict";
import { join } from "node:path";
import { freshDatabase } from "../support/db.ts";
import { inTurn } from "../support/in_turn.ts";
import { cli, type CliResult, deadPort, show, tempDir, writeConfig } from "./_helpers.ts";

const db0 = await freshDatabase("cli secrets");
const dir = await tempDir("secrets");
const SECRET = `pgm-secret-${crypto.randomUUID()}`;
const dead = deadPort();

interface Case {
  name: string;
  path: string;
  env?: Record<string, string>;
  resolveEnv?: boolean;
  /** Output of `pgconfig test` must show the mask (the secret reached an error text). */
  masked?: boolean;
}

const conn = (settings: Record<string, unknown>) => ({
  connection_type: "normal",
  connection_settings: { ...db0.settings, ...settings },
  pool_settings: { min_size: 1, max_size: 2, timeout: 3 },
  async_pool_settings: { min_size: 1, max_size: 2, timeout: 3 },
});

const broken = join(dir, "broken.yaml");
await Deno.writeTextFile(
  broken,
  `connection_settings:\n  password: '${SECRET}'\n  host: [unclosed\n  port: 5432\n`,
);

const CASES: Case[] = [
  {
    name: "dead port",
    path: await writeConfig(join(dir, "dead.yaml"), conn({ port: dead, password: SECRET })),
  },
  {
    name: "wrong password",
    path: await writeConfig(join(dir, "wrongpw.yaml"), conn({ password: SECRET })),
  },
  {
    name: "server echoes the secret (user name = password)",
    path: await writeConfig(join(dir, "echo.yaml"), conn({ user: SECRET, password: SECRET })),
    masked: true,
  },
  {
    name: "validation error quotes the secret (port = password)",
    path: await writeConfig(join(dir, "port.yaml"), conn({ port: SECRET, password: SECRET })),
    masked: true,
  },
  {
    name: "secret from the environment, echoed by the server",
    path: await writeConfig(
      join(dir, "env.yaml"),
      conn({ user: "${PGM_CLI_SECRET}", password: "${PGM_CLI_SECRET}" }),
    ),
    env: { PGM_CLI_SECRET: SECRET },
    resolveEnv: true,
    masked: true,
  },
  { name: "config that is not valid YAML", path: broken },
];

function commands(path: string): string[][] {
  return [
    ...["normal", "async_pool"].map((t) => [
      "pgconfig",
      "test",
      "--connconfig",
      path,
      "--connection-type",
      t,
    ]),
    ["pgconfig", "generate-code", "--filepath", path],
    ["pgconfig", "create", "--filepath", path],
    ["pgserverconfig", "--filepath", path],
    ["pgserverconfig", "--filepath", path, "--audit"],
    ["pgimport", "--table", "t", "--connconfig", path, "--import_file", join(dir, "d.csv")],
    ["pgexport", "--table", "t", "--connconfig", path],
  ];
}

Deno.test("every command, with and without PGMONKEY_DEBUG, never prints the password", async () => {
  const jobs: (() => Promise<{ label: string; r: CliResult; c: Case; args: string[] }>)[] = [];
  for (const c of CASES) {
    for (const args of commands(c.path)) {
      // Stack traces (PGMONKEY_DEBUG=1) for the commands that connect.
      const debugs = args.includes("test") || args.includes("--audit") ? ["", "1"] : [""];
      for (const debug of debugs) {
        const full = c.resolveEnv ? [...args, "--resolve-env"] : args;
        const label = `${c.name}: ${full.join(" ")}${debug ? " (PGMONKEY_DEBUG=1)" : ""}`;
        jobs.push(async () => ({
          label,
          c,
          args,
          r: await cli(full, { env: { ...c.env, PGMONKEY_DEBUG: debug } }),
        }));
      }
    }
  }
  const runs = await inTurn(jobs, 6);
  for (const { label, r, c, args } of runs) {
    ok(!r.stdout.includes(SECRET), `stdout shows the secret: ${label}\n${show(r)}`);
    ok(!r.stderr.includes(SECRET), `stderr shows the secret: ${label}\n${show(r)}`);
    if (c.masked && args[1] === "test") {
      ok(r.stderr.includes("***REDACTED***"), `${label}\n${show(r)}`);
    }
    if (args[0] === "pgconfig" && args[1] === "test") {
      ok(r.code === 1, `${label}\n${show(r)}`);
    }
  }
});

Deno.test("teardown: drop temp dir, close the admin connection", async () => {
  await Deno.remove(dir, { recursive: true });
  await db0.close();
});
