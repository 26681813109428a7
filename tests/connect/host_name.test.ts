// Unit tests of hostNameMismatch: libpq 18's verify-full host name rules and message.
import assert from "node:assert/strict";
import { hostNameMismatch, ipBytes } from "../../src/connect/transport/host_name.ts";

Deno.test("DNS names match case-insensitively; the common name is ignored next to DNS names", () => {
  const cert = { subject: { CN: "db.internal" }, subjectaltname: "DNS:db.example.com" };
  assert.equal(hostNameMismatch("DB.Example.com", cert), undefined);
  assert.equal(
    hostNameMismatch("db.internal", cert),
    'server certificate for "db.example.com" does not match host name "db.internal"',
  );
});

Deno.test("the common name counts when there are no alternative names of the host's type", () => {
  assert.equal(hostNameMismatch("db", { subject: { CN: "db" } }), undefined);
  // libpq: an IP address host checks the common name even next to DNS names (NSS behaviour).
  const cert = { subject: { CN: "127.0.0.1" }, subjectaltname: "DNS:localhost" };
  assert.equal(hostNameMismatch("127.0.0.1", cert), undefined);
  assert.equal(
    hostNameMismatch("127.0.0.1", {
      subject: { CN: "localhost" },
      subjectaltname: "DNS:localhost",
    }),
    'server certificate for "localhost" (and 1 other name) does not match host name "127.0.0.1"',
  );
  // An IP address name present: the common name is ignored.
  assert.equal(
    hostNameMismatch("127.0.0.1", {
      subject: { CN: "127.0.0.1" },
      subjectaltname: "IP Address:::1",
    }),
    'server certificate for "::1" does not match host name "127.0.0.1"',
  );
});

Deno.test("IP addresses compare as bytes", () => {
  const cert = { subjectaltname: "IP Address:0:0:0:0:0:0:0:1, IP Address:10.0.0.5" };
  assert.equal(hostNameMismatch("::1", cert), undefined);
  assert.equal(hostNameMismatch("10.0.0.5", cert), undefined);
  assert.match(hostNameMismatch("10.0.0.6", cert) ?? "", /\(and 1 other name\) does not match/);
  assert.deepEqual(ipBytes("::ffff:1.2.3.4"), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]);
  assert.deepEqual(ipBytes("2001:db8::1"), [32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(ipBytes("localhost"), undefined);
});

Deno.test("a wildcard is a leading *. and matches exactly one label", () => {
  const cert = { subjectaltname: "DNS:*.example.com" };
  assert.equal(hostNameMismatch("db.example.com", cert), undefined);
  assert.match(hostNameMismatch("a.db.example.com", cert) ?? "", /does not match host name/);
  assert.match(hostNameMismatch("example.com", cert) ?? "", /does not match host name/);
  assert.match(
    hostNameMismatch("db.example.com", { subjectaltname: "DNS:d*.example.com" }) ?? "",
    /does not match/,
  );
});

Deno.test("names with commas (quoted by the runtime), several names, no names", () => {
  assert.equal(
    hostNameMismatch("db", { subject: { CN: "x" }, subjectaltname: 'DNS:"a, b", DNS:c, DNS:d' }),
    'server certificate for "a, b" (and 2 other names) does not match host name "db"',
  );
  assert.equal(
    hostNameMismatch("db", {}),
    "could not get server's host name from server certificate",
  );
});
