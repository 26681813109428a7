// A line that starts with a byte-order mark (files joined together) stops the
// import at that line, on every converter path and wherever the chunks are
// cut; a U+FEFF inside a field or inside quotes is data and is kept, and in a
// legacy encoding the same bytes are ordinary text.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { midFileBomError } from "../../src/transfer/bom_guard.ts";
import { findCodec } from "../../src/transfer/codecs.ts";
import { createConverter } from "../../src/transfer/converters.ts";
import { TransferError } from "../../src/transfer/errors.ts";

const enc = new TextEncoder();
const BOM = [0xef, 0xbb, 0xbf];

/** A converter for a two-column file with a header row. */
function converter(encoding: string, delimiter = ",") {
  return createConverter({
    codec: findCodec(encoding)!,
    delimiter,
    quotechar: '"',
    fields: 2,
    keep: [0, 1],
    skipHeader: true,
    countFromHeader: true,
    file: "f.csv",
  });
}

/** Converts `bytes` in chunks of `size`; returns the error message or the COPY text. */
function convert(bytes: Uint8Array, encoding: string, size: number, delimiter = ","): string {
  const conv = converter(encoding, delimiter);
  let out = "";
  const dec = new TextDecoder();
  try {
    for (let i = 0; i < bytes.length; i += size) {
      conv.push(bytes.subarray(i, i + size));
      out += dec.decode(conv.takeOutput(), { stream: true });
    }
    conv.finish();
    return out + dec.decode(conv.takeOutput());
  } catch (e) {
    if (!(e instanceof TransferError)) throw e;
    return e.message;
  }
}

const joined = new Uint8Array([
  ...BOM,
  ...enc.encode('id,name\r\n1,"a\r\nb"\r\n'),
  ...BOM,
  ...enc.encode("id,name\r\n2,c\r\n"),
]);

Deno.test("every chunk size gives the same line, on the byte path", () => {
  const expected = midFileBomError("f.csv", 4).message;
  for (const encoding of ["utf-8", "utf-8-sig", "ascii"]) {
    for (let size = 1; size <= joined.length; size++) {
      strictEqual(convert(joined, encoding, size), expected, `${encoding}, chunks of ${size}`);
    }
  }
});

Deno.test("a U+FEFF inside a field, or opening a quoted first field, is data", () => {
  const inside = new Uint8Array([
    ...enc.encode("id,name\n1,a"),
    ...BOM,
    ...enc.encode("b\n2,"),
    ...BOM,
    ...enc.encode('c\n"'),
    ...BOM,
    ...enc.encode('3",d\n'),
  ]);
  const expected = "1\ta\ufeffb\n2\t\ufeffc\n\ufeff3\td\n";
  for (let size = 1; size <= inside.length; size++) {
    strictEqual(convert(inside, "utf-8", size), expected, `chunks of ${size}`);
  }
  const text = enc.encode('id¶name\n1¶a\ufeffb\n"\ufeff2"¶c\n');
  strictEqual(convert(text, "utf-8", 5, "¶"), "1\ta\ufeffb\n\ufeff2\tc\n");
});

Deno.test("UTF-16 (decoded here) and a non-ASCII delimiter (text path) stop at the same line", () => {
  const text = "id,name\n1,a\n\ufeff2,b\n";
  const utf16 = new Uint8Array(2 + text.length * 2);
  utf16.set([0xff, 0xfe]);
  [...text].forEach((c, i) => utf16[2 + 2 * i] = c.charCodeAt(0) & 0xff);
  [...text].forEach((c, i) => utf16[3 + 2 * i] = c.charCodeAt(0) >> 8);
  const expected = midFileBomError("f.csv", 3).message;
  for (let size = 1; size <= utf16.length; size++) {
    strictEqual(convert(utf16, "utf-16", size), expected, `utf-16, chunks of ${size}`);
  }
  const pilcrow = enc.encode("id¶name\r1¶a\r\ufeff2¶b\r");
  for (let size = 1; size <= pilcrow.length; size++) {
    strictEqual(convert(pilcrow, "utf-8", size, "¶"), expected, `text path, chunks of ${size}`);
  }
});

Deno.test("in Latin-1 the bytes EF BB BF are the text ï»¿ and are kept", () => {
  const conv = converter("latin-1");
  conv.push(new Uint8Array([...enc.encode("id,name\n1,"), ...BOM, 0x0a]));
  conv.finish();
  // Passed to the server as LATIN1 bytes, unchanged.
  deepStrictEqual([...conv.takeOutput()], [0x31, 0x09, ...BOM, 0x0a]);
  strictEqual(
    convert(new Uint8Array([...BOM, ...enc.encode("id,name\n1,a\n")]), "utf-8", 2),
    "1\ta\n",
    "a BOM at the very start is dropped, as before",
  );
  throws(() => {
    throw midFileBomError("x.csv", 9);
  }, /^TransferError: x\.csv: line 9: byte-order mark \(U\+FEFF\) in the middle of the file/);
});
