// The transport's lifetime control against the throwaway server: process exit without
// sql.end(), LISTEN keeping a process alive, idle timeout with keepOpen, max lifetime,
// killed backends, COPY in both directions, and connection errors.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import postgres from "postgres";
import { freshDatabase, type TestDatabase, testServer } from "../support/db.ts";
import { NO_TLS, planTls, type TlsPlan } from "../../src/connect/tls.ts";
import {
  createTransport,
  type Transport,
  TransportError,
  type TransportOptions,
} from "../../src/connect/transport.ts";

const FIXTURES = join(import.meta.dirname!, "..", "fixtures", "lifecycle");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Client {
  sql: postgres.Sql;
  transport: Transport;
  close(): Promise<void>;
}

/** postgres.js (pool of `max`) on our transport, plaintext unless `tls` is given. */
function client(
  dbname: string,
  opts: Partial<TransportOptions> & { max?: number; appName?: string } = {},
): Client {
  const s = testServer();
  const host = opts.host ?? s.host;
  const port = opts.port ?? s.port;
  const transport = createTransport({
    host,
    port,
    user: s.user,
    database: dbname,
    tls: NO_TLS,
    connectTimeout: 10,
    ...opts,
  });
  const options = {
    host,
    port,
    user: s.user,
    password: s.password,
    database: dbname,
    max: opts.max ?? 4,
    ssl: false,
    idle_timeout: null,
    max_lifetime: null,
    keep_alive: null,
    onnotice: () => {},
    connection: { application_name: opts.appName ?? "pgm-transport-test" },
    socket: transport.socket,
  };
  const sql = postgres(
    options as unknown as postgres.Options<Record<string, postgres.PostgresType>>,
  );
  return {
    sql,
    transport,
    close: async () => {
      await sql.end({ timeout: 1 });
      transport.destroy();
    },
  };
}

async function backends(db: TestDatabase, appName: string): Promise<number[]> {
  const rows = await db.admin`
    SELECT pid FROM pg_stat_activity WHERE application_name = ${appName} ORDER BY pid`;
  return rows.map((r) => r.pid as number);
}

/** Waits until `check()` is true (polling), or fails after `ms`. */
async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 5000) {
  const until = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > until) assert.fail(`timed out waiting for: ${what}`);
    await sleep(25);
  }
}

/** Spawns a fixture; resolves lines of its stdout as they come. */
function spawnFixture(file: string, args: string[], db: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(FIXTURES, file), ...args],
    env: { PGM_FIXTURE_DB: db },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let exitedAt = 0;
  const status = child.status.then((s) => {
    exitedAt = Date.now();
    return s;
  });
  const stderr = new Response(child.stderr).text();
  const stdout = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      const parts = buf.split("\n");
      buf = parts.pop()!;
      lines.push(...parts);
    }
  })();
  return {
    child,
    lines,
    status,
    stderr,
    stdout,
    exitedAt: () => exitedAt,
    async line(prefix: string, ms = 20000): Promise<string> {
      await eventually(`a line starting with "${prefix}"`, async () => {
        if (lines.some((l) => l.startsWith(prefix))) return true;
        const done = await Promise.race([status.then(() => true), sleep(0).then(() => false)]);
        if (done) {
          assert.fail(`fixture exited without "${prefix}": ${lines.join("\n")} ${await stderr}`);
        }
        return false;
      }, ms);
      return lines.find((l) => l.startsWith(prefix))!;
    },
  };
}

let dbPromise: Promise<TestDatabase> | undefined;
const database = () => dbPromise ??= freshDatabase("transport");

const integration = { sanitizeOps: false, sanitizeResources: false };

for (const mode of ["plain", "tls"]) {
  Deno.test({
    name: `a script using the pool without sql.end() exits by itself (${mode})`,
    ...integration,
    async fn() {
      const db = await database();
      const run = spawnFixture("transport_exit.ts", [mode], db.dbname);
      const killer = setTimeout(() => run.child.kill("SIGKILL"), 30000);
      try {
        const summary = await run.line("rows ");
        const done = Number((await run.line("done ")).split(" ")[1]);
        const status = await run.status;
        assert.equal(status.code, 0, await run.stderr);
        assert.match(summary, new RegExp(`^rows 6 cursor 10 ssl ${mode === "tls"} copy 1,2,3 `));
        const lingered = run.exitedAt() - done;
        assert.ok(lingered < 2000, `exited ${lingered} ms after its last query`);
      } finally {
        clearTimeout(killer);
        await run.stdout;
      }
    },
  });
}

Deno.test({
  name: "a LISTENing script keeps running; after UNLISTEN it exits by itself",
  ...integration,
  async fn() {
    const db = await database();
    const listening = spawnFixture("transport_listen.ts", [], db.dbname);
    try {
      await listening.line("listening ");
      const still = await Promise.race([
        listening.status.then(() => false),
        sleep(1500).then(() => true),
      ]);
      assert.ok(still, "the listening script exited although it was waiting for notifications");
      await listening.line("notified hello");
    } finally {
      listening.child.kill("SIGTERM");
      await listening.status;
      await listening.stdout;
    }
    const unlistened = spawnFixture("transport_listen.ts", ["unlisten"], db.dbname);
    const killer = setTimeout(() => unlistened.child.kill("SIGKILL"), 30000);
    try {
      const at = Number((await unlistened.line("listening ")).split(" ")[1]);
      assert.equal((await unlistened.status).code, 0);
      assert.ok(unlistened.exitedAt() - at < 2000, "exits soon after UNLISTEN");
    } finally {
      clearTimeout(killer);
      await unlistened.stdout;
    }
  },
});

Deno.test({
  name: "idle timeout closes idle sockets but keeps keepOpen() of them; the next query reopens",
  ...integration,
  async fn() {
    const db = await database();
    const appName = "pgm-idle";
    let keep = 2;
    const c = client(db.dbname, { appName, idleTimeout: 0.4, keepOpen: () => keep });
    try {
      await Promise.all([1, 2, 3, 4, 5, 6].map((i) => c.sql`SELECT pg_sleep(0.05), ${i}::int`));
      assert.equal((await backends(db, appName)).length, 4);
      assert.equal(c.transport.stats().open, 4);
      await eventually(
        "idle sockets closed down to keepOpen()",
        async () => (await backends(db, appName)).length === 2,
      );
      await sleep(600); // another idle period: keepOpen still holds
      assert.equal((await backends(db, appName)).length, 2);
      assert.deepEqual(
        { open: c.transport.stats().open, closed: c.transport.stats().closed },
        { open: 2, closed: 2 },
      );
      // The next queries work without any error, reusing or reopening connections.
      const rows = await Promise.all(
        [1, 2, 3, 4].map((i) => c.sql`SELECT ${i}::int AS i, pg_sleep(0.05)`),
      );
      assert.deepEqual(rows.map((r) => r[0].i), [1, 2, 3, 4]);
      keep = 0;
      await eventually(
        "all idle sockets closed once keepOpen() is 0",
        async () => (await backends(db, appName)).length === 0,
      );
      assert.equal((await c.sql`SELECT 7 AS n`)[0].n, 7);
      assert.equal(c.transport.stats().failed, 0);
    } finally {
      await c.close();
    }
  },
});

Deno.test({
  name: "maxLifetime retires a connection once idle, never in the middle of a query",
  ...integration,
  async fn() {
    const db = await database();
    const appName = "pgm-lifetime";
    const c = client(db.dbname, { appName, maxLifetime: 0.3, max: 1 });
    try {
      // Runs past its lifetime: must complete.
      const [{ pid }] = await c.sql`SELECT pg_backend_pid() AS pid, pg_sleep(0.6)`;
      await eventually(
        "the expired connection is retired",
        async () => (await backends(db, appName)).length === 0,
      );
      const [{ pid: next }] = await c.sql`SELECT pg_backend_pid() AS pid`;
      assert.notEqual(next, pid);
      assert.equal(c.transport.stats().closed, 1);
    } finally {
      await c.close();
    }
  },
});

Deno.test({
  name: "killed backends: the next queries on the pool still work",
  ...integration,
  async fn() {
    const db = await database();
    const appName = "pgm-killed";
    const c = client(db.dbname, { appName });
    try {
      await Promise.all([1, 2, 3, 4].map((i) => c.sql`SELECT pg_sleep(0.05), ${i}::int`));
      const pids = await backends(db, appName);
      assert.equal(pids.length, 4);
      await db.admin`SELECT pg_terminate_backend(pid) FROM unnest(${pids}::int[]) AS pid`;
      await eventually("the pool saw the connections close", () => c.transport.stats().open === 0);
      const rows = await Promise.all([1, 2, 3, 4, 5].map((i) => c.sql`SELECT ${i}::int AS i`));
      assert.deepEqual(rows.map((r) => r[0].i), [1, 2, 3, 4, 5]);
      assert.equal((await c.sql`SELECT 1 AS one`)[0].one, 1);
      const fresh = await backends(db, appName);
      assert.ok(fresh.every((p) => !pids.includes(p)));
    } finally {
      await c.close();
    }
  },
});

Deno.test({
  name: "COPY FROM STDIN and COPY TO STDOUT stream through the transport (plain and TLS)",
  ...integration,
  async fn() {
    const db = await database();
    await db.admin`CREATE TABLE IF NOT EXISTS copied (n int, label text)`;
    for (
      const tls of [NO_TLS, await planTls({ host: "127.0.0.1", sslmode: "require" })] as TlsPlan[]
    ) {
      await db.admin`TRUNCATE copied`;
      const c = client(db.dbname, { tls, max: 2 });
      try {
        const lines = Array.from({ length: 5000 }, (_, i) => `${i}\tlabel ${i}\n`);
        const writable = await c.sql`COPY copied FROM STDIN`.writable();
        await pipeline(Readable.from(lines), writable);
        assert.equal((await c.sql`SELECT count(*)::int AS n FROM copied`)[0].n, 5000);
        let out = "";
        const readable = await c.sql`COPY (SELECT * FROM copied ORDER BY n) TO STDOUT`.readable();
        for await (const chunk of readable) out += chunk;
        assert.equal(out, lines.join(""));
        // Everything completed: the sockets are idle (unref'd) again.
        await eventually("sockets idle after COPY", () => {
          const s = c.transport.stats();
          return s.idle === s.open;
        });
        assert.equal(c.transport.stats().tls, tls !== NO_TLS);
      } finally {
        await c.close();
      }
    }
  },
});

Deno.test({
  name: "query cancellation goes through the transport and is not counted as a failure",
  ...integration,
  async fn() {
    const db = await database();
    const c = client(db.dbname, { max: 1 });
    try {
      const slow = c.sql`SELECT pg_sleep(5)`;
      const outcome = slow.then(() => "finished", (e) => e.code);
      await sleep(200);
      await slow.cancel();
      assert.equal(await outcome, "57014");
      assert.equal((await c.sql`SELECT 3 AS n`)[0].n, 3);
      await eventually("the cancel connection closed", () => c.transport.stats().open === 1);
      assert.equal(c.transport.stats().failed, 0);
    } finally {
      await c.close();
    }
  },
});

Deno.test({
  name: "closeIdle() closes idle sockets; destroy() makes later queries fail instead of hang",
  ...integration,
  async fn() {
    const db = await database();
    const appName = "pgm-close";
    const c = client(db.dbname, { appName });
    try {
      await Promise.all([1, 2, 3].map((i) => c.sql`SELECT pg_sleep(0.05), ${i}::int`));
      assert.equal(c.transport.closeIdle(), 3);
      await eventually("backends gone", async () => (await backends(db, appName)).length === 0);
      assert.equal((await c.sql`SELECT 5 AS n`)[0].n, 5);
      c.transport.destroy();
      await assert.rejects(c.sql`SELECT 1`, (e: unknown) => {
        assert.ok(e instanceof TransportError);
        assert.equal(e.code, "TRANSPORT_DESTROYED");
        return true;
      });
    } finally {
      await c.close();
    }
  },
});

Deno.test({
  name: "a socket closed while postgres.js is sending a query does not wedge its slot",
  ...integration,
  async fn() {
    // postgres.js 3.4.9 keeps the unsent bytes of a query whose socket closed and never sends
    // the next StartupMessage of that slot. The transport detects and heals this.
    const db = await database();
    const c = client(db.dbname, { max: 1 });
    try {
      await c.sql`SELECT 1`;
      for (let round = 0; round < 3; round++) {
        const racing = c.sql`SELECT 1 AS x`.then(() => "ok", (e) => e.code);
        for (let i = 0; i < 5; i++) await Promise.resolve(); // postgres.js has buffered the query
        assert.equal(c.transport.closeIdle(), 1);
        assert.equal(await racing, "CONNECTION_CLOSED");
        const next = await Promise.race([
          c.sql`SELECT 2 AS x`.then((r) => r[0].x),
          sleep(10000).then(() => "hung"),
        ]);
        assert.equal(next, 2);
      }
      assert.equal(c.transport.stats().failed, 0);
    } finally {
      await c.close();
    }
  },
});

/** A local TCP server that answers the first bytes it gets with `answer` (or never). */
function fakeServer(answer: Uint8Array | null): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        const buf = new Uint8Array(64);
        try {
          if ((await conn.read(buf)) && answer) await conn.write(answer);
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    },
  };
}

async function connectError(opts: Partial<TransportOptions>): Promise<TransportError> {
  const c = client("postgres", { max: 1, ...opts });
  try {
    await c.sql`SELECT 1`;
  } catch (e) {
    assert.ok(e instanceof TransportError, `expected TransportError, got ${e}`);
    assert.ok(!e.message.includes("\n"));
    assert.ok(!e.message.includes(testServer().password));
    return e;
  } finally {
    await c.close();
  }
  assert.fail("expected the connection to fail");
}

Deno.test({
  name: "connection errors are one clear line",
  ...integration,
  async fn() {
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closedPort = (closed.addr as Deno.NetAddr).port;
    closed.close();
    const refused = await connectError({ port: closedPort });
    assert.equal(
      refused.message,
      `could not connect to 127.0.0.1:${closedPort}: connection refused`,
    );
    assert.equal(refused.code, "ECONNREFUSED");

    const unknown = await connectError({ host: "no-such-host.invalid" });
    assert.match(
      unknown.message,
      /^could not connect to no-such-host\.invalid:\d+: (host not found|temporary failure in name resolution)$/,
    );

    const require = await planTls({ host: "127.0.0.1", sslmode: "require" });
    const silent = fakeServer(null);
    try {
      const timeout = await connectError({ port: silent.port, tls: require, connectTimeout: 0.5 });
      assert.equal(timeout.message, `connection to 127.0.0.1:${silent.port} timed out after 0.5 s`);
      assert.equal(timeout.code, "CONNECT_TIMEOUT");
    } finally {
      silent.close();
    }

    const noSsl = fakeServer(new TextEncoder().encode("N"));
    try {
      const e = await connectError({ port: noSsl.port, tls: require });
      assert.equal(
        e.message,
        `could not connect to 127.0.0.1:${noSsl.port}: server does not support SSL, but SSL was required (sslmode=require)`,
      );
    } finally {
      noSsl.close();
    }

    const injected = fakeServer(new TextEncoder().encode("SX"));
    try {
      const e = await connectError({ port: injected.port, tls: require });
      assert.match(e.message, /received unencrypted data after SSL response$/);
    } finally {
      injected.close();
    }
  },
});

Deno.test({
  name: "teardown: drop the test database connection",
  ...integration,
  async fn() {
    if (dbPromise) await (await dbPromise).close();
  },
});
