import assert from "node:assert/strict";
import { diagnoseOutput, ServerStartError } from "../support/start_failure.ts";

Deno.test("a library that does not load points at deno install (the postinstall step)", () => {
  const d = diagnoseOutput(
    "postgres",
    "/x/native/bin/postgres: error while loading shared libraries: libicuuc.so.60: " +
      "cannot open shared object file: No such file or directory\n",
  );
  assert.equal(d.what, "postgres cannot load libicuuc.so.60");
  assert.match(d.fix, /^run `deno install`: it runs the postinstall script/);
});

Deno.test("a taken port, and no room for shared memory, are named", () => {
  assert.deepEqual(
    diagnoseOutput(
      "postgres",
      'LOG:  could not bind IPv4 address "127.0.0.1": Address already in use\n' +
        "FATAL:  could not create any TCP/IP sockets\n",
    ),
    { what: "its port was taken by another process", fix: "run the command again" },
  );
  assert.equal(
    diagnoseOutput("postgres", "FATAL:  could not create shared memory segment: No space")
      .what,
    "no room for shared memory or the data directory",
  );
});

Deno.test("otherwise the first error line is quoted, with where to see the rest", () => {
  const d = diagnoseOutput(
    "initdb",
    'The files belonging to this database system will be owned by user "postgres".\n' +
      'initdb: error: could not change permissions of directory "/d": Operation not permitted\n' +
      "FATAL: later line\n",
  );
  assert.equal(
    d.what,
    'initdb failed: initdb: error: could not change permissions of directory "/d": ' +
      "Operation not permitted",
  );
  assert.equal(d.fix, "run with PGMONKEY_DEBUG=1 to see the full output");
  assert.equal(diagnoseOutput("postgres", "").what, "postgres failed");
});

Deno.test("a ServerStartError message is one line and keeps the output apart", () => {
  const e = new ServerStartError("two\nlines", "fix  it\n", "the log\nsecond line");
  assert.equal(e.message, "could not start the throwaway PostgreSQL server: two lines; fix it");
  assert.equal(e.log, "the log\nsecond line");
  assert.equal(e.name, "ServerStartError");
});
