/**
 * A one-line progress display on stderr (rows, MB/s, ETA), redrawn at most
 * five times a second, for terminals only.
 *
 * @module
 */

/** Where the progress line goes. */
export interface ProgressOutput {
  /** Writes raw text (no newline added). */
  write(text: string): void;
}

/** `1,234,567`. */
function thousands(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** `0:07`, `1:02:03`. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * A progress line: `Importing data: 1,234,567 rows | 88.1 MB/s | 120/200 MB | ETA 0:04`,
 * or with a known row total `Exporting data: 614,198/2,000,000 rows | 149.2 MB/s | 61 MB | ETA 0:01`.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const p = new Progress("Importing data", { write: (t) => void t }, { totalBytes: 1e6 });
 * p.update(1000, 5e5);
 * p.done();
 * ```
 */
export class Progress {
  readonly #label: string;
  readonly #out: ProgressOutput;
  readonly #totalBytes?: number;
  readonly #totalRows?: number;
  readonly #started = performance.now();
  #last = -Infinity; // the first update always draws
  #drawn = false;

  /** `totalBytes` or `totalRows`, when known, give an ETA. */
  constructor(
    label: string,
    out: ProgressOutput,
    totals: { totalBytes?: number; totalRows?: number } = {},
  ) {
    this.#label = label;
    this.#out = out;
    this.#totalBytes = totals.totalBytes;
    this.#totalRows = totals.totalRows;
  }

  /** Reports progress; redraws when 200 ms have passed since the last draw. */
  update(rows: number, bytes: number): void {
    const now = performance.now();
    if (now - this.#last < 200) return;
    this.#last = now;
    const seconds = (now - this.#started) / 1000;
    const mbps = seconds > 0 ? bytes / 1e6 / seconds : 0;
    const parts: string[] = [];
    let fraction: number | undefined;
    if (this.#totalRows) {
      parts.push(`${this.#label}: ${thousands(rows)}/${thousands(this.#totalRows)} rows`);
      parts.push(`${mbps.toFixed(1)} MB/s`, `${(bytes / 1e6).toFixed(0)} MB`);
      fraction = rows / this.#totalRows;
    } else {
      parts.push(`${this.#label}: ${thousands(rows)} rows`, `${mbps.toFixed(1)} MB/s`);
      if (this.#totalBytes) {
        parts.push(`${(bytes / 1e6).toFixed(0)}/${(this.#totalBytes / 1e6).toFixed(0)} MB`);
        fraction = bytes / this.#totalBytes;
      } else {
        parts.push(`${(bytes / 1e6).toFixed(0)} MB`);
      }
    }
    if (fraction !== undefined && fraction > 0 && fraction <= 1) {
      parts.push(`ETA ${clock(seconds / fraction - seconds)}`);
    }
    this.#out.write(`\r\x1b[2K${parts.join(" | ")}`);
    this.#drawn = true;
  }

  /** Clears the line. */
  done(): void {
    if (this.#drawn) this.#out.write("\r\x1b[2K");
    this.#drawn = false;
  }
}
