// Broken and hostile import files through `pgimport` against the real test
// server. Each row is run as a user would: first run (settings file written
// by detection) unless the row brings its own settings, then the import.
// Every failure exits 1 with one exact line naming the file line, and
// nothing is created or imported; every success stores exactly the data.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { detectEncoding, utf8Census } from "../../src/transfer/detect_encoding.ts";
import { importSettings } from "../transfer/_helpers.ts";
import {
  assertFails,
  BOM,
  bytes,
  cli,
  type CliResult,
  inTurn,
  makeFifo,
  setUp,
  show,
  tableExists,
} from "./_support.ts";

const { db, dir, conn } = await setUp("hostile csv");

/** Settings text for a row that brings its own (no detection run). */
function settings(encoding: string, delimiter = ","): string {
  return importSettings({ encoding, delimiter });
}

/** UTF-16LE with a byte-order mark (BMP text only). */
function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) {
    out[2 + 2 * i] = text.charCodeAt(i) & 0xff;
    out[3 + 2 * i] = text.charCodeAt(i) >> 8;
  }
  return out;
}

interface Row {
  name: string;
  /** The file's bytes, or a special path (FIFO, device). */
  data: Uint8Array | ((path: string) => Promise<string>);
  /** Settings file text; without it the first run detects them (regular files only). */
  settings?: string;
  /** Lines the first run must print (detection). */
  detects?: string[];
  /** Rows the table already holds (made before the import). */
  existing?: number;
  /** The error line after `pgmonkey: pgimport failed: `; `{T}` is `public.<table>`. */
  error?: string;
  /** For a successful import: the rows the table must hold, as `[id, value]` text. */
  stored?: string[][];
}

const NOT_CREATED = "nothing was imported and table {T} was not created";

const ROWS: Row[] = [
  {
    name: "UTF-8 with one invalid byte (was: ISO-8859-9, café stored as cafÃ©)",
    data: bytes("id,name\n1,café\n2,crème brûlée\n3,caf", 0xe9, "\n4,naïve\n"),
    detects: [
      "Detected encoding: utf-8 with confidence: 0.8075520833333334", // 0.9690625 × 5/6
      "The file is UTF-8 except for 1 invalid byte (the first on line 4): the import will " +
      "stop at that line; fix the bytes, or set the right encoding in the settings file.",
    ],
    // The server shows the three bytes a 0xE9 lead byte would need.
    error:
      `{F}: line 4: invalid byte sequence for encoding "UTF8": 0xe9 (column name); ${NOT_CREATED}`,
  },
  {
    name: "UTF-8 whose header row has an invalid byte",
    data: bytes("id,n", 0xe9, "me\n1,café\n2,crème\n3,brûlée\n"),
    error: "{F}: line 1: the data is not valid utf-8; fix the encoding setting in the " +
      "settings file",
  },
  {
    name: "a NUL byte in a UTF-8 field",
    data: bytes("id,name\n1,ok\n2,a", 0, "b\n"),
    error:
      `{F}: line 3: invalid byte sequence for encoding "UTF8": 0x00 (column name); ${NOT_CREATED}`,
  },
  {
    name: "two files joined: a line starting with a byte-order mark (the repeated header)",
    data: bytes(BOM, "id,name\n1,a\n", BOM, "id,name\n2,b\n"),
    detects: ["Detected BOM encoding: utf-8-sig"],
    error: "{F}: line 3: byte-order mark (U+FEFF) in the middle of the file (files joined " +
      `together?); remove it and import again; ${NOT_CREATED}`,
  },
  {
    name: "a U+FEFF inside fields, also inside quotes: data, kept as it is",
    data: bytes('id,name\n1,"first\nsecond ', BOM, 'third"\n2,zero', BOM, "width\n"),
    settings: settings("utf-8"),
    stored: [["1", "first\nsecond \ufeffthird"], ["2", "zero\ufeffwidth"]],
  },
  {
    name: "UTF-16 with a second byte-order mark (decoded on our side)",
    data: utf16le("id,name\r\n1,a\r\n2,b\r\n\ufeff3,c\r\n"),
    detects: ["Detected BOM encoding: utf-16-le"],
    error: "{F}: line 4: byte-order mark (U+FEFF) in the middle of the file (files joined " +
      `together?); remove it and import again; ${NOT_CREATED}`,
  },
  {
    name: "a non-ASCII delimiter and a byte-order mark (the text path)",
    data: bytes("id§name\n1§a\n", BOM, "2§b\n"),
    settings: settings("utf-8", "§"),
    error: "{F}: line 3: byte-order mark (U+FEFF) in the middle of the file (files joined " +
      `together?); remove it and import again; ${NOT_CREATED}`,
  },
  {
    name: "Latin-1 bytes EF BB BF are the text ï»¿ there: imported as such",
    data: bytes("id,name\n1,", BOM, "x\n2,caf", 0xe9, "\n"),
    settings: settings("latin-1"),
    stored: [["1", "ï»¿x"], ["2", "café"]],
  },
  {
    name: "a row with a field too many",
    data: bytes("id,name\n1,a\n2,b,c\n"),
    error: `{F}: line 3: 3 fields, expected 2 as in the header row; ${NOT_CREATED}`,
  },
  {
    name: "a quoted field never closed",
    data: bytes('id,name\n1,a\n2,"b\n3,c\n'),
    settings: settings("utf-8"),
    error: '{F}: line 3: a quoted field is not closed (no closing " before the end of the ' +
      `file); ${NOT_CREATED}`,
  },
  {
    name: "a bad row into an existing table: its rows stay as they were",
    data: bytes("id,name\n1,a\n2\n"),
    settings: settings("utf-8"),
    existing: 2,
    error: "{F}: line 3: 1 field, expected 2 as in the header row; nothing was imported, " +
      "table {T} is unchanged",
  },
  {
    name: "a FIFO (must not block)",
    data: (path) => makeFifo(path),
    error: "Import file is not a regular file: {F}",
  },
  {
    name: "/dev/zero (must not be read)",
    data: () => Promise.resolve("/dev/zero"),
    error: "Import file is not a regular file: {F}",
  },
];

const imp = (file: string, table: string): Promise<CliResult> =>
  cli(["pgimport", "--import_file", file, "--table", table, "--connconfig", conn], dir);

Deno.test(`${ROWS.length} hostile import files: one exact line, nothing created or imported`, async () => {
  const failures: string[] = [];
  const check = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      failures.push((e as Error).message);
    }
  };
  await inTurn(ROWS.map((row, i) => async () => {
    const table = `t_csv_${i + 1}`;
    let file = `row${i + 1}.csv`;
    const regular = row.data instanceof Uint8Array;
    if (row.data instanceof Uint8Array) await Deno.writeFile(join(dir, file), row.data);
    else file = await row.data(join(dir, file));
    if (regular && row.settings) {
      await Deno.writeTextFile(join(dir, `row${i + 1}.yaml`), row.settings);
    }
    if (row.existing) {
      await db.admin.unsafe(`CREATE TABLE ${table} (id text, name text)`);
      await db.admin.unsafe(
        `INSERT INTO ${table} SELECT g::text, 'old' FROM generate_series(1, ${row.existing}) g`,
      );
    }
    if (regular && !row.settings) {
      const first = await imp(file, table);
      check(() => strictEqual(first.code, 0, `${row.name}: first run\n${show(first)}`));
      for (const line of row.detects ?? []) {
        check(() => ok(first.stdout.includes(`${line}\n`), `${row.name}: ${line}\n${show(first)}`));
      }
    }
    const r = await imp(file, table);
    if (row.error) {
      const line = "pgmonkey: pgimport failed: " +
        row.error.replaceAll("{F}", file).replaceAll("{T}", `public.${table}`);
      check(() => assertFails(r, line, row.name));
      check(() => ok(!/\bat .*:\d+:\d+/.test(r.stderr), `${row.name}: stack trace`));
      const exists = await tableExists(db.admin, "public", table);
      if (row.existing) {
        const [{ n }] = await db.admin.unsafe(`SELECT count(*)::int AS n FROM ${table}`);
        check(() => strictEqual(n, row.existing, `${row.name}: rows changed`));
      } else check(() => strictEqual(exists, false, `${row.name}: ${table} was created`));
    } else {
      check(() => strictEqual(r.code, 0, `${row.name}\n${show(r)}`));
      const rows = await db.admin.unsafe(`SELECT id, name FROM ${table} ORDER BY id`);
      check(() => deepStrictEqual(rows.map((x) => [x.id, x.name]), row.stored, row.name));
    }
  }));
  strictEqual(failures.length, 0, failures.join("\n\n"));
});

// Legacy text made by the server's own converters: none of it may be taken
// for UTF-8, whatever byte pairs happen to fall in UTF-8's ranges.
const LEGACY: [string, string][] = [
  ["LATIN1", "Tous les êtres humains naissent libres et égaux en dignité et en droits. ÉTÉ « À »"],
  ["WIN1252", "Todos los seres humanos nacen libres e iguales en dignidad. “¿Qué?” — ¡Sí! ÑANDÚ"],
  ["WIN1251", "Все люди рождаются свободными и равными в своем достоинстве и правах. ЁЛКА"],
  ["KOI8R", "Все люди рождаются свободными и равными в своем достоинстве и правах. ёлка"],
  ["WIN1253", "Όλοι οι άνθρωποι γεννιούνται ελεύθεροι και ίσοι στην αξιοπρέπεια."],
  ["ISO_8859_8", "כל בני האדם נולדו בני חורין ושווים בערכם ובזכויותיהם."],
  ["WIN1256", "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق."],
  ["LATIN2", "Wszyscy ludzie rodzą się wolni i równi pod względem swej godności. ŻÓŁĆ"],
  ["WIN874", "เราทุกคนเกิดมาอย่างอิสระ เราทุกคนมีความคิดและความเข้าใจเป็นของเราเอง"],
  ["SJIS", "すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。"],
  [
    "EUC_JP",
    "すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。",
  ],
  ["GBK", "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相对待。"],
  [
    "BIG5",
    "人人生而自由，在尊嚴和權利上一律平等。他們賦有理性和良心，並應以兄弟關係的精神相對待。",
  ],
  ["UHC", "모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다."],
];

Deno.test("legacy text (server-encoded, 14 encodings) is never reported as UTF-8", async () => {
  const wrong: string[] = [];
  for (const [encoding, text] of LEGACY) {
    const [{ b }] = await db.admin`SELECT convert_to(${text}, ${encoding}) AS b`;
    const sample = bytes("id,text\n1,", b as Uint8Array, "\n");
    const { encoding: found } = detectEncoding(sample, false);
    const { valid, invalid } = utf8Census(sample, false);
    if (found.startsWith("utf")) {
      wrong.push(`${encoding}: ${found} (valid ${valid}, invalid ${invalid})`);
    }
  }
  deepStrictEqual(wrong, []);
});

Deno.test("teardown: drop temp dir, close the admin connection", async () => {
  await Deno.remove(dir, { recursive: true });
  await db.close();
});
