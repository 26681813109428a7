// Encoding names and decoders.
import { strictEqual, throws } from "node:assert/strict";
import { findCodec } from "../../src/transfer/codecs.ts";
import { createDecoder } from "../../src/transfer/decode.ts";
import { exportEncoding } from "../../src/transfer/export_encoding.ts";

Deno.test("Python codec names and aliases map to what we do with them", () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ["utf-8", "UTF8", "utf-8"],
    ["UTF8", "UTF8", "utf-8"],
    ["ascii", "UTF8", "ascii"],
    ["ISO-8859-1", "LATIN1", "iso8859-1"],
    ["latin-1", "LATIN1", "iso8859-1"],
    ["Windows-1252", "WIN1252", "cp1252"],
    ["cp1250", "WIN1250", "cp1250"],
    ["iso8859_15", "LATIN9", "iso8859-15"],
    ["KOI8-R", "KOI8R", "koi8-r"],
    ["EUC-JP", "EUC_JP", "euc_jp"],
    ["SHIFT_JIS", undefined, "shift_jis"],
    ["utf-16-le", undefined, "utf-16-le"],
    ["utf-32", undefined, "utf-32"],
  ];
  for (const [name, pg, canonical] of cases) {
    const codec = findCodec(name);
    strictEqual(codec?.name, canonical, name);
    strictEqual(codec?.pg, pg, name);
  }
  strictEqual(findCodec("klingon"), undefined);
});

Deno.test("decoders: Latin-1 is byte = code point, UTF-32, utf-16 byte order, BOM kept or dropped", () => {
  const latin1 = createDecoder(findCodec("latin1")!, { keepBom: false, fatal: true });
  strictEqual(latin1.decode(new Uint8Array([0x80, 0xe9]), true), "\x80é");
  const u32 = createDecoder(findCodec("utf-32")!, { keepBom: false, fatal: true });
  strictEqual(u32.decode(new Uint8Array([0, 0, 0xfe, 0xff, 0, 0]), false), "");
  strictEqual(u32.decode(new Uint8Array([0, 0x41, 0, 1, 0xf6, 0x00]), true), "A\u{1f600}");
  const keep = createDecoder(findCodec("utf-32-le")!, { keepBom: true, fatal: true });
  strictEqual(keep.decode(new Uint8Array([0xff, 0xfe, 0, 0, 0x41, 0, 0, 0]), true), "\ufeffA");
  const drop = createDecoder(findCodec("utf-16-le")!, { keepBom: false, fatal: true });
  strictEqual(drop.decode(new Uint8Array([0xff, 0xfe, 0x41, 0]), true), "A");
  const auto = createDecoder(findCodec("utf-16")!, { keepBom: false, fatal: true });
  strictEqual(auto.decode(new Uint8Array([0xfe, 0xff, 0, 0x41]), true), "A");
  const bad = createDecoder(findCodec("utf-32-le")!, { keepBom: false, fatal: true });
  throws(() => bad.decode(new Uint8Array([0, 0, 0x11, 0]), true), TypeError);
});

Deno.test("export encodings: server-side names, our own UTF-16/32, unsupported ones", () => {
  strictEqual(exportEncoding("latin1", "x.yaml").pg, "LATIN1");
  strictEqual(exportEncoding("shift_jis", "x.yaml").pg, "SJIS");
  const u16 = exportEncoding("utf-16", "x.yaml");
  strictEqual(u16.pg, "UTF8");
  strictEqual([...u16.prefix].join(","), "255,254");
  strictEqual([...u16.transform!(new TextEncoder().encode("é"), true)].join(","), "233,0");
  throws(
    () => exportEncoding("mac-roman", "x.yaml"),
    /x\.yaml: encoding 'mac-roman' is not supported for export/,
  );
  throws(
    () => exportEncoding("ascii", "x.yaml").transform!(new Uint8Array([0x41, 0xc3]), false),
    /ascii cannot encode/,
  );
});
