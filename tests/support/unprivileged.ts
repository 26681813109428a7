/**
 * Running server programs (PostgreSQL, PgBouncer) from tests: PostgreSQL
 * refuses to run as root, so as root they run as the `postgres` OS user
 * (`setpriv`, which execs the program itself, so the child is the server),
 * in a scratch directory under the system temp dir that the user owns.
 * As any other user they run as that user.
 *
 * @module
 */
import { type ScratchDir, scratchDir } from "./scratch.ts";

/** The OS user servers run as when the tests run as root. */
export const SERVER_OS_USER = "postgres";

const isRoot = Deno.uid() === 0;

/** uid/gid of {@link SERVER_OS_USER}, created (`useradd --system`) when missing. */
async function serverUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => {
    const out = await new Deno.Command("id", { args: [flag, SERVER_OS_USER], stderr: "null" })
      .output();
    return out.success ? Number(new TextDecoder().decode(out.stdout).trim()) : undefined;
  };
  if (await id("-u") === undefined) {
    await run("useradd", ["--system", "--user-group", "--no-create-home", SERVER_OS_USER]);
  }
  return { uid: (await id("-u"))!, gid: (await id("-g"))! };
}

/** Argv prefix that runs a program as the server user (empty when not root). */
export function asServerUser(program: string, args: string[]): [string, string[]] {
  if (!isRoot) return [program, args];
  return [
    "setpriv",
    ["--reuid", SERVER_OS_USER, "--regid", SERVER_OS_USER, "--init-groups", program, ...args],
  ];
}

/** Runs a program (as the server user when root) and throws with its output on failure. */
export async function runAsServerUser(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const [cmd, argv] = asServerUser(program, args);
  return await run(cmd, argv, env);
}

/** Runs a program and returns its stdout; throws with stderr (one message) on failure. */
export async function run(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const out = await new Deno.Command(program, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  if (!out.success) {
    throw new Error(
      `${program} ${args.join(" ")} failed (exit ${out.code}): ${
        text(out.stderr) || text(out.stdout)
      }`,
    );
  }
  return text(out.stdout);
}

/** Makes a scratch directory under the system temp dir, owned by the server user. */
export async function serverDir(label: string): Promise<ScratchDir> {
  return await scratchDir(label, isRoot ? await serverUser() : undefined);
}

/**
 * Resolves when something accepts TCP connections on 127.0.0.1:`port`;
 * throws after `ms`, or as soon as `gone()` returns a reason (e.g. the
 * server process exited).
 */
export async function waitForPort(
  port: number,
  ms: number,
  what: string,
  gone: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const reason = gone();
    if (reason !== undefined) throw new Error(`${what} ${reason}`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${what} did not listen on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
