/**
 * PyYAML's `yaml.dump` for the flat settings files of pgimport/pgexport:
 * a mapping with sorted keys whose values are strings and booleans, so a
 * file we write is byte-identical to the one pgmonkey (Python) writes.
 *
 * Scalar styles follow PyYAML's emitter (`analyze_scalar`,
 * `choose_scalar_style`) with its defaults (`allow_unicode=False`, width 80,
 * indent 2): plain when the text is safe and would read back as a string,
 * else single-quoted, else double-quoted with escapes (`"\t"`, `"\xE9"`).
 * Line folding of scalars longer than 80 columns is not reproduced (settings
 * values are short).
 *
 * @module
 */
import { pyCodePointEscape } from "../config/pystr.ts";

// PyYAML's implicit resolvers (yaml/resolver.py): a plain scalar matching one
// of these would not read back as a string, so it must be quoted.
const IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];

/** Python's `re.match(r'...$')`: `$` also matches before one final newline. */
function resolvesImplicitly(text: string): boolean {
  const candidates = text.endsWith("\n") ? [text, text.slice(0, -1)] : [text];
  return candidates.some((t) => IMPLICIT.some((re) => re.test(t)));
}

const BREAKS = "\n\x85\u2028\u2029";
const WHITESPACE = "\0 \t\r\n\x85\u2028\u2029";

interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

/** PyYAML `Emitter.analyze_scalar` (the parts that matter for block mapping values). */
function analyze(text: string): Analysis {
  const chars = [...text];
  if (chars.length === 0) {
    return { empty: true, multiline: false, allowBlockPlain: true, allowSingleQuoted: true };
  }
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  if (text.startsWith("---") || text.startsWith("...")) blockIndicators = true;
  let precededByWhitespace = true;
  let followedByWhitespace = chars.length === 1 || WHITESPACE.includes(chars[1]);
  let previousSpace = false;
  let previousBreak = false;
  for (let index = 0; index < chars.length; index++) {
    const ch = chars[index];
    if (index === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) blockIndicators = true;
      if ("?:".includes(ch) && followedByWhitespace) blockIndicators = true;
      if (ch === "-" && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ":" && followedByWhitespace) blockIndicators = true;
      if (ch === "#" && precededByWhitespace) blockIndicators = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    const cp = ch.codePointAt(0)!;
    if (!(ch === "\n" || (cp >= 0x20 && cp <= 0x7e))) special = true; // allow_unicode=False
    if (ch === " ") {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = WHITESPACE.includes(ch);
    followedByWhitespace = index + 2 >= chars.length || WHITESPACE.includes(chars[index + 2]);
  }
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowBlockPlain = false;
  if (breakSpace) allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || special) allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks) allowBlockPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowBlockPlain, allowSingleQuoted };
}

const ESCAPES: Readonly<Record<string, string>> = {
  "\0": "0",
  "\x07": "a",
  "\x08": "b",
  "\x09": "t",
  "\x0A": "n",
  "\x0B": "v",
  "\x0C": "f",
  "\x0D": "r",
  "\x1B": "e",
  '"': '"',
  "\\": "\\",
  "\x85": "N",
  "\xA0": "_",
  "\u2028": "L",
  "\u2029": "P",
};

/** PyYAML `write_double_quoted` (without folding). */
function doubleQuoted(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ESCAPES[ch] !== undefined) out += "\\" + ESCAPES[ch];
    else if (ch === "\uFEFF" || cp < 0x20 || cp > 0x7e) out += pyCodePointEscape(cp, true);
    else out += ch;
  }
  return out + '"';
}

/** PyYAML `write_single_quoted` for a mapping value at indent 2 (without folding). */
function singleQuoted(text: string): string {
  const chars = [...text];
  let out = "'";
  let spaces = false;
  let breaks = false;
  let start = 0;
  for (let end = 0; end <= chars.length; end++) {
    const ch = end < chars.length ? chars[end] : undefined;
    if (spaces) {
      if (ch === undefined || ch !== " ") {
        out += chars.slice(start, end).join("");
        start = end;
      }
    } else if (breaks) {
      if (ch === undefined || !BREAKS.includes(ch)) {
        if (chars[start] === "\n") out += "\n";
        for (const br of chars.slice(start, end)) out += br;
        out += "  ";
        start = end;
      }
    } else if (ch === undefined || (" " + BREAKS).includes(ch) || ch === "'") {
      if (start < end) {
        out += chars.slice(start, end).join("");
        start = end;
      }
    }
    if (ch === "'") {
      out += "''";
      start = end + 1;
    }
    if (ch !== undefined) {
      spaces = ch === " ";
      breaks = BREAKS.includes(ch);
    }
  }
  return out + "'";
}

/**
 * A string as PyYAML's `yaml.dump` writes it as a block mapping value.
 *
 * @example
 * ```ts
 * import { dumpString } from "./pyyaml_dump.ts";
 * dumpString(","); // "','"
 * dumpString(";"); // ";"
 * dumpString("\t"); // "\"\\t\""
 * dumpString("utf-8"); // "utf-8"
 * dumpString("yes"); // "'yes'"
 * ```
 */
export function dumpString(text: string): string {
  const analysis = analyze(text);
  if (!resolvesImplicitly(text) && analysis.allowBlockPlain && !analysis.empty) return text;
  if (analysis.allowSingleQuoted) return singleQuoted(text);
  return doubleQuoted(text);
}

/**
 * A flat mapping as `yaml.dump(mapping)` writes it: keys sorted, one
 * `key: value` line each, booleans as `true`/`false`.
 *
 * @example
 * ```ts
 * import { dumpMapping } from "./pyyaml_dump.ts";
 * dumpMapping({ quotechar: '"', delimiter: "," }); // "delimiter: ','\nquotechar: '\"'\n"
 * ```
 */
export function dumpMapping(mapping: Readonly<Record<string, string | boolean>>): string {
  return Object.keys(mapping).sort().map((key) => {
    const value = mapping[key];
    const text = typeof value === "boolean" ? String(value) : dumpString(value);
    return `${key}: ${text}\n`;
  }).join("");
}
