// Encoding detection and the first-run settings for every reference input.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  detectEncoding,
  looksLikeUtf8,
  utf8Census,
  utf8MultibyteCount,
} from "../../src/transfer/detect_encoding.ts";
import { detectImportSettings } from "../../src/transfer/detect_settings.ts";
import { formatImportSettings } from "../../src/transfer/settings.ts";
import { FIXTURES } from "./_helpers.ts";

const enc = new TextEncoder();

Deno.test("BOMs in pgmonkey (Python)'s order", () => {
  const cases: [number[], string][] = [
    [[0xff, 0xfe, 0, 0, 0x61, 0, 0, 0], "utf-32-le"],
    [[0, 0, 0xfe, 0xff, 0, 0, 0, 0x61], "utf-32-be"],
    [[0xef, 0xbb, 0xbf, 0x61], "utf-8-sig"],
    [[0xff, 0xfe, 0x61, 0], "utf-16-le"],
    [[0xfe, 0xff, 0, 0x61], "utf-16-be"],
  ];
  for (const [bytes, name] of cases) {
    deepStrictEqual(detectEncoding(new Uint8Array(bytes), false), {
      encoding: name,
      lines: [`Detected BOM encoding: ${name}`],
    });
  }
});

Deno.test("ASCII, UTF-8 with chardet's confidences, empty file", () => {
  const line = (s: string) => detectEncoding(enc.encode(s), false).lines[0];
  strictEqual(line("a,b\n"), "Detected encoding: ascii with confidence: 1.0");
  strictEqual(line("é,é\n"), "Detected encoding: utf-8 with confidence: 0.7525");
  strictEqual(line("éüá\n"), "Detected encoding: utf-8 with confidence: 0.87625");
  strictEqual(line("éüáç\n"), "Detected encoding: utf-8 with confidence: 0.938125");
  strictEqual(line("éüáçéü\n"), "Detected encoding: utf-8 with confidence: 0.99");
  // Python's chardet says MacRoman 0.515 for a single accented character; we say UTF-8.
  deepStrictEqual(detectEncoding(enc.encode("José\n"), false), {
    encoding: "utf-8",
    lines: ["Detected encoding: utf-8 with confidence: 0.505"],
  });
  deepStrictEqual(detectEncoding(new Uint8Array(0), false), {
    encoding: "utf-8",
    lines: [
      "Detected encoding: None with confidence: 0.0",
      "Low confidence in detected encoding. Falling back to UTF-8.",
    ],
  });
});

Deno.test("a multibyte character cut off by the 64 KiB sample is still UTF-8", () => {
  const bytes = enc.encode("é".repeat(10));
  strictEqual(utf8MultibyteCount(bytes.subarray(0, 19), true), 10);
  strictEqual(utf8MultibyteCount(bytes.subarray(0, 19), false), -1);
  strictEqual(utf8MultibyteCount(new Uint8Array([0xc0, 0x80]), false), -1); // overlong
  strictEqual(utf8MultibyteCount(new Uint8Array([0xed, 0xa0, 0x80]), false), -1); // surrogate
});

Deno.test("legacy single-byte text: ISO-8859-1, or Windows-1252 with C1 bytes, at 0.73", () => {
  const latin1 = new Uint8Array([
    ...enc.encode("id,name\n1,Jos"),
    0xe9,
    ...enc.encode(",Z"),
    0xfc,
    0x0a,
  ]);
  deepStrictEqual(detectEncoding(latin1, false).lines, [
    "Detected encoding: ISO-8859-1 with confidence: 0.73",
  ]);
  const cp1252 = new Uint8Array([
    ...enc.encode("id,q\n1,"),
    0x93,
    ...enc.encode("Hello"),
    0x94,
    0x0a,
  ]);
  strictEqual(detectEncoding(cp1252, false).encoding, "Windows-1252");
});

Deno.test("BOM-less UTF-16 is recognised from its zero bytes", () => {
  const text = "id,name\n1,Alice\n2,Bob\n";
  const le = new Uint8Array(text.length * 2);
  [...text].forEach((c, i) => le[2 * i] = c.charCodeAt(0));
  strictEqual(detectEncoding(le, false).encoding, "UTF-16LE");
});

// Reference inputs whose settings file was edited by hand for the live transcript.
const HAND_EDITED = new Set(["imp/dup", "imp/emptycol", "imp/utf8"]);

Deno.test("first run on every reference input: settings files equal the captured ones", async () => {
  const differences: string[] = [];
  for (const dir of ["importcfg", "imp"]) {
    for await (const entry of Deno.readDir(join(FIXTURES, dir))) {
      if (entry.name.endsWith(".golden")) continue;
      const base = entry.name.replace(/\.[^.]*$/, "");
      const golden = join(FIXTURES, dir, `${base}.yaml.golden`);
      const detected = await detectImportSettings(join(FIXTURES, dir, entry.name));
      let expected: string | undefined;
      try {
        expected = await Deno.readTextFile(golden);
      } catch {
        continue; // utf8_long.csv: no captured settings file
      }
      const ours = formatImportSettings(detected);
      if (ours !== expected) differences.push(`${dir}/${base}`);
    }
  }
  deepStrictEqual(differences.sort(), [...HAND_EDITED].sort());
});

Deno.test("UTF-8 with a few invalid bytes is still utf-8, with a line naming the first bad line", () => {
  const sample = new Uint8Array([
    ...enc.encode("id,name\n1,café\n2,crème brûlée\r\n3,caf"),
    0xe9,
    ...enc.encode("\n4,naïve\n"),
  ]);
  deepStrictEqual(detectEncoding(sample, false), {
    encoding: "utf-8",
    lines: [
      "Detected encoding: utf-8 with confidence: 0.8075520833333334",
      "The file is UTF-8 except for 1 invalid byte (the first on line 4): the import will " +
      "stop at that line; fix the bytes, or set the right encoding in the settings file.",
    ],
  });
  // Cut by the 64 KiB sample: said so.
  const long = detectEncoding(sample, true).lines[1];
  strictEqual(long.includes(`in its first ${sample.length} bytes (the first on line 4)`), true);
});

Deno.test("utf8Census counts valid sequences and stray bytes; ties go to UTF-8", () => {
  deepStrictEqual(utf8Census(enc.encode("a,é,€,😀"), false), {
    valid: 3,
    invalid: 0,
    firstInvalid: -1,
  });
  deepStrictEqual(utf8Census(new Uint8Array([0x61, 0xe9, 0x62, 0xc3, 0xa9]), false), {
    valid: 1,
    invalid: 1,
    firstInvalid: 1,
  });
  // A lone continuation byte, an overlong form, a surrogate: each byte counts once.
  deepStrictEqual(utf8Census(new Uint8Array([0x80, 0xc0, 0x80, 0xed, 0xa0, 0x80]), false), {
    valid: 0,
    invalid: 6,
    firstInvalid: 0,
  });
  strictEqual(looksLikeUtf8({ valid: 1, invalid: 1, firstInvalid: 0 }), true);
  strictEqual(looksLikeUtf8({ valid: 3, invalid: 4, firstInvalid: 0 }), false);
  strictEqual(looksLikeUtf8({ valid: 0, invalid: 0, firstInvalid: -1 }), false);
});

Deno.test("mostly legacy bytes with one accidental UTF-8 pair stay legacy", () => {
  // "Ã©" in Latin-1 is a valid UTF-8 pair; the other accents are not.
  const latin1 = new Uint8Array([
    ...enc.encode("id,name\n1,"),
    0xc3,
    0xa9,
    ...enc.encode(",Jos"),
    0xe9,
    ...enc.encode(",M"),
    0xfc,
    ...enc.encode("ller,"),
    0xe0,
    0x0a,
  ]);
  strictEqual(detectEncoding(latin1, false).encoding, "ISO-8859-1");
});
