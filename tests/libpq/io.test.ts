import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import os from "node:os";
import { join } from "node:path";
import { systemFiles } from "../../src/libpq/io.ts";
import { scratch } from "./_environment.ts";

Deno.test("systemFiles: stat follows symlinks and reports kind and permission bits", async () => {
  await using dir = await scratch();
  const file = await dir.write("f", "text", 0o640);
  deepStrictEqual(await systemFiles.stat(file), { kind: "file", mode: 0o640 });
  deepStrictEqual(await systemFiles.stat(dir.path), { kind: "directory", mode: 0o755 });
  await Deno.symlink(file, join(dir.path, "link"));
  deepStrictEqual(await systemFiles.stat(join(dir.path, "link")), { kind: "file", mode: 0o640 });
  strictEqual(await systemFiles.stat(join(dir.path, "missing")), undefined);
  strictEqual(await systemFiles.readText(file), "text");
  strictEqual(await systemFiles.readText(join(dir.path, "missing")), undefined);
});

Deno.test("systemLibpqEnvironment: reads the process's PG* variables, the OS user, Debian's defaults", async () => {
  const script = `
    import { systemLibpqEnvironment } from ${
    JSON.stringify(new URL("../../src/libpq/io.ts", import.meta.url).href)
  };
    const e = await systemLibpqEnvironment();
    console.log(JSON.stringify({ env: e.env, user: e.userName, home: e.homeDir, socket: e.socketDir,
      compiled: e.compiledSocketDir, sysconf: e.sysconfDir }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: "/home/from-env",
      PGHOST: "db1,db2",
      PGSSLMODE: "require",
      NOT_LIBPQ: "x",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  ok(out.success, new TextDecoder().decode(out.stderr));
  const got = JSON.parse(new TextDecoder().decode(out.stdout));
  deepStrictEqual(got.env, { PGHOST: "db1,db2", PGSSLMODE: "require", HOME: "/home/from-env" });
  strictEqual(got.user, os.userInfo().username);
  strictEqual(got.home, os.userInfo().homedir); // the password database, not HOME
  strictEqual(got.compiled, "/var/run/postgresql");
  strictEqual(got.sysconf, "/etc/postgresql-common");
  const socketDirExists = (await systemFiles.stat("/var/run/postgresql"))?.kind === "directory";
  strictEqual(got.socket, socketDirExists ? "/var/run/postgresql" : undefined);
});
