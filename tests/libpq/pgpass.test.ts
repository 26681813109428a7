import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import {
  findPgpassPassword,
  lookupPgpass,
  matchPgpassLine,
  pgpassAuthHint,
  pgpassFileWarning,
  pgpassHost,
} from "../../src/libpq/pgpass.ts";
import { buildHosts } from "../../src/libpq/hosts.ts";
import { scratch, testEnvironment } from "./_environment.ts";

const q = { host: "db.internal", port: 5432, dbname: "app", user: "deploy" };

Deno.test("matchPgpassLine: all four fields must match; * matches anything", () => {
  strictEqual(matchPgpassLine("db.internal:5432:app:deploy:pw", q), "pw");
  strictEqual(matchPgpassLine("*:*:*:*:pw", q), "pw");
  strictEqual(matchPgpassLine("db.internal:*:app:*:pw", q), "pw");
  strictEqual(matchPgpassLine("db.internal:5433:app:deploy:pw", q), undefined);
  strictEqual(matchPgpassLine("db:5432:app:deploy:pw", q), undefined); // no prefix match
  strictEqual(matchPgpassLine("db.internal.x:5432:app:deploy:pw", q), undefined);
  strictEqual(matchPgpassLine("DB.INTERNAL:5432:app:deploy:pw", q), undefined); // case matters
});

Deno.test("matchPgpassLine: \\: and \\\\ escapes in fields and in the password", () => {
  const odd = { host: "h", port: 5432, dbname: "a:b", user: "u\\v" };
  strictEqual(matchPgpassLine("h:5432:a\\:b:u\\\\v:p\\:w\\\\d", odd), "p:w\\d");
  // The password ends at the first unescaped colon; extra fields are dropped.
  strictEqual(matchPgpassLine("*:*:*:*:pw:extra", q), "pw");
  // '*' is a wildcard only as a whole field; an escaped \* is a literal star.
  strictEqual(matchPgpassLine("*x:*:*:*:pw", q), undefined);
  strictEqual(matchPgpassLine("\\*:*:*:*:pw", { ...q, host: "*" }), "pw");
  strictEqual(matchPgpassLine("\\*:*:*:*:pw", q), undefined);
  // An empty password field is a (empty) match, as in libpq.
  strictEqual(matchPgpassLine("*:*:*:*:", q), "");
});

Deno.test("matchPgpassLine: malformed lines never match", () => {
  for (const line of ["*:*:*:*", "*:*:*", "garbage", "db.internal:5432:app:deploy", ":::"]) {
    strictEqual(matchPgpassLine(line, q), undefined, line);
  }
});

Deno.test("findPgpassPassword: first match wins; comments, blanks, CRLF and bad lines skipped", () => {
  const text = [
    "# a comment:*:*:*:no",
    "",
    "broken line",
    "other:*:*:*:not-this",
    "db.internal:5432:app:deploy:first\r",
    "*:*:*:*:second",
  ].join("\n");
  deepStrictEqual(findPgpassPassword(text, q), { password: "first", line: 5 });
  deepStrictEqual(findPgpassPassword("*:*:*:*:last-line-no-newline", q), {
    password: "last-line-no-newline",
    line: 1,
  });
  // Only a # in the first column makes a comment.
  deepStrictEqual(findPgpassPassword(" #:*:*:*:x\n", { ...q, host: " #" }), {
    password: "x",
    line: 1,
  });
  strictEqual(findPgpassPassword("", q), undefined);
});

Deno.test("pgpassHost: the default socket directory and an empty host compare as localhost", () => {
  const [sock] = buildHosts({ socketDir: "/var/run/postgresql" });
  strictEqual(pgpassHost(sock, "/var/run/postgresql"), "localhost");
  const [otherSock] = buildHosts({ host: { text: "/tmp", source: "config" } });
  strictEqual(pgpassHost(otherSock, "/var/run/postgresql"), "/tmp");
  const [byAddr] = buildHosts({ hostaddr: { text: "10.0.0.9", source: "config" } });
  strictEqual(pgpassHost(byAddr, "/var/run/postgresql"), "10.0.0.9");
  const [named] = buildHosts({
    host: { text: "db1", source: "config" },
    hostaddr: { text: "10.0.0.9", source: "config" },
  });
  strictEqual(pgpassHost(named, "/var/run/postgresql"), "db1");
});

Deno.test("pgpassFileWarning: libpq's exact texts", () => {
  strictEqual(pgpassFileWarning("/h/.pgpass", { kind: "file", mode: 0o600 }), undefined);
  strictEqual(pgpassFileWarning("/h/.pgpass", { kind: "file", mode: 0o400 }), undefined);
  strictEqual(
    pgpassFileWarning("/h/.pgpass", { kind: "file", mode: 0o640 }),
    'WARNING: password file "/h/.pgpass" has group or world access; permissions should be ' +
      "u=rw (0600) or less",
  );
  strictEqual(
    pgpassFileWarning("/h/.pgpass", { kind: "directory", mode: 0o700 }),
    'WARNING: password file "/h/.pgpass" is not a plain file',
  );
  strictEqual(pgpassAuthHint("/h/.pgpass"), 'password retrieved from file "/h/.pgpass"');
});

Deno.test("lookupPgpass: a 0600 file is used, read afresh on each call", async () => {
  await using dir = await scratch();
  const file = await dir.write("pgpass", "db.internal:5432:app:deploy:one\n");
  const environment = testEnvironment();
  deepStrictEqual(await lookupPgpass(file, q, environment), { password: "one", file, line: 1 });
  await dir.write("pgpass", "# rotated\ndb.internal:5432:app:deploy:two\n");
  deepStrictEqual(await lookupPgpass(file, q, environment), { password: "two", file, line: 2 });
  deepStrictEqual(environment.warnings, []);
});

Deno.test("lookupPgpass: group/world-accessible or non-plain files are ignored with a warning", async () => {
  await using dir = await scratch();
  const environment = testEnvironment();
  const loose = await dir.write("loose", "*:*:*:*:pw\n", 0o644);
  strictEqual(await lookupPgpass(loose, q, environment), undefined);
  const groupOnly = await dir.write("group", "*:*:*:*:pw\n", 0o610);
  strictEqual(await lookupPgpass(groupOnly, q, environment), undefined);
  const folder = join(dir.path, "folder");
  await mkdir(folder);
  strictEqual(await lookupPgpass(folder, q, environment), undefined);
  deepStrictEqual(environment.warnings, [
    `WARNING: password file "${loose}" has group or world access; permissions should be u=rw (0600) or less`,
    `WARNING: password file "${groupOnly}" has group or world access; permissions should be u=rw (0600) or less`,
    `WARNING: password file "${folder}" is not a plain file`,
  ]);
});

Deno.test("lookupPgpass: a symlink is judged by its target (stat, as libpq)", async () => {
  await using dir = await scratch();
  const real = await dir.write("real", "*:*:*:*:via-link\n", 0o600);
  const link = join(dir.path, "link");
  await symlink(real, link);
  const environment = testEnvironment();
  deepStrictEqual(await lookupPgpass(link, q, environment), {
    password: "via-link",
    file: link,
    line: 1,
  });
});

Deno.test("lookupPgpass: a missing file, or no match, gives nothing and no warning", async () => {
  await using dir = await scratch();
  const environment = testEnvironment();
  strictEqual(await lookupPgpass(join(dir.path, "none"), q, environment), undefined);
  const file = await dir.write("pgpass", "other:*:*:*:pw\n");
  strictEqual(await lookupPgpass(file, q, environment), undefined);
  deepStrictEqual(environment.warnings, []);
});

Deno.test("lookupPgpass: Windows skips the permission check, as libpq", async () => {
  await using dir = await scratch();
  const file = await dir.write("pgpass.conf", "*:*:*:*:win\n", 0o644);
  const environment = testEnvironment({ windows: true });
  strictEqual((await lookupPgpass(file, q, environment))?.password, "win");
  deepStrictEqual(environment.warnings, []);
});
