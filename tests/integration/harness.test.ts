import assert from "node:assert/strict";
import { adminSql, freshDatabase, testServer } from "../support/db.ts";

Deno.test("the runner's throwaway server is PostgreSQL and accepts password auth", async () => {
  const sql = adminSql();
  try {
    const [{ version }] = await sql`SELECT version()`;
    assert.match(version, /^PostgreSQL \d+/);
    const [{ ssl }] = await sql`SHOW ssl`;
    assert.equal(ssl, "on");
  } finally {
    await sql.end();
  }
  assert.equal(testServer().host, "127.0.0.1");
});

Deno.test("each test file gets a fresh, empty database of its own", async () => {
  const a = await freshDatabase("harness a");
  const b = await freshDatabase("harness b");
  try {
    assert.notEqual(a.dbname, b.dbname);
    await a.admin`CREATE TABLE only_in_a (id int)`;
    const rows = await b
      .admin`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_in_a'`;
    assert.equal(rows[0].n, 0);
  } finally {
    await a.close();
    await b.close();
  }
});
