// Hostile config objects through the library (`getDatabaseConnectionFromConfig`):
// each fails with one exact ConfigError before any work — well within a
// second, and without a single connection reaching the server (the config
// points at a listener that counts them). The issue measured 7.4 s and
// 2.1 GB for a 50 MB application_name, +659 MB for max_size 100000.
import { ok, rejects, strictEqual } from "node:assert/strict";
import { ConfigError, PGConnectionManager } from "../../mod.ts";

const MB50 = 50 << 20;

/** A FATAL ErrorResponse (SQLSTATE 28000), the answer of the stand-in server. */
function fatal(message: string): Uint8Array {
  const body = new TextEncoder().encode(`SFATAL\0C28000\0M${message}\0\0`);
  const frame = new Uint8Array(5 + body.length);
  frame[0] = 0x45; // 'E'
  new DataView(frame.buffer).setInt32(1, 4 + body.length);
  frame.set(body, 5);
  return frame;
}

/**
 * A TCP listener standing in for the server: it counts the connections it
 * gets and refuses each one with a FATAL error after reading its startup packet.
 */
function sentinel(): { port: number; accepted: () => number; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let count = 0;
  const refuse = async (conn: Deno.Conn) => {
    await conn.read(new Uint8Array(16384));
    await conn.write(fatal("sentinel refuses"));
    conn.close();
  };
  (async () => {
    for await (const conn of listener) {
      count++;
      refuse(conn).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    accepted: () => count,
    close: () => listener.close(),
  };
}

interface Row {
  name: string;
  /** The config's sections besides `connection_settings.host`/`port`. */
  config: Record<string, Record<string, unknown>>;
  type?: string;
  message: string;
}

const ROWS: Row[] = [
  {
    name: "application_name of 50 MB",
    config: { connection_settings: { application_name: "a".repeat(MB50) } },
    message: "connection_settings.application_name: expected at most 63 bytes (PostgreSQL " +
      `cuts application_name at NAMEDATALEN - 1 bytes), got ${MB50} bytes`,
  },
  {
    name: "password of 50 MB",
    config: { connection_settings: { password: "p".repeat(MB50) } },
    message: "connection_settings.password: expected at most 65535 bytes (the longest " +
      `authentication message PostgreSQL reads), got ${MB50} bytes`,
  },
  {
    name: "session setting of 50 MB",
    config: { connection_settings: {}, sync_settings: { search_path: "s".repeat(MB50) } },
    message: `sync_settings: the settings take ${MB50 + 13} bytes, expected at most 9000: ` +
      "they are sent in the connection's startup packet, which PostgreSQL limits to 10000 bytes",
  },
  {
    name: "max_size 100000",
    config: { connection_settings: {}, pool_settings: { max_size: 100000 } },
    type: "pool",
    message: "pool_settings.max_size: expected an integer from 1 to 10000, got 100000 (a pool " +
      "holds at most 10000 connections; PostgreSQL's own ceiling is 262143)",
  },
  {
    name: "max_size 1000000",
    config: { connection_settings: {}, async_pool_settings: { max_size: 1000000 } },
    type: "async_pool",
    message: "async_pool_settings.max_size: expected an integer from 1 to 10000, got 1000000 " +
      "(a pool holds at most 10000 connections; PostgreSQL's own ceiling is 262143)",
  },
  {
    name: "NUL byte in dbname",
    config: { connection_settings: { dbname: "db\0x" } },
    message: "connection_settings.dbname: must not contain a NUL byte (found at character 3)",
  },
  {
    name: "session setting 'user'",
    config: { connection_settings: {}, async_settings: { user: "postgres" } },
    type: "async",
    message: "async_settings.user: a connection parameter, not a session setting: set " +
      "connection_settings.user",
  },
];

for (const row of ROWS) {
  Deno.test(`getDatabaseConnectionFromConfig: ${row.name} fails fast, nothing connects`, async () => {
    const server = sentinel();
    const manager = new PGConnectionManager();
    try {
      const config = structuredClone(row.config);
      config.connection_settings = {
        ...config.connection_settings,
        host: "127.0.0.1",
        port: server.port,
        sslmode: "disable",
      };
      const started = performance.now();
      await rejects(manager.getDatabaseConnectionFromConfig(config, row.type), (e: unknown) => {
        ok(e instanceof ConfigError, `not a ConfigError: ${e}`);
        strictEqual(e.message, row.message);
        return true;
      });
      const seconds = (performance.now() - started) / 1000;
      ok(seconds < 3, `took ${seconds.toFixed(1)} s (the bound is the point: no work is done)`);
      strictEqual(server.accepted(), 0, "a connection reached the listener");
      strictEqual(manager.cacheInfo.size, 0);
    } finally {
      await manager.clearCache();
      server.close();
    }
  });
}

Deno.test("control: a valid config does reach the listener (so the zero above means something)", async () => {
  const server = sentinel();
  const manager = new PGConnectionManager();
  try {
    await rejects(
      manager.getDatabaseConnectionFromConfig({
        connection_settings: { host: "127.0.0.1", port: server.port, sslmode: "disable" },
      }),
      /sentinel refuses/,
    );
    ok(server.accepted() >= 1, "no connection reached the listener");
  } finally {
    await manager.clearCache();
    server.close();
  }
});

Deno.test("getDatabaseConnection on a FIFO, a directory or /dev/zero: one line at once, nothing read", async () => {
  const dir = await Deno.makeTempDir();
  const fifo = `${dir}/config.fifo`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  ok(made.success, "mkfifo");
  const manager = new PGConnectionManager();
  try {
    for (
      const [path, what] of [[fifo, /named pipe \(FIFO\)/], [dir, /is a directory/], [
        "/dev/zero",
        /expected a regular file|character device/,
      ]] as const
    ) {
      const started = performance.now();
      await rejects(manager.getDatabaseConnection(path), (e: Error) => {
        ok(e instanceof ConfigError, String(e));
        ok(what.test(e.message), e.message);
        ok(!e.message.includes("\n"));
        return true;
      });
      ok((performance.now() - started) / 1000 < 3, "no blocking read");
    }
  } finally {
    await manager.clearCache();
    await Deno.remove(dir, { recursive: true });
  }
});
