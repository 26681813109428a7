/**
 * Encoding names: Python codec names (as written in settings files and as
 * chardet reports them) mapped to what we do with each encoding — hand the
 * bytes to the server (COPY's `ENCODING` option) or decode on our side.
 *
 * Encodings whose multibyte sequences never contain ASCII bytes (UTF-8, the
 * ISO-8859 and Windows code pages, KOI8, EUC) go to the server unchanged:
 * the CSV scanner can work on their bytes. Shift-JIS, Big5, GBK, GB18030,
 * CP949 (their second bytes can look like `\`, `|`…), UTF-16, UTF-32 and a
 * few others are decoded here and sent as UTF-8.
 *
 * @module
 */

/** What we do with one encoding. */
export interface Codec {
  /** Canonical Python codec name (`utf-8`, `iso8859-1`, `cp1252`, `utf-16-le`…). */
  readonly name: string;
  /**
   * PostgreSQL encoding name when the server converts this encoding both
   * ways and its bytes are ASCII-safe (import and export).
   */
  readonly pg?: string;
  /** PostgreSQL encoding name usable for export only (ASCII-embedding multibyte encodings). */
  readonly pgExport?: string;
  /** WHATWG `TextDecoder` label, when we decode on our side. */
  readonly web?: string;
  /** Encodings handled by our own code. */
  readonly special?: "ascii" | "latin1" | "utf8sig" | "utf16" | "utf32" | "utf32le" | "utf32be";
  /** Bytes of a byte-order mark that is dropped at the start of the file. */
  readonly bom?: readonly number[];
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Codecs by id, then the aliases (normalised) that name them. */
const CODECS: ReadonlyArray<readonly [Codec, readonly string[]]> = [
  [{ name: "utf-8", pg: "UTF8", web: "utf-8", bom: UTF8_BOM }, [
    "utf8",
    "u8",
    "utf",
    "cp65001",
    "utf8ucs2",
    "utf8ucs4",
  ]],
  [{ name: "utf-8-sig", pg: "UTF8", web: "utf-8", special: "utf8sig", bom: UTF8_BOM }, [
    "utf8sig",
  ]],
  [{ name: "ascii", pg: "UTF8", web: "utf-8", special: "ascii", bom: UTF8_BOM }, [
    "ascii",
    "usascii",
    "646",
    "ansix341968",
    "ansix341986",
    "iso646us",
    "us",
    "cp367",
    "csascii",
    "ibm367",
    "iso646irv1991",
    "isoir6",
  ]],
  [{ name: "iso8859-1", pg: "LATIN1", special: "latin1" }, [
    "latin1",
    "latin",
    "l1",
    "iso88591",
    "8859",
    "cp819",
    "iso885911987",
    "isoir100",
    "ibm819",
    "csisolatin1",
  ]],
  [{ name: "iso8859-2", pg: "LATIN2", web: "iso-8859-2" }, [
    "iso88592",
    "latin2",
    "l2",
    "isoir101",
    "csisolatin2",
    "iso885921987",
  ]],
  [{ name: "iso8859-3", pg: "LATIN3", web: "iso-8859-3" }, ["iso88593", "latin3", "l3"]],
  [{ name: "iso8859-4", pg: "LATIN4", web: "iso-8859-4" }, ["iso88594", "latin4", "l4"]],
  [{ name: "iso8859-5", pg: "ISO_8859_5", web: "iso-8859-5" }, ["iso88595", "cyrillic"]],
  [{ name: "iso8859-6", pg: "ISO_8859_6", web: "iso-8859-6" }, ["iso88596", "arabic"]],
  [{ name: "iso8859-7", pg: "ISO_8859_7", web: "iso-8859-7" }, ["iso88597", "greek", "greek8"]],
  [{ name: "iso8859-8", pg: "ISO_8859_8", web: "iso-8859-8" }, ["iso88598", "hebrew"]],
  [{ name: "iso8859-9", pg: "LATIN5", web: "iso-8859-9" }, ["iso88599", "latin5", "l5"]],
  [{ name: "iso8859-10", pg: "LATIN6", web: "iso-8859-10" }, ["iso885910", "latin6", "l6"]],
  [{ name: "iso8859-11", web: "iso-8859-11" }, ["iso885911", "thai"]],
  [{ name: "iso8859-13", pg: "LATIN7", web: "iso-8859-13" }, ["iso885913", "latin7", "l7"]],
  [{ name: "iso8859-14", pg: "LATIN8", web: "iso-8859-14" }, ["iso885914", "latin8", "l8"]],
  [{ name: "iso8859-15", pg: "LATIN9", web: "iso-8859-15" }, ["iso885915", "latin9", "l9"]],
  [{ name: "iso8859-16", pg: "LATIN10", web: "iso-8859-16" }, ["iso885916", "latin10", "l10"]],
  ...[1250, 1251, 1252, 1253, 1254, 1255, 1256, 1257, 1258].map((n) =>
    [
      { name: `cp${n}`, pg: `WIN${n}`, web: `windows-${n}` },
      [`cp${n}`, `windows${n}`],
    ] as const
  ),
  [{ name: "cp866", pg: "WIN866", web: "ibm866" }, ["cp866", "866", "ibm866", "csibm866"]],
  [{ name: "cp874", pg: "WIN874", web: "windows-874" }, ["cp874", "windows874"]],
  [{ name: "tis-620", web: "windows-874" }, ["tis620", "tis6200", "tis62025291", "tis62025290"]],
  [{ name: "koi8-r", pg: "KOI8R", web: "koi8-r" }, ["koi8r", "cskoi8r"]],
  [{ name: "koi8-u", pg: "KOI8U", web: "koi8-u" }, ["koi8u"]],
  [{ name: "euc_jp", pg: "EUC_JP", web: "euc-jp" }, ["eucjp", "ujis", "uujis"]],
  [{ name: "euc_kr", pg: "EUC_KR", web: "euc-kr" }, [
    "euckr",
    "korean",
    "ksc5601",
    "ksx1001",
    "ksc56011987",
  ]],
  [{ name: "gb2312", pg: "EUC_CN", web: "gbk" }, [
    "gb2312",
    "euccn",
    "chinese",
    "csiso58gb231280",
    "gb231280",
    "gb23121980",
    "isoir58",
  ]],
  [{ name: "gbk", pgExport: "GBK", web: "gbk" }, ["gbk", "cp936", "936", "ms936"]],
  [{ name: "gb18030", pgExport: "GB18030", web: "gb18030" }, ["gb18030", "gb180302000"]],
  [{ name: "big5", pgExport: "BIG5", web: "big5" }, ["big5", "big5tw", "csbig5", "cp950", "ms950"]],
  [{ name: "shift_jis", pgExport: "SJIS", web: "shift_jis" }, [
    "shiftjis",
    "sjis",
    "csshiftjis",
    "cp932",
    "932",
    "ms932",
    "mskanji",
    "mskanji",
  ]],
  [{ name: "cp949", pgExport: "UHC", web: "euc-kr" }, ["cp949", "949", "ms949", "uhc"]],
  [{ name: "iso2022_jp", web: "iso-2022-jp" }, ["iso2022jp", "csiso2022jp"]],
  [{ name: "mac-roman", web: "macintosh" }, ["macroman", "macintosh"]],
  [{ name: "mac-cyrillic", web: "x-mac-cyrillic" }, ["maccyrillic"]],
  [{ name: "utf-16", special: "utf16" }, ["utf16", "u16"]],
  [{ name: "utf-16-le", web: "utf-16le", bom: [0xff, 0xfe] }, ["utf16le", "unicodelittleunmarked"]],
  [{ name: "utf-16-be", web: "utf-16be", bom: [0xfe, 0xff] }, ["utf16be", "unicodebigunmarked"]],
  [{ name: "utf-32", special: "utf32" }, ["utf32", "u32"]],
  [{ name: "utf-32-le", special: "utf32le", bom: [0xff, 0xfe, 0, 0] }, ["utf32le"]],
  [{ name: "utf-32-be", special: "utf32be", bom: [0, 0, 0xfe, 0xff] }, ["utf32be"]],
];

const BY_ALIAS: ReadonlyMap<string, Codec> = new Map(
  CODECS.flatMap(([codec, aliases]) => aliases.map((a) => [a, codec] as const)),
);

/** `UTF-8` → `utf8`, `ISO_8859-1` → `iso88591`, `Windows-1252` → `windows1252`. */
function normalise(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * The codec for a Python encoding name (any alias and spelling Python
 * accepts for the encodings we support), or `undefined`.
 *
 * @example
 * ```ts
 * import { findCodec } from "./codecs.ts";
 * findCodec("Windows-1252")?.pg; // "WIN1252"
 * findCodec("utf-16-le")?.web; // "utf-16le"
 * ```
 */
export function findCodec(name: string): Codec | undefined {
  return BY_ALIAS.get(normalise(name));
}

/**
 * Whether the data of this codec is decoded on our side (and sent as UTF-8)
 * rather than passed to the server with `COPY … ENCODING`.
 */
export function decodedLocally(codec: Codec): boolean {
  return codec.pg === undefined;
}
