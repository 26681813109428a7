/**
 * The test runner behind `deno task test`: starts ONE throwaway PostgreSQL,
 * runs `deno test` against it, stops and deletes the server (also when tests
 * fail or the run is interrupted), and ends with one plain summary line:
 * `tests: N passed, M failed`.
 *
 * Extra arguments are passed to `deno test` (e.g. a file or `--filter`).
 *
 * @module
 */
import { startThrowawayServerOrExit } from "./server.ts";

const server = await startThrowawayServerOrExit();
let stopping = false;
const stopAndExit = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  Deno.exit(code);
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => void stopAndExit(130));
}

let passed = 0;
let failed = 0;
let code = 1;
try {
  const args = Deno.args.length ? Deno.args : ["tests/"];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--no-check=remote", ...args],
    env: {
      PGMONKEY_TEST_HOST: server.host,
      PGMONKEY_TEST_PORT: String(server.port),
      PGMONKEY_TEST_USER: server.user,
      PGMONKEY_TEST_PASSWORD: server.password,
      PGMONKEY_TEST_CERTDIR: server.certDir,
    },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
  }
  const status = await child.status;
  // Deno's own summary: "ok | 12 passed (3 steps) | 0 failed (1s)".
  // deno-lint-ignore no-control-regex
  const clean = tail.replace(/\x1b\[[0-9;]*m/g, "");
  const m = [...clean.matchAll(/\|\s*(\d+) passed[^|]*\|\s*(\d+) failed/g)].pop();
  if (m) {
    passed = Number(m[1]);
    failed = Number(m[2]);
  } else if (!status.success) {
    failed = Math.max(1, failed);
  }
  code = status.success && failed === 0 && passed > 0 ? 0 : 1;
} finally {
  if (!stopping) {
    stopping = true;
    await server.stop();
  }
}
console.log(`tests: ${passed} passed, ${failed} failed`);
Deno.exit(code);
