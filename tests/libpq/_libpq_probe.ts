/**
 * Asks the real libpq (`libpq.so.5`, through Deno FFI) what it makes of a
 * conninfo string in a given environment, so tests can compare our resolver
 * with it. Run as a subprocess with a clean environment: reads
 * `[{ conninfo, env }]` as JSON on stdin, writes one result per case as
 * JSON on stdout. `PQconnectStart` does start connecting, so cases must
 * point at hosts that fail at once (Unix sockets in missing directories).
 *
 * @module
 */
import { eachProbeCase } from "../support/libpq_probe.ts";

const lib = Deno.dlopen("libpq.so.5", {
  PQconnectStart: { parameters: ["buffer"], result: "pointer" },
  PQconninfo: { parameters: ["pointer"], result: "pointer" },
  PQconninfoFree: { parameters: ["pointer"], result: "void" },
  PQstatus: { parameters: ["pointer"], result: "i32" },
  PQerrorMessage: { parameters: ["pointer"], result: "pointer" },
  PQhost: { parameters: ["pointer"], result: "pointer" },
  PQport: { parameters: ["pointer"], result: "pointer" },
  PQpass: { parameters: ["pointer"], result: "pointer" },
  PQfinish: { parameters: ["pointer"], result: "void" },
  PQlibVersion: { parameters: [], result: "i32" },
});
const s = lib.symbols;

function cstr(p: Deno.PointerValue): string | null {
  return p === null ? null : Deno.UnsafePointerView.getCString(p);
}

/** `PQconninfoOption` is six pointers and an int: 56 bytes on 64-bit. */
function conninfo(conn: Deno.PointerValue): Record<string, string> {
  const out: Record<string, string> = {};
  const arr = s.PQconninfo(conn);
  if (arr === null) return out;
  const view = new Deno.UnsafePointerView(arr);
  for (let offset = 0;; offset += 56) {
    const keyword = view.getPointer(offset);
    if (keyword === null) break;
    const val = view.getPointer(offset + 24);
    if (val !== null) out[cstr(keyword)!] = cstr(val)!;
  }
  s.PQconninfoFree(arr);
  return out;
}

const results = await eachProbeCase((name) => name.startsWith("PG") || name === "HOME", (c) => {
  const conn = s.PQconnectStart(new TextEncoder().encode(c.conninfo + "\0"));
  const result = {
    status: s.PQstatus(conn),
    error: cstr(s.PQerrorMessage(conn)),
    options: conninfo(conn),
    host: cstr(s.PQhost(conn)),
    port: cstr(s.PQport(conn)),
    pass: cstr(s.PQpass(conn)),
  };
  s.PQfinish(conn);
  return result;
});
console.log(JSON.stringify({ version: s.PQlibVersion(), results }));
