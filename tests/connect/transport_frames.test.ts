// Unit tests of the transport's frame scanner and LISTEN detection (no server).
import assert from "node:assert/strict";
import { FrameScanner, type FrameVisitor, parseListen, UNTYPED } from "../../src/connect/frames.ts";

const enc = new TextEncoder();

/** One typed frame: type, length, body. */
function frame(type: string, body: Uint8Array | string = new Uint8Array()): Uint8Array {
  const b = typeof body === "string" ? enc.encode(body) : body;
  const out = new Uint8Array(5 + b.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setUint32(1, 4 + b.length);
  out.set(b, 5);
  return out;
}

function startup(): Uint8Array {
  const body = enc.encode("user\0u\0database\0d\0\0");
  const out = new Uint8Array(8 + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, out.length);
  v.setUint32(4, 196608);
  out.set(body, 8);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}

/** Records frame types and the query text of Q/P messages (via in-place or collected bodies). */
function recorder(): { visitor: FrameVisitor; types: string[]; bodies: string[] } {
  const types: string[] = [];
  const bodies: string[] = [];
  const visitor: FrameVisitor = {
    frame(type, bodyLength, chunk, bodyStart) {
      types.push(type === UNTYPED ? "startup" : String.fromCharCode(type));
      if (type !== 0x51) return 0;
      if (chunk.length - bodyStart >= bodyLength) {
        bodies.push(new TextDecoder().decode(chunk.subarray(bodyStart, bodyStart + bodyLength)));
        return 0;
      }
      return bodyLength;
    },
    body(_type, bytes) {
      bodies.push(new TextDecoder().decode(bytes));
    },
  };
  return { visitor, types, bodies };
}

Deno.test("the scanner finds every frame of a client stream, whatever the chunking", () => {
  const stream = concat(
    startup(),
    frame("Q", "SELECT 1\0"),
    frame("P", "\0SELECT $1\0\0\0"),
    frame("B", "\0\0\0\0\0\0\0\0"),
    frame("E", "\0\0\0\0\0"),
    frame("S"),
    frame("Q", "listen jobs\0"),
    frame("X"),
  );
  for (let size = 1; size <= stream.length; size++) {
    const r = recorder();
    const scanner = new FrameScanner(r.visitor, true);
    for (let i = 0; i < stream.length; i += size) scanner.feed(stream.subarray(i, i + size));
    assert.deepEqual(r.types, ["startup", "Q", "P", "B", "E", "S", "Q", "X"], `chunk size ${size}`);
    assert.deepEqual(r.bodies, ["SELECT 1\0", "listen jobs\0"], `chunk size ${size}`);
  }
});

Deno.test("the scanner counts ReadyForQuery frames inside large result chunks", () => {
  const rows = Array.from({ length: 1000 }, (_, i) => frame("D", `\0\x01\0\0\0\x04${i}`));
  const reply = concat(
    frame("1"),
    frame("2"),
    ...rows,
    frame("C", "SELECT 1000\0"),
    frame("Z", "I"),
  );
  let z = 0;
  let frames = 0;
  const scanner = new FrameScanner({
    frame(type) {
      frames++;
      if (type === 0x5a) z++;
      return 0;
    },
  });
  for (let i = 0; i < reply.length; i += 4096) scanner.feed(reply.subarray(i, i + 4096));
  assert.equal(frames, 1004);
  assert.equal(z, 1);
});

Deno.test("parseListen recognises LISTEN and UNLISTEN and folds unquoted names", () => {
  const p = (s: string) => {
    const b = enc.encode(s);
    return parseListen(b, 0, b.length);
  };
  assert.deepEqual(p("LISTEN Jobs"), { unlisten: false, channel: "jobs" });
  assert.deepEqual(p('  \n listen "Jobs ""x"""\0'), { unlisten: false, channel: 'Jobs "x"' });
  assert.deepEqual(p("-- comment\n/* c */ UnListen jobs;"), { unlisten: true, channel: "jobs" });
  assert.deepEqual(p("unlisten *"), { unlisten: true, channel: "*" });
  assert.equal(p("SELECT 'listen x'"), null);
  assert.equal(p("listener"), null);
  assert.equal(p("update t set listen = 1"), null);
  assert.equal(p("listen"), null);
});
