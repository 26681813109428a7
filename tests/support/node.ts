/**
 * Running TypeScript on real Node, straight from this checkout: Node >= 22.18
 * strips types itself, so a program importing `pgmonkey-deno` runs against
 * the checkout's `mod.ts` without a build (the npm build is tested by
 * `deno task build:npm`).
 *
 * @module
 */
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const decoder = new TextDecoder();

/** `v22.18.0` → true for Node versions that run `.ts` files without a flag. */
function stripsTypes(version: string): boolean {
  const m = /^v(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
}

async function run(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return out.success ? decoder.decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

let found: Promise<string> | undefined;

/**
 * The path of a Node binary that runs TypeScript: the machine's `node` when
 * it is new enough, else Node 22 from the npm registry (`npx -y node@22`).
 * Throws (never skips) when neither is available.
 */
export function typeStrippingNode(): Promise<string> {
  found ??= (async () => {
    const local = await run("node", ["--version"]);
    if (local !== undefined && stripsTypes(local)) return "node";
    const path = await run("npx", ["-y", "node@22", "-p", "process.execPath"]);
    const version = path === undefined ? undefined : await run(path, ["--version"]);
    if (path === undefined || version === undefined || !stripsTypes(version)) {
      throw new Error(
        `no Node >= 22.18 (machine: ${local ?? "none"}; npx -y node@22 failed): ` +
          "the Node variants of generated programs cannot be run",
      );
    }
    return path;
  })();
  return found;
}

/**
 * Makes `dir` a Node project whose `pgmonkey-deno` is this checkout's
 * `mod.ts` and whose `postgres` and `yaml` are the checkout's copies, as
 * `npm install pgmonkey-deno postgres yaml` would provide them.
 */
export async function linkCheckoutPackages(dir: string): Promise<void> {
  const modules = join(dir, "node_modules");
  await mkdir(modules, { recursive: true });
  // Outside node_modules, so that Node strips its types (it never does under node_modules).
  const pkg = join(dir, "pgmonkey-deno-checkout");
  await mkdir(pkg, { recursive: true });
  await writeFile(
    join(pkg, "package.json"),
    JSON.stringify({ name: "pgmonkey-deno", type: "module", exports: "./index.ts" }),
  );
  await writeFile(
    join(pkg, "index.ts"),
    `export * from ${JSON.stringify(new URL("mod.ts", `file://${REPO}`).href)};\n`,
  );
  await symlink(pkg, join(modules, "pgmonkey-deno"));
  for (const name of ["postgres", "yaml"]) {
    await symlink(join(REPO, "node_modules", name), join(modules, name));
  }
  await writeFile(join(dir, "package.json"), JSON.stringify({ private: true, type: "module" }));
}
