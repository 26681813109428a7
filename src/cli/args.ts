/**
 * Command specs, argument parsing and help texts of the `pgmonkey` CLI.
 *
 * Parsing is `node:util` `parseArgs` (strict, with tokens) plus three
 * argparse behaviours pgmonkey (Python) users rely on: long-option aliases
 * (`--filepath`/`--connconfig`, last one wins), unambiguous prefixes of long
 * options (`--file` = `--filepath`), and choices with argparse's error texts.
 * Every problem is a {@link UsageError} (exit status 2).
 *
 * @example
 * ```ts
 * import { type CommandSpec, formatHelp, parseCommandArgs } from "./args.ts";
 * const spec: CommandSpec = {
 *   prog: "pgmonkey demo",
 *   name: "demo",
 *   summary: "A demo command",
 *   options: [{ name: "filepath", kind: "string", required: true, help: "A file." }],
 * };
 * parseCommandArgs(spec, ["--file", "a.yaml"]).string("filepath"); // "a.yaml"
 * console.log(formatHelp(spec));
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";

/** One flag of a command. */
export interface OptionSpec {
  /** Long name without dashes; also the key of the parsed value (`filepath`). */
  readonly name: string;
  /** Other long names for the same value (`connconfig`). */
  readonly aliases?: readonly string[];
  /** Optional one-letter short name (`h`). */
  readonly short?: string;
  /** `string` takes a value, `boolean` is a switch. */
  readonly kind: "string" | "boolean";
  /** Placeholder shown in help (default: the name upper-cased, `-` → `_`). */
  readonly metavar?: string;
  /** Accepted values, shown as `{a,b}` in help. */
  readonly choices?: readonly string[];
  /** Extra accepted spellings mapped onto a choice (`psycopg` → `postgres`). */
  readonly choiceAliases?: Readonly<Record<string, string>>;
  /** Whether the flag must be given. */
  readonly required?: boolean;
  /** Value used when the flag is absent. */
  readonly default?: string;
  /** Help text (one paragraph; wrapped when printed). */
  readonly help: string;
}

/** A command (`pgconfig test`) or a group of subcommands (`pgconfig`). */
export interface CommandSpec {
  /** Full program name shown in usage and errors (`pgmonkey pgconfig test`). */
  readonly prog: string;
  /** The word that selects this command in its parent (`test`). */
  readonly name: string;
  /** One line shown in the parent's command list. */
  readonly summary: string;
  /** Paragraph shown under the usage line. */
  readonly description?: string;
  /** Flags; `-h, --help` is added automatically. */
  readonly options: readonly OptionSpec[];
  /** Subcommands, for groups. */
  readonly commands?: readonly CommandSpec[];
  /** Title of the subcommand list (default `commands`). */
  readonly commandsTitle?: string;
  /** Help line of the `{a,b}` subcommand placeholder. */
  readonly commandsHelp?: string;
  /** Paragraphs shown at the end of the help. */
  readonly epilog?: readonly string[];
}

/**
 * A command line the CLI cannot accept: unknown command or flag, missing
 * required flag, bad choice. The CLI prints the usage line and
 * `<prog>: error: <message>` to stderr and exits 2.
 *
 * @example
 * ```ts
 * import { UsageError } from "./args.ts";
 * const e = new UsageError("usage: pgmonkey ...", "pgmonkey", "argument command: invalid choice: 'x'");
 * console.error(e.render());
 * ```
 */
export class UsageError extends Error {
  /** The usage text (one or more lines, no trailing newline). */
  readonly usage: string;
  /** The program name used in the error line. */
  readonly prog: string;
  /** Creates the error; `message` is argparse-style, without the prog prefix. */
  constructor(usage: string, prog: string, message: string) {
    super(message);
    this.name = "UsageError";
    this.usage = usage;
    this.prog = prog;
  }

  /** Usage line(s), then `<prog>: error: <message>`, ending with a newline. */
  render(): string {
    return `${this.usage}\n${this.prog}: error: ${this.message}\n`;
  }
}

/** The `-h, --help` flag every command has. */
export const HELP_OPTION: OptionSpec = {
  name: "help",
  short: "h",
  kind: "boolean",
  help: "show this help message and exit",
};

/**
 * Parsed flags of one command, by primary option name.
 *
 * @example
 * ```ts
 * import { ParsedArgs } from "./args.ts";
 * const args = new ParsedArgs({ filepath: "a.yaml", audit: true });
 * args.string("filepath"); // "a.yaml"
 * args.flag("audit"); // true
 * ```
 */
export class ParsedArgs {
  readonly #values: Readonly<Record<string, string | boolean>>;
  /** Wraps a name → value record. */
  constructor(values: Record<string, string | boolean>) {
    this.#values = values;
  }
  /** The value of a string flag, or `undefined` when absent (and without default). */
  string(name: string): string | undefined {
    const v = this.#values[name];
    return typeof v === "string" ? v : undefined;
  }
  /** Whether a boolean flag was given. */
  flag(name: string): boolean {
    return this.#values[name] === true;
  }
}

function metavarOf(option: OptionSpec): string {
  if (option.choices) return `{${option.choices.join(",")}}`;
  return option.metavar ?? option.name.toUpperCase().replaceAll("-", "_");
}

/** `--filepath/--connconfig`, as argparse names an option in errors. */
function displayName(option: OptionSpec): string {
  return [option.name, ...(option.aliases ?? [])].map((n) => `--${n}`).join("/");
}

function allOptions(spec: CommandSpec): OptionSpec[] {
  return [HELP_OPTION, ...spec.options];
}

/** Usage parts: `[-h]`, `--filepath FILEPATH`, `[--audit]`, `{a,b} ...`. */
function usageParts(spec: CommandSpec): string[] {
  const parts = ["[-h]"];
  for (const option of spec.options) {
    const text = option.kind === "boolean"
      ? `--${option.name}`
      : `--${option.name} ${metavarOf(option)}`;
    parts.push(option.required ? text : `[${text}]`);
  }
  if (spec.commands) parts.push(`{${spec.commands.map((c) => c.name).join(",")}} ...`);
  return parts;
}

const WIDTH = 78;
const HELP_COLUMN = 24;

/** Greedy word wrap of one paragraph. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * The usage line(s) of a command, argparse style: wrapped at 78 columns with
 * continuation lines aligned after the program name.
 *
 * @example
 * ```ts
 * import { formatUsage } from "./args.ts";
 * formatUsage({ prog: "pgmonkey x", name: "x", summary: "", options: [] });
 * // "usage: pgmonkey x [-h]"
 * ```
 */
export function formatUsage(spec: CommandSpec): string {
  const head = `usage: ${spec.prog} `;
  const parts = usageParts(spec);
  const one = head + parts.join(" ");
  if (one.length <= WIDTH) return one;
  const indent = " ".repeat(head.length);
  const lines: string[] = [];
  let line = head;
  for (const part of parts) {
    const fresh = line === head || line === indent;
    if (!fresh && line.length + 1 + part.length > WIDTH) {
      lines.push(line);
      line = indent + part;
    } else {
      line = fresh ? line + part : `${line} ${part}`;
    }
  }
  lines.push(line);
  return lines.join("\n");
}

/** `  invocation            help…` rows with the help column at 24. */
function helpRows(rows: readonly [string, string][], indent = 2): string[] {
  const out: string[] = [];
  const helpWidth = WIDTH - HELP_COLUMN;
  for (const [invocation, help] of rows) {
    const left = " ".repeat(indent) + invocation;
    const helpLines = wrap(help, helpWidth);
    if (left.length + 2 <= HELP_COLUMN) {
      out.push(left.padEnd(HELP_COLUMN) + (helpLines[0] ?? ""));
      helpLines.shift();
    } else {
      out.push(left);
    }
    for (const h of helpLines) out.push(" ".repeat(HELP_COLUMN) + h);
  }
  return out;
}

function invocation(option: OptionSpec): string {
  const names = [option.name, ...(option.aliases ?? [])].map((n) =>
    option.kind === "boolean" ? `--${n}` : `--${n} ${metavarOf(option)}`
  );
  if (option.short) names.unshift(`-${option.short}`);
  return names.join(", ");
}

/**
 * The full `--help` text of a command or group, ending with a newline:
 * usage, description, every flag with its help, the subcommand list and the
 * epilog.
 *
 * @example
 * ```ts
 * import { formatHelp } from "./args.ts";
 * const text = formatHelp({
 *   prog: "pgmonkey x",
 *   name: "x",
 *   summary: "X",
 *   options: [{ name: "audit", kind: "boolean", help: "Audit." }],
 * });
 * text.includes("--audit"); // true
 * ```
 */
export function formatHelp(spec: CommandSpec): string {
  const out: string[] = [formatUsage(spec), ""];
  if (spec.description) out.push(...wrap(spec.description, WIDTH), "");
  out.push("options:");
  out.push(...helpRows(allOptions(spec).map((o) => [invocation(o), o.help])));
  if (spec.commands) {
    out.push("", `${spec.commandsTitle ?? "commands"}:`);
    out.push(
      ...helpRows([[
        `{${spec.commands.map((c) => c.name).join(",")}}`,
        spec.commandsHelp ?? "Available commands",
      ]]),
    );
    out.push(...helpRows(spec.commands.map((c) => [c.name, c.summary]), 4));
  }
  for (const paragraph of spec.epilog ?? []) out.push("", ...wrap(paragraph, WIDTH));
  return out.join("\n") + "\n";
}

/** Throws the usage error of `spec`. */
export function usageError(spec: CommandSpec, message: string): never {
  throw new UsageError(formatUsage(spec), spec.prog, message);
}

/**
 * argparse accepts any unambiguous prefix of a long option (`--file` for
 * `--filepath`). Rewrites such prefixes to the full name, before `--`.
 */
function expandPrefixes(spec: CommandSpec, args: readonly string[]): string[] {
  const names = allOptions(spec).flatMap((o) => [o.name, ...(o.aliases ?? [])]);
  const out: string[] = [];
  let done = false;
  for (const arg of args) {
    if (done || !arg.startsWith("--") || arg === "--") {
      if (arg === "--") done = true;
      out.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const rest = eq < 0 ? "" : arg.slice(eq);
    if (names.includes(name) || name === "") {
      out.push(arg);
      continue;
    }
    const matches = [...new Set(names.filter((n) => n.startsWith(name)))];
    // Aliases of one option count as one match (--conn… is not ambiguous for
    // a command whose only --conn… names are --connconfig aliases).
    const owners = new Set(
      matches.map((m) => allOptions(spec).find((o) => o.name === m || o.aliases?.includes(m))),
    );
    if (owners.size > 1) {
      usageError(
        spec,
        `ambiguous option: --${name} could match ${matches.map((m) => `--${m}`).join(", ")}`,
      );
    }
    out.push(matches.length > 0 ? `--${matches[0]}${rest}` : arg);
  }
  return out;
}

/** True when `-h`/`--help` appears before `--` (help wins over other errors, as in argparse). */
export function wantsHelp(spec: CommandSpec, args: readonly string[]): boolean {
  let expanded: string[];
  try {
    expanded = expandPrefixes(spec, args);
  } catch {
    expanded = [...args];
  }
  for (const arg of expanded) {
    if (arg === "--") return false;
    if (arg === "-h" || arg === "--help") return true;
  }
  return false;
}

function translateParseError(
  spec: CommandSpec,
  expanded: readonly string[],
  error: unknown,
): never {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const optionIn = (text: string) => /'(-{1,2}[^' <]+)/.exec(text)?.[1];
  const optionNamed = (flag: string | undefined) =>
    allOptions(spec).find((o) =>
      flag === `--${o.name}` || o.aliases?.some((a) => flag === `--${a}`) ||
      (o.short !== undefined && flag === `-${o.short}`)
    );
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    usageError(spec, `unrecognized arguments: ${optionIn(message) ?? message}`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const flag = optionIn(message);
    const option = optionNamed(flag);
    const name = option ? displayName(option) : flag ?? "";
    if (/does not take an argument/.test(message)) {
      const given = flag === undefined ? undefined : expanded.find((a) => a.startsWith(`${flag}=`));
      const value = given === undefined ? "" : ` '${given.slice(flag!.length + 1)}'`;
      usageError(spec, `argument ${name}: ignored explicit argument${value}`);
    }
    usageError(spec, `argument ${name}: expected one argument`);
  }
  usageError(spec, message.split("\n")[0]);
}

/**
 * Parses the flags of a leaf command. Throws {@link UsageError} for unknown
 * flags, stray positional arguments, missing values, bad choices and missing
 * required flags. Aliases are folded onto the primary name (last one wins),
 * choice aliases onto their choice, and defaults filled in.
 *
 * @example
 * ```ts
 * import { parseCommandArgs } from "./args.ts";
 * const spec = {
 *   prog: "pgmonkey t",
 *   name: "t",
 *   summary: "",
 *   options: [
 *     { name: "filepath", aliases: ["connconfig"], kind: "string", required: true, help: "" },
 *   ],
 * } as const;
 * parseCommandArgs(spec, ["--connconfig", "c.yaml"]).string("filepath"); // "c.yaml"
 * ```
 */
export function parseCommandArgs(spec: CommandSpec, args: readonly string[]): ParsedArgs {
  const expanded = expandPrefixes(spec, args);
  const byName = new Map<string, OptionSpec>();
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const option of allOptions(spec)) {
    for (const name of [option.name, ...(option.aliases ?? [])]) {
      byName.set(name, option);
      options[name] = { type: option.kind };
    }
    if (option.short) options[option.name].short = option.short;
  }
  let tokens;
  try {
    ({ tokens } = parseArgs({
      args: expanded,
      options,
      strict: true,
      allowPositionals: true,
      tokens: true,
    }));
  } catch (e) {
    translateParseError(spec, expanded, e);
  }
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const option = byName.get(token.name)!;
    values[option.name] = option.kind === "boolean" ? true : token.value ?? "";
  }
  if (positionals.length > 0) usageError(spec, `unrecognized arguments: ${positionals.join(" ")}`);
  for (const option of spec.options) {
    const value = values[option.name];
    if (typeof value === "string" && option.choices) {
      const choice = option.choiceAliases?.[value] ?? value;
      if (!option.choices.includes(choice)) {
        usageError(
          spec,
          `argument ${displayName(option)}: invalid choice: '${value}' (choose from ${
            option.choices.map((c) => `'${c}'`).join(", ")
          })`,
        );
      }
      values[option.name] = choice;
    }
    if (value === undefined && option.default !== undefined) values[option.name] = option.default;
  }
  const missing = spec.options.filter((o) => o.required && values[o.name] === undefined);
  if (missing.length > 0) {
    usageError(
      spec,
      `the following arguments are required: ${missing.map(displayName).join(", ")}`,
    );
  }
  return new ParsedArgs(values);
}

/** What {@link parseGroupArgs} found. */
export interface GroupParse {
  /** Flags given before the subcommand. */
  readonly values: ParsedArgs;
  /** The chosen subcommand, if one was named. */
  readonly command?: CommandSpec;
  /** Arguments after the subcommand name. */
  readonly rest: readonly string[];
}

/**
 * Parses a group level (`pgmonkey …`, `pgmonkey pgconfig …`): its own
 * boolean flags up to the first word, which names the subcommand. Throws
 * {@link UsageError} for an unknown subcommand or flag.
 *
 * @example
 * ```ts
 * import { parseGroupArgs } from "./args.ts";
 * const sub = { prog: "p a", name: "a", summary: "", options: [] };
 * const group = { prog: "p", name: "p", summary: "", options: [], commands: [sub] };
 * parseGroupArgs(group, ["a", "--x"]).rest; // ["--x"]
 * ```
 */
export function parseGroupArgs(spec: CommandSpec, args: readonly string[]): GroupParse {
  const at = args.findIndex((a) => !a.startsWith("-") || a === "-" || a === "--");
  const own = at < 0 ? args : args.slice(0, at);
  const values = parseCommandArgs(spec, own);
  if (at < 0) return { values, rest: [] };
  const word = args[at] === "--" ? args[at + 1] : args[at];
  const restStart = args[at] === "--" ? at + 2 : at + 1;
  if (word === undefined) return { values, rest: [] };
  const command = spec.commands?.find((c) => c.name === word);
  if (!command) {
    const names = (spec.commands ?? []).map((c) => `'${c.name}'`).join(", ");
    usageError(spec, `argument command: invalid choice: '${word}' (choose from ${names})`);
  }
  return { values, command, rest: args.slice(restStart) };
}
