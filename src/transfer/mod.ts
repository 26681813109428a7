/**
 * pgimport and pgexport: CSV files in and out of PostgreSQL through COPY,
 * with settings files compatible with pgmonkey (Python).
 *
 * @example
 * ```ts ignore
 * import { PGConnectionManager } from "../connect/manager.ts";
 * import { runExport, runImport } from "./mod.ts";
 * const manager = new PGConnectionManager();
 * const connect = () => manager.getDatabaseConnection("pg.yaml", "normal");
 * await runImport({ importFile: "users.csv", table: "users", connect, print: console.log });
 * await runExport({ table: "users", connect, print: console.log });
 * await manager.clearCache();
 * ```
 *
 * @module
 */
export {
  type ImportOptions,
  type ImportResult,
  importSettingsPath,
  runImport,
} from "./importer.ts";
export { type ExportOptions, exportPaths, type ExportResult, runExport } from "./exporter.ts";
export { TransferError } from "./errors.ts";
export {
  type ExportSettings,
  formatExportSettings,
  formatImportSettings,
  type ImportSettings,
  readExportSettings,
  readImportSettings,
} from "./settings.ts";
export { type DetectedSettings, detectImportSettings } from "./detect_settings.ts";
export type { ProgressOutput } from "./progress.ts";
