/**
 * File and table names as pgmonkey (Python) derives them: `Path.with_suffix`,
 * `str(Path)`, and the `schema.table` split.
 *
 * @module
 */

/**
 * Python's `str(pathlib.PurePosixPath(p))`: repeated slashes collapsed, `.`
 * components dropped, no trailing slash (`./a//b/` → `a/b`). `..` is kept.
 *
 * @example
 * ```ts
 * import { pyPathStr } from "./paths.ts";
 * pyPathStr("./data//x.yaml"); // "data/x.yaml"
 * ```
 */
export function pyPathStr(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  // POSIX keeps exactly two leading slashes; pathlib does the same.
  const root = absolute ? (path.startsWith("//") && !path.startsWith("///") ? "//" : "/") : "";
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  const joined = root + parts.join("/");
  return joined === "" ? "." : joined;
}

/**
 * The suffix of the last path component as pathlib sees it (`a.b.csv` →
 * `.csv`, `data` → ``, `.hidden` → ``, `file.` → ``).
 */
function suffixOf(name: string): string {
  const i = name.lastIndexOf(".");
  return i > 0 && i < name.length - 1 ? name.slice(i) : "";
}

/**
 * Python's `str(Path(path).with_suffix(suffix))`: replaces the last suffix of
 * the file name, or appends one (`data.csv` → `data.yaml`, `a.b.csv` →
 * `a.b.yaml`, `data` → `data.yaml`).
 *
 * @example
 * ```ts
 * import { withSuffix } from "./paths.ts";
 * withSuffix("dir/tab.tsv", ".yaml"); // "dir/tab.yaml"
 * ```
 */
export function withSuffix(path: string, suffix: string): string {
  const clean = pyPathStr(path);
  const slash = clean.lastIndexOf("/");
  const dir = clean.slice(0, slash + 1);
  const name = clean.slice(slash + 1);
  const old = suffixOf(name);
  return dir + (old ? name.slice(0, -old.length) : name) + suffix;
}

/** A table name split into schema and table. */
export interface TableName {
  /** Schema (`public` when the name has none). */
  readonly schema: string;
  /** Table. */
  readonly table: string;
}

/**
 * Splits `schema.table` on the first dot, as pgmonkey (Python) does; names
 * are used verbatim (case kept, quoted identifiers). Without a dot the schema
 * is `public`.
 *
 * @example
 * ```ts
 * import { splitTableName } from "./paths.ts";
 * splitTableName("s1.Weird Name"); // { schema: "s1", table: "Weird Name" }
 * splitTableName("users"); // { schema: "public", table: "users" }
 * ```
 */
export function splitTableName(name: string): TableName {
  const dot = name.indexOf(".");
  return dot < 0
    ? { schema: "public", table: name }
    : { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

/**
 * The default export file for a table: the table name without its schema
 * plus `.csv` (`public.users` → `users.csv`, `v1.2` → `v1.2.csv`; pgmonkey
 * (Python) wrote `public.csv`). A `/` in the table name becomes `_`, so the
 * file lands in the current directory.
 *
 * @example
 * ```ts
 * import { defaultExportFile } from "./paths.ts";
 * defaultExportFile("public.users"); // "users.csv"
 * ```
 */
export function defaultExportFile(tableArg: string): string {
  const { table } = splitTableName(tableArg);
  const name = table.replaceAll("/", "_");
  return `${name === "" || name === "." || name === ".." ? "table" : name}.csv`;
}
