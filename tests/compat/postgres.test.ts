// The postgres.js adapter against the real test server: postgres.js code runs unchanged on
// pgmonkey's pool, errors look like postgres.js's, secrets never print, and shutdown, reopening
// and the pool timeout behave as documented.
import assert from "node:assert/strict";
import net from "node:net";
import { inspect } from "node:util";
import postgres from "../../src/compat/postgres.ts";
import { PoolTimeoutError } from "../../mod.ts";
import { freshDatabase, testServer } from "../support/db.ts";

const db0 = await freshDatabase("compat_postgres");
const s = testServer();
const login = {
  host: s.host,
  port: s.port,
  user: s.user,
  pass: s.password,
  database: db0.dbname,
};

/** A TCP server that accepts connections and never answers; counts them. */
function silentServer(): Promise<{ port: number; accepted: () => number; close(): void }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((c) => sockets.push(c));
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        accepted: () => sockets.length,
        close: () => {
          for (const c of sockets) c.destroy();
          server.close();
        },
      }))
  );
}

Deno.test("postgres.js code runs unchanged: helpers, arrays, transform, begin, reserve, listen", async () => {
  const sql = postgres({ ...login, max: 3, transform: postgres.camel });
  try {
    assert.match(Deno.inspect(sql), /^Sql \{ pgmonkey pool of 3 /);
    await sql`create table compat_t (id int primary key, tag_list text[])`;
    await sql`insert into compat_t ${
      sql([{ id: 1, tagList: ["a", "b"] }, { id: 2, tagList: [] }])
    }`;
    const rows = await sql`select * from compat_t where id in ${sql([1, 2])} order by id`;
    assert.deepEqual(rows.map((r) => r.tagList), [["a", "b"], []]);
    assert.equal(rows.count, 2);
    // sql.array() needs the array types the pgmonkey handle fetched
    const [{ n }] = await sql`select cardinality(${sql.array([1, 2, 3])}::int[]) as n`;
    assert.equal(n, 3);
    // a pool of 3: three borrowers at once hold three connections
    const held = await Promise.all([1, 2, 3].map(() => sql.reserve()));
    const pids = await Promise.all(
      held.map(async (r) => (await r`select pg_backend_pid() as pid`)[0].pid),
    );
    assert.equal(new Set(pids).size, 3);
    held.forEach((r) => r.release());
    // begin is pgmonkey's transaction(): rolled back on error
    await assert.rejects(
      sql.begin(async (tx) => {
        await tx`insert into compat_t (id) values (3)`;
        await tx`insert into compat_t (id) values (3)`;
      }),
      (e: { code?: string }) => e.code === "23505",
    );
    const result = await sql.begin((tx) => tx`select id from compat_t`);
    assert.equal(result.count, 2);
    // reserve is pgmonkey's acquire(): one connection until release
    const reserved = await sql.reserve();
    await reserved`set application_name = 'reserved-one'`;
    const [{ name }] = await reserved`select current_setting('application_name') as name`;
    assert.equal(name, "reserved-one");
    reserved.release();
    // listen / notify, notify without await
    const got = new Promise((resolve) => sql.listen("compat_chan", resolve));
    await new Promise((r) => setTimeout(r, 50));
    sql.notify("compat_chan", "hello");
    assert.equal(await got, "hello");
  } finally {
    await sql.end();
  }
});

Deno.test("nothing connects before the first query; a failed open is retried by the next one", async () => {
  const silent = await silentServer();
  try {
    const sql = postgres({ host: "127.0.0.1", port: silent.port, connect_timeout: 0.2, max: 1 });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(silent.accepted(), 0);
    const started = performance.now();
    const e = await sql`select 1`.catch((e) => e);
    assert.equal(e.code, "CONNECT_TIMEOUT");
    assert.equal(e.message, `write CONNECT_TIMEOUT 127.0.0.1:${silent.port}`);
    assert.ok(performance.now() - started < 1200, "connect_timeout 0.2 s is honoured exactly");
    assert.equal((await sql`select 1`.catch((e) => e)).code, "CONNECT_TIMEOUT");
    assert.equal(silent.accepted(), 2);
    await sql.end();
  } finally {
    silent.close();
  }
});

Deno.test("a tiny connect_timeout always ends in CONNECT_TIMEOUT, never in a hang", async () => {
  for (let i = 0; i < 300; i++) {
    const sql = postgres({ ...login, max: 1, connect_timeout: 0.001 });
    const outcome = await Promise.race([
      sql`select 1`.then(() => "connected", (e) => e.code),
      new Promise((r) => setTimeout(() => r("no answer within 2 s"), 2000)),
    ]);
    // 1 ms may be enough to log in on a fast machine; it must never hang.
    assert.ok(outcome === "CONNECT_TIMEOUT" || outcome === "connected", `attempt ${i}: ${outcome}`);
    await sql.end({ timeout: 0 });
  }
});

Deno.test("server errors at login are postgres.js PostgresErrors", async () => {
  const sql = postgres({ ...login, pass: "wrong", max: 1 });
  const e = await sql`select 1`.catch((e) => e);
  assert.ok(e instanceof postgres.PostgresError);
  assert.equal(e.code, "28P01");
  assert.ok(!String(e.message).includes(s.password));
  await sql.end();
});

Deno.test("the password can be read from sql.options but is never printed", () => {
  const secret = "pw-compat-Secret-1";
  const sql = postgres({ ...login, pass: secret });
  assert.equal(sql.options.pass, secret);
  for (
    const text of [
      Deno.inspect(sql),
      Deno.inspect(sql.options),
      inspect(sql),
      inspect(sql.options, { depth: 5 }),
      JSON.stringify(sql.options),
    ]
  ) assert.ok(!text.includes(secret), text);
});

Deno.test("end(): queries made before it finish, later ones fail; with timeout 0 they are cut", async () => {
  const sql = postgres({ ...login, max: 2 });
  const before = sql`select 1 as x`.execute();
  const ending = sql.end();
  assert.equal(sql.end(), ending);
  await ending;
  assert.equal((await before)[0].x, 1);
  assert.equal((await sql`select 1`.catch((e) => e)).code, "CONNECTION_ENDED");
  assert.equal((await sql.begin(() => 1).catch((e) => e)).code, "CONNECTION_ENDED");

  const cut = postgres({ ...login, max: 2 });
  await cut`select 1`;
  const slow = cut`select pg_sleep(5)`.catch((e) => e);
  await new Promise((r) => setTimeout(r, 100));
  await cut.end({ timeout: 0 });
  assert.equal((await slow).code, "CONNECTION_DESTROYED");
});

Deno.test("close() closes the connections; the next query opens new ones", async () => {
  const sql = postgres({ ...login, max: 1 });
  const [{ pid: first }] = await sql`select pg_backend_pid() as pid`;
  // postgres.js has sql.close() (not in its type declarations)
  await (sql as unknown as { close(): Promise<void> }).close();
  const [{ pid: second }] = await sql`select pg_backend_pid() as pid`;
  assert.notEqual(first, second);
  await sql.end();
});

Deno.test("pgmonkey.timeout bounds the wait for a pool connection", async () => {
  const sql = postgres({ ...login, max: 2, pgmonkey: { timeout: 0.5 } });
  const a = await sql.reserve();
  const b = await sql.reserve();
  const started = performance.now();
  const e = await sql`select 1`.catch((e) => e);
  assert.ok(e instanceof PoolTimeoutError, String(e));
  assert.ok(performance.now() - started < 1500);
  a.release();
  b.release();
  assert.equal((await sql`select 1 as x`)[0].x, 1);
  await sql.end();
});

Deno.test("ssl and connection parameters from the URL reach pgmonkey's transport", async () => {
  const url = `postgres://${encodeURIComponent(s.user)}:${encodeURIComponent(s.password)}@` +
    `${s.host}:${s.port}/${db0.dbname}?sslmode=require&statement_timeout=4321`;
  const tls = postgres(url, { max: 1 });
  const [row] = await tls`
    select ssl, current_setting('statement_timeout') as st
    from pg_stat_ssl where pid = pg_backend_pid()`;
  assert.deepEqual([row.ssl, row.st], [true, "4321ms"]);
  await tls.end();
  // postgres.js's default is no TLS
  const plain = postgres({ ...login, max: 1 });
  const [{ ssl }] = await plain`select ssl from pg_stat_ssl where pid = pg_backend_pid()`;
  assert.equal(ssl, false);
  await plain.end();
});

Deno.test("options the adapter cannot carry out are refused when postgres() is called", () => {
  const withOnclose = { onclose: () => {} } as Record<string, unknown>;
  assert.throws(() => postgres(withOnclose), /"onclose" is not supported/);
  assert.throws(() => postgres({ ssl: { ca: "x" } }), /TLS options \(ca\)/);
});

Deno.test("a socket function opens every connection, as in postgres.js; what it throws is the error", async () => {
  // A working one: called once per connection, with postgres.js's options; the host list unused.
  const calls: unknown[] = [];
  const sql = postgres({
    ...login,
    host: "no-such-host.invalid",
    max: 2,
    socket: (options: unknown) => {
      calls.push(options);
      return new Promise<net.Socket>((resolve, reject) => {
        const c = net.connect(s.port, s.host);
        c.once("error", reject);
        c.once("connect", () => resolve(c));
      });
    },
  } as Record<string, unknown>);
  try {
    const held = await Promise.all([sql.reserve(), sql.reserve()]);
    const [{ x }] = await held[0]`select 1 as x`;
    assert.equal(x, 1);
    held.forEach((r) => r.release());
    assert.equal(calls.length, 2);
    assert.equal((calls[0] as { database?: unknown }).database, db0.dbname);
  } finally {
    await sql.end();
  }
  // Failing ones: statements get postgres.js's Error of what was thrown; reserve() the value itself.
  for (const thrown of ["wat", null, new TypeError("no route")]) {
    const bad = postgres({
      ...login,
      socket: () => {
        throw thrown;
      },
    } as Record<string, unknown>);
    try {
      const e = await bad`select 1`.then(() => undefined, (e) => e);
      if (thrown instanceof Error) assert.equal(e, thrown);
      else assert.equal((e as Error).message, String(thrown));
      assert.equal(await bad.reserve().then(() => undefined, (e) => e), thrown);
    } finally {
      await bad.end();
    }
  }
  // One that returns no socket: pgmonkey's one-line error.
  const none = postgres({ ...login, socket: () => 42 } as Record<string, unknown>);
  await assert.rejects(none`select 1`, /the socket function returned number, expected a socket$/);
  await none.end();
});

Deno.test("a socket function is bounded by connect_timeout: one that never answers, one that answers late", async () => {
  const late: net.Socket[] = [];
  for (const kind of ["never", "late"] as const) {
    const sql = postgres({
      ...login,
      max: kind === "never" ? 1 : 2,
      connect_timeout: 0.5,
      socket: () =>
        new Promise<net.Socket>((resolve) => {
          if (kind === "never") return;
          setTimeout(() => {
            const c = net.connect(s.port, s.host);
            late.push(c);
            resolve(c);
          }, 1_500);
        }),
    } as Record<string, unknown>);
    const started = performance.now();
    const e = await sql`select 1`.then(() => undefined, (e) => e);
    assert.equal((e as { code?: string }).code, "CONNECT_TIMEOUT", String(e));
    assert.ok(performance.now() - started < 1_500, "no wait past connect_timeout (+1 s)");
    await sql.end({ timeout: 0 });
  }
  // The late socket arrived after its attempt ended: destroyed, never used.
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(late.length, 1);
  assert.equal(late[0].destroyed, true);
});

Deno.test("a host list is tried in postgres.js's order: a connection that replaces a closed one starts at the next host", async () => {
  // Two addresses of the same server: the second through a forwarding proxy that counts.
  let proxied = 0;
  const proxy = net.createServer((c) => {
    proxied++;
    const up = net.connect(s.port, s.host);
    c.pipe(up).pipe(c);
    const end = () => (c.destroy(), up.destroy());
    c.on("error", end).on("close", end);
    up.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  const proxyPort = (proxy.address() as net.AddressInfo).port;
  const url = `postgres://${s.host}:${s.port},127.0.0.1:${proxyPort}/${db0.dbname}`;
  const sql = postgres(url, { user: s.user, pass: s.password, max: 1, idle_timeout: 0 });
  try {
    const viaProxy: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const before = proxied;
      const [{ pid }] = await sql`select pg_backend_pid() as pid`;
      viaProxy.push(proxied > before);
      await db0.admin`select pg_terminate_backend(${pid}::int)`;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(viaProxy, [false, true, false, true]);
    // A pool: as postgres.js's connection slots, every first connection goes to the first
    // host; only a replacement of a closed one moves on to the next host.
    const pool = postgres(url, { user: s.user, pass: s.password, max: 4, idle_timeout: 0 });
    try {
      const before = proxied;
      const held = await Promise.all([1, 2, 3, 4].map(() => pool.reserve()));
      assert.equal(proxied - before, 0, "4 first connections, all to the first host");
      const [{ pid }] = await held[0]`select pg_backend_pid() as pid`;
      held.forEach((r) => r.release());
      await db0.admin`select pg_terminate_backend(${pid}::int)`;
      await new Promise((r) => setTimeout(r, 100));
      const again = await Promise.all([1, 2, 3, 4].map(() => pool.reserve()));
      again.forEach((r) => r.release());
      assert.equal(proxied - before, 1, "the replacement of the closed one, to the second host");
    } finally {
      await pool.end();
    }
  } finally {
    await sql.end();
    await new Promise((r) => proxy.close(r));
  }
});
