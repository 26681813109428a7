// The bounds of limits.ts as pure functions: byte lengths, the problems they
// report (never quoting the value), reserved session-setting names.
import { strictEqual } from "node:assert/strict";
import {
  MAX_NAME_BYTES,
  reservedSessionSetting,
  sessionSettingsBytes,
  textLimit,
  textProblem,
  utf8ByteLength,
} from "../../src/config/limits.ts";

Deno.test("utf8ByteLength counts what PostgreSQL counts", () => {
  for (const text of ["", "abc", "café", "€", "😀", "a😀é€", "\u0800", "\u07ff"]) {
    strictEqual(utf8ByteLength(text), new TextEncoder().encode(text).length, text);
  }
});

Deno.test("textProblem: NUL anywhere, then the byte limit; the value is never shown", () => {
  strictEqual(textProblem("\0", 63, "why"), "must not contain a NUL byte (found at character 1)");
  strictEqual(textProblem("é".repeat(31) + "x", 63, "why"), undefined); // 63 bytes
  strictEqual(
    textProblem("é".repeat(32), 63, "why"),
    "expected at most 63 bytes (why), got 64 bytes",
  );
  strictEqual(textProblem("x".repeat(21), 63, "why"), undefined);
  strictEqual(textProblem("secret\0", Infinity, "")?.includes("secret"), false);
  strictEqual(textLimit("dbname")[0], MAX_NAME_BYTES);
  strictEqual(textLimit("password")[0], 65535);
  strictEqual(textLimit("host")[0], 4095);
});

Deno.test("reserved session-setting names, in any case; ordinary GUCs pass", () => {
  for (const name of ["user", "User", "database", "options", "replication", "CLIENT_ENCODING"]) {
    strictEqual(typeof reservedSessionSetting(name), "string", name);
  }
  strictEqual(reservedSessionSetting("_pq_.anything"), "a protocol option, not a session setting");
  for (const name of ["work_mem", "application_name", "search_path", "myapp.user", "username"]) {
    strictEqual(reservedSessionSetting(name), undefined, name);
  }
  strictEqual(sessionSettingsBytes({ a: "é", bb: "" }), 1 + 2 + 2 + 2 + 0 + 2);
});
