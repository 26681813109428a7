// The throwaway server starts from a checkout in a directory nobody else can
// enter (root's /root, `mktemp -d`), as root and as a normal user. Each test
// copies this checkout (working tree and node_modules) into a fresh 0700
// directory and runs tests/fixtures/harness/start_and_query.ts there, which
// starts the server the way `deno task test` does and logs in over TLS.
import assert from "node:assert/strict";
import { chown } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { lookupUser, type OsUser, SERVER_USER, spawnAs } from "../support/os_user.ts";

const REPO_DIR = fileURLToPath(new URL("../../", import.meta.url));
const PROBE = "tests/fixtures/harness/start_and_query.ts";
const isRoot = Deno.uid() === 0;
const decoder = new TextDecoder();

/** A fresh 0700 directory holding a copy of the checkout, owned by `owner`. */
async function checkoutIn0700Dir(owner?: OsUser): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pgmonkey-0700-" });
  await Deno.chmod(dir, 0o700);
  for await (const entry of Deno.readDir(REPO_DIR)) {
    if (entry.name === ".git" || entry.name === "npm") continue;
    // cp -a keeps node_modules' relative symlinks.
    const cp = await new Deno.Command("cp", { args: ["-a", join(REPO_DIR, entry.name), dir] })
      .output();
    assert.ok(cp.success, `cp -a ${entry.name}: ${decoder.decode(cp.stderr)}`);
  }
  if (owner) {
    const r = await new Deno.Command("chown", { args: ["-R", `${owner.uid}:${owner.gid}`, dir] })
      .output();
    assert.ok(r.success, decoder.decode(r.stderr));
  }
  return dir;
}

/** A Deno binary `user` can run: ours, or a copy in `dir` when ours is out of its reach. */
async function denoFor(user: OsUser | undefined, dir: string): Promise<string> {
  try {
    await new Deno.Command(Deno.execPath(), { args: ["--version"], ...spawnAs(user) }).output();
    return Deno.execPath();
  } catch {
    const copy = join(dir, "deno");
    await Deno.copyFile(Deno.execPath(), copy);
    await Deno.chmod(copy, 0o755);
    if (user) await chown(copy, user.uid, user.gid);
    return copy;
  }
}

interface ProbeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the probe from the checkout in `dir` as `user`, offline: DENO_DIR and
 * HOME in `home` (default `dir`), npm packages straight from node_modules.
 */
async function probe(
  dir: string,
  { user, env = {}, home = dir }: { user?: OsUser; env?: Record<string, string>; home?: string } =
    {},
): Promise<ProbeRun> {
  const deno = await denoFor(user, home);
  const out = await new Deno.Command(deno, {
    args: ["run", "-A", "--cached-only", "--node-modules-dir=manual", join(dir, PROBE)],
    ...spawnAs(user),
    cwd: dir,
    env: { HOME: home, DENO_DIR: join(home, ".deno-dir"), NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Runs the probe from this checkout with a fresh HOME/DENO_DIR and extra environment. */
async function probeHere(env: Record<string, string>): Promise<ProbeRun> {
  const home = await Deno.makeTempDir({ prefix: "pgmonkey-home-" });
  try {
    return await probe(REPO_DIR, { env, home });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/** The output is exactly one line on stderr, exit status 1. */
function assertOneLineFailure(r: ProbeRun, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith("..");
}

Deno.test(
  `the throwaway server starts from a checkout in a 0700 directory (as ${
    isRoot ? "root: the server runs as postgres" : "a normal user"
  })`,
  async () => {
    const dir = await checkoutIn0700Dir();
    try {
      const r = await probe(dir);
      assert.equal(r.code, 0, r.stderr);
      const seen = JSON.parse(r.stdout);
      assert.equal(seen.role, "postgres");
      assert.equal(seen.tls, true);
      if (isRoot) {
        // `postgres` cannot enter the checkout: the binaries ran from a copy
        // under the temp dir, deleted with the server.
        assert.equal(seen.osUser, SERVER_USER);
        assert.ok(!isInside(seen.binaries, dir), seen.binaries);
        assert.ok(isInside(seen.binaries, tmpdir()), seen.binaries);
        assert.equal(seen.binariesLeft, false);
      } else {
        // We run the server ourselves, straight from node_modules.
        assert.ok(isInside(seen.binaries, join(dir, "node_modules")), seen.binaries);
        assert.equal(seen.binariesLeft, true);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

if (isRoot) {
  Deno.test(
    "the throwaway server starts for a normal user (postgres) from a 0700 directory it owns",
    async () => {
      const user = await lookupUser(SERVER_USER);
      assert.ok(user, "the full suite's server runs as postgres, so the user exists");
      const dir = await checkoutIn0700Dir(user);
      try {
        const r = await probe(dir, { user });
        assert.equal(r.code, 0, r.stderr);
        const seen = JSON.parse(r.stdout);
        assert.deepEqual([seen.role, seen.tls, seen.osUser], ["postgres", true, SERVER_USER]);
        // Its own checkout: no copy needed.
        assert.ok(isInside(seen.binaries, join(dir, "node_modules")), seen.binaries);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );

  Deno.test(
    "as root with a TMPDIR postgres cannot enter, start-up fails with one line naming the fix",
    async () => {
      const closedTmp = await Deno.makeTempDir({ prefix: "pgmonkey-closed-tmp-" });
      await Deno.chmod(closedTmp, 0o700);
      try {
        const r = await probeHere({ TMPDIR: closedTmp });
        assertOneLineFailure(
          r,
          /^could not start the throwaway PostgreSQL server: the OS user postgres cannot enter the temp dir .*pgmonkey-closed-tmp-\w+; set TMPDIR to a directory every user can enter, e\.g\. TMPDIR=\/tmp\n$/,
        );
        // Nothing left behind.
        assert.deepEqual([...Deno.readDirSync(closedTmp)], []);
      } finally {
        await Deno.remove(closedTmp, { recursive: true });
      }
    },
  );
}

Deno.test("without openssl, start-up fails with one line naming the fix", async () => {
  const r = await probeHere({ PATH: "/nonexistent" });
  assertOneLineFailure(
    r,
    /^could not start the throwaway PostgreSQL server: openssl could not make the test certificates \(.*\); install openssl \(apt-get install openssl\) and check that it is on PATH\n$/,
  );
});
