// `pgmonkey pgconfig create`: writes the template, creates parent folders,
// never overwrites.
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { CONFIG_TEMPLATE } from "../../mod.ts";
import { cli, lines, show, tempDir } from "./_helpers.ts";

const dir = await tempDir("create");

Deno.test("create writes the template into new parent folders and says where", async () => {
  const path = join(dir, "a", "b", "config.yaml");
  const r = await cli(["pgconfig", "create", "--type", "pg", "--filepath", path]);
  strictEqual(r.code, 0, show(r));
  strictEqual(r.stdout, `New configuration template created: ${path}\n`);
  strictEqual(r.stderr, "");
  strictEqual(await Deno.readTextFile(path), CONFIG_TEMPLATE);
});

Deno.test("create accepts --connconfig, a relative path, and --resolve-env (ignored)", async () => {
  const r = await cli(["pgconfig", "create", "--connconfig", "rel/pg.yaml", "--resolve-env"], {
    cwd: dir,
  });
  strictEqual(r.code, 0, show(r));
  strictEqual(r.stdout, "New configuration template created: rel/pg.yaml\n");
  strictEqual(await Deno.readTextFile(join(dir, "rel", "pg.yaml")), CONFIG_TEMPLATE);
});

Deno.test("create refuses to overwrite an existing file: one line on stderr, exit 1, file kept", async () => {
  const path = join(dir, "existing.yaml");
  await Deno.writeTextFile(path, "connection_type: pool\n");
  const r = await cli(["pgconfig", "create", "--filepath", path]);
  strictEqual(r.code, 1, show(r));
  strictEqual(r.stdout, "");
  strictEqual(
    r.stderr,
    `pgmonkey: error: Configuration file already exists: ${path} (edit this file to update settings)\n`,
  );
  strictEqual(await Deno.readTextFile(path), "connection_type: pool\n");
});

Deno.test("create fails cleanly when a parent is a file or the path is a folder", async () => {
  const file = join(dir, "plain-file");
  await Deno.writeTextFile(file, "x");
  const [underFile, isDir] = await Promise.all([
    cli(["pgconfig", "create", "--filepath", join(file, "config.yaml")]),
    cli(["pgconfig", "create", "--filepath", dir]),
  ]);
  strictEqual(underFile.code, 1, show(underFile));
  strictEqual(lines(underFile.stderr).length, 1, show(underFile));
  ok(
    underFile.stderr.startsWith("pgmonkey: error: cannot create the folder for "),
    show(underFile),
  );
  ok(!underFile.stderr.includes("    at "), "no stack trace");
  strictEqual(isDir.code, 1, show(isDir));
  ok(isDir.stderr.includes("already exists"), show(isDir));
});

Deno.test("create: --type only accepts pg (exit 2)", async () => {
  const r = await cli(["pgconfig", "create", "--type", "mysql", "--filepath", join(dir, "m.yaml")]);
  strictEqual(r.code, 2, show(r));
  ok(r.stderr.includes("argument --type: invalid choice: 'mysql' (choose from 'pg')"));
});

Deno.test("teardown: remove the temp dir", () => Deno.remove(dir, { recursive: true }));
