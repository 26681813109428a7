// readSmallFileSync: only regular files, never more than the limit, and a
// FIFO or device is refused without opening it (nothing blocks).
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { readSmallFileSync, SmallFileError } from "../../src/config/small_file.ts";

const dir = await Deno.makeTempDir({ prefix: "pgm-small-file-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

function refused(path: string, limit: number, reason: string, message: string): void {
  throws(() => readSmallFileSync(path, limit), (e: unknown) => {
    ok(e instanceof SmallFileError, String(e));
    strictEqual(e.reason, reason);
    strictEqual(e.message, message);
    return true;
  });
}

Deno.test("a regular file up to the limit is read whole; one byte more is refused", () => {
  const path = join(dir, "f");
  Deno.writeFileSync(path, new Uint8Array(1024).fill(0x61));
  strictEqual(readSmallFileSync(path, 1024).length, 1024);
  refused(path, 1023, "too-large", "is 1024 bytes, larger than the 1023 bytes allowed");
  refused(path, 512, "too-large", "is 1024 bytes, larger than the 512 bytes allowed");
  Deno.writeFileSync(path, new Uint8Array(0));
  deepStrictEqual([...readSmallFileSync(path, 10)], []);
});

Deno.test("a FIFO, a device and a directory are refused from their stat", async () => {
  const fifo = join(dir, "pipe");
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  ok(made.success);
  refused(fifo, 1 << 20, "not-regular", "is a named pipe (FIFO), expected a regular file");
  refused("/dev/zero", 1 << 20, "not-regular", "is a character device, expected a regular file");
  throws(
    () => readSmallFileSync(dir, 10),
    (e: unknown) => (e as { code?: string }).code === "EISDIR",
  );
  throws(
    () => readSmallFileSync(join(dir, "none"), 10),
    (e: unknown) => (e as { code?: string }).code === "ENOENT",
  );
});

Deno.test("a file that says it is empty (/proc) is still bounded by what is read", () => {
  const status = readSmallFileSync("/proc/self/status", 1 << 20);
  ok(new TextDecoder().decode(status).includes("Pid:"));
  refused(
    "/proc/self/status",
    16,
    "too-large",
    "is more than 16 bytes, larger than the 16 bytes allowed",
  );
});
