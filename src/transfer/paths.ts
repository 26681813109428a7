/**
 * File and table names as pgmonkey (Python) derives them: `Path.with_suffix`,
 * `str(Path)`, and the `schema.table` split.
 *
 * @module
 */
import { pyRepr } from "../config/pystr.ts";
import { MAX_NAME_BYTES, utf8ByteLength } from "../config/limits.ts";
import { TransferError } from "./errors.ts";

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
 * {@link splitTableName}, refusing what PostgreSQL would not take as it is:
 * an empty schema or table (`public.`), a NUL character, or a name longer
 * than 63 bytes (the server would silently cut it to its first 63 bytes, so
 * the import or export would go to a differently named table).
 *
 * @example
 * ```ts
 * import { checkTableName } from "./paths.ts";
 * checkTableName("sales.orders"); // { schema: "sales", table: "orders" }
 * // checkTableName("public.") throws TransferError: invalid table name 'public.'
 * ```
 */
export function checkTableName(name: string): TableName {
  const table = splitTableName(name);
  if (table.schema === "" || table.table === "" || name.includes("\0")) {
    throw new TransferError(`invalid table name ${pyRepr(name)}`);
  }
  for (const [what, part] of [["schema", table.schema], ["table", table.table]]) {
    const bytes = utf8ByteLength(part);
    if (bytes > MAX_NAME_BYTES) {
      throw new TransferError(
        `invalid table name ${pyRepr(name.length > 80 ? name.slice(0, 77) + "..." : name)}: ` +
          `the ${what} name is ${bytes} bytes, PostgreSQL's limit is ${MAX_NAME_BYTES} ` +
          "(longer names are cut, which would use a different table)",
      );
    }
  }
  return table;
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
