// The export's COPY text → CSV conversion writes exactly what the server's FORMAT csv writes.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { adminSql, freshDatabase } from "../support/db.ts";
import type { ReservedSql } from "../../src/connect/handle.ts";
import { copyOut } from "../../src/transfer/copy_stream.ts";
import { CopyTextToCsv } from "../../src/transfer/copy_text_to_csv.ts";

const db = await freshDatabase("copy_text_to_csv");
const dec = new TextDecoder();

/** All chunks of a COPY TO STDOUT (through the exporter's own `copyOut`), concatenated. */
async function copyAll(statement: string, each = (c: Uint8Array) => c): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  // A session of its own per COPY, as pgexport has.
  const sql = adminSql(db.dbname);
  try {
    const reserved = await sql.reserve();
    await copyOut(reserved as unknown as ReservedSql, statement, (chunk) => {
      parts.push(each(chunk).slice());
    });
    reserved.release();
  } finally {
    await sql.end();
  }
  return Buffer.concat(parts);
}

async function sameAsServer(table: string, delimiter: string, quote: string): Promise<number> {
  const q = (c: string) => `'${c.replaceAll("'", "''")}'`;
  const server = await copyAll(
    `COPY ${table} TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER ${q(delimiter)}, QUOTE ${
      q(quote)
    })`,
  );
  const conv = new CopyTextToCsv({
    delimiter: delimiter.charCodeAt(0),
    quote: quote.charCodeAt(0),
  });
  const ours = await copyAll(
    `COPY ${table} TO STDOUT WITH (FORMAT text, HEADER)`,
    (c) => conv.push(c),
  );
  // Bytes compared first: a string diff of two long texts would take minutes to render.
  const same = Buffer.compare(ours, server) === 0;
  if (!same) strictEqual(dec.decode(ours), dec.decode(server), `${table} ${delimiter} ${quote}`);
  strictEqual(same, true);
  return server.length;
}

Deno.test("byte-identical to the server's CSV: 3,000 random rows, NULLs, empty strings, every delimiter", async () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = ['"', ",", ";", "\n", "\r", "\t", "\\", "\\.", ".", "a", "é", " ", "\b", "\f"];
  const text = () =>
    Array.from({ length: rand(6) }, () => alphabet[rand(alphabet.length)]).join("");
  await db.admin.unsafe(`CREATE TABLE r (a text, "we,ird""" text, c text, n int, arr text[])`);
  const rows = Array.from({ length: 3000 }, (_, i) => ({
    a: rand(5) ? text() : null,
    b: text(),
    c: rand(3) ? text() : "",
    n: rand(4) ? i : null,
    arr: [text(), text()],
  }));
  for (let i = 0; i < rows.length; i += 500) {
    const batch = rows.slice(i, i + 500).map((r) => [r.a, r.b, r.c, r.n, r.arr]);
    await db.admin`INSERT INTO r ${
      db.admin(batch.map(([a, b, c, n, arr]) => ({
        a,
        'we,ird"': b,
        c,
        n,
        arr,
      })))
    }`;
  }
  for (const [d, q] of [[",", '"'], [";", "'"], ["|", '"'], ["\t", '"']]) {
    await sameAsServer("r", d, q);
  }
});

Deno.test("one-column tables: `\\.` alone is quoted, as the server does", async () => {
  await db.admin.unsafe(`CREATE TABLE one (x text);
    INSERT INTO one VALUES ('\\.'), (''), (NULL), ('a'), ('\\'), ('.'), ('\\.\\'), ('x\\.')`);
  await sameAsServer("one", ",", '"');
});

Deno.test("a row cut across chunks is carried to the next chunk", () => {
  const conv = new CopyTextToCsv({ delimiter: 0x2c, quote: 0x22 });
  const enc = new TextEncoder();
  // Each result is valid until the next push: decode it at once.
  const out = ["a\tb\n1\tx,", "y\n"].map((text) => dec.decode(conv.push(enc.encode(text))));
  deepStrictEqual(out, ["a,b\n", '1,"x,y"\n']);
});

Deno.test("cleanup", async () => {
  await db.close();
});
