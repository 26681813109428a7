// `pgserverconfig --audit` formatting: the inputs of the three captured audit
// runs of pgmonkey 4.0.0 (tests/server/golden/audit_*.out, copied verbatim from
// reference/golden/live/) are reconstructed here, and the output must be
// byte-identical.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { parseYaml } from "../../src/config/yaml.ts";
import {
  AUDIT_SETTING_NAMES,
  auditMismatches,
  compareSettings,
  evaluateStatus,
  formatAudit,
  formatComparisonTable,
  formatHbaSection,
  formatSettingsQueryError,
  type HbaFileRuleRow,
  PG_HBA_FILE_RULES_SQL,
  PG_SETTINGS_SQL,
  type PgSettingRow,
} from "../../src/server/audit.ts";
import {
  formatRecommendations,
  recommend,
  type ServerRecommendations,
} from "../../src/server/recommend.ts";
import { withoutClientCert } from "./_differences.ts";

const GOLDEN = new URL("./golden/", import.meta.url);
const golden = (name: string): string => Deno.readTextFileSync(new URL(name, GOLDEN));
const recommendFor = (name: string): ServerRecommendations =>
  recommend(parseYaml(golden(name), name))!;

/** pg_settings as a default PostgreSQL 15 server without TLS reports them. */
const SETTINGS_NO_TLS: PgSettingRow[] = [
  { name: "max_connections", setting: "100", source: "configuration file" },
  { name: "ssl", setting: "off", source: "default" },
  { name: "ssl_ca_file", setting: "", source: "default" },
  { name: "ssl_cert_file", setting: "server.crt", source: "default" },
  { name: "ssl_key_file", setting: "server.key", source: "default" },
];

/** The rules shown in audit_superuser_disable.out (Debian's default pg_hba.conf). */
const DEBIAN_HBA: HbaFileRuleRow[] = [
  [89, "local", "all", null, "trust"],
  [91, "host", "all", "127.0.0.1", "scram-sha-256"],
  [93, "host", "all", "::1", "scram-sha-256"],
  [96, "local", "replication", null, "trust"],
  [97, "host", "replication", "127.0.0.1", "scram-sha-256"],
  [98, "host", "replication", "::1", "scram-sha-256"],
].map(([line_number, type, db, address, auth_method]) => ({
  line_number: line_number as number,
  type: type as string,
  database: [db as string],
  user_name: ["all"],
  address: address as string | null,
  netmask: address === null
    ? null
    : address === "::1"
    ? "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
    : "255.255.255.255",
  auth_method: auth_method as string,
  options: null,
}));

Deno.test("golden audit_superuser_disable: table with one row, current pg_hba rules, no recommendation", () => {
  const recommendations = recommendFor("live.yaml.in");
  deepStrictEqual(recommendations.pgHba, []);
  const got = formatAudit({ recommendations, settings: SETTINGS_NO_TLS, hbaRules: DEBIAN_HBA });
  strictEqual(got, golden("audit_superuser_disable.out"));
});

Deno.test("golden audit_lowpriv_prefer: OK/MISMATCH/REVIEW, widths from values, hba unavailable", () => {
  const recommendations = recommendFor("audit_low.yaml.in");
  const got = formatAudit({ recommendations, settings: SETTINGS_NO_TLS, hbaRules: null });
  strictEqual(got, golden("audit_lowpriv_prefer.out"));
  // A failed pg_hba_file_rules query is the same as "not available".
  strictEqual(
    formatAudit({
      recommendations,
      settings: SETTINGS_NO_TLS,
      hbaRules: { error: new Error("permission denied for view pg_hba_file_rules") },
    }),
    got,
  );
});

Deno.test("golden audit_connect_fail_fallback: stdout is the recommendations part (the notice is one line on stderr)", () => {
  const python = golden("audit_connect_fail_fallback.out");
  const notice = "\nCould not connect to server for audit: connection failed: server does not " +
    "support SSL, but SSL was required\nFalling back to recommendations only.\n\n";
  ok(python.startsWith(notice));
  strictEqual(
    formatRecommendations(recommendFor("audit_vf.yaml.in")),
    withoutClientCert(python.slice(notice.length)),
  );
});

Deno.test("auditMismatches (--strict): the MISMATCH settings; undefined when nothing could be read", () => {
  const recommended = recommendFor("audit_low.yaml.in").postgresqlConf;
  deepStrictEqual(auditMismatches(recommended, SETTINGS_NO_TLS), ["ssl"]);
  deepStrictEqual(
    auditMismatches(["max_connections = 22", "ssl = on"], [
      { name: "max_connections", setting: "100", source: "default" },
      { name: "ssl", setting: "on", source: "configuration file" },
    ]),
    [],
  );
  strictEqual(auditMismatches(recommended, { error: new Error("permission denied") }), undefined);
});

Deno.test("pg_settings permission denied: note, recommendations indented, then pg_hba part", () => {
  const recommendations = recommendFor("audit_low.yaml.in");
  const got = formatAudit({
    recommendations,
    settings: { error: new Error("permission denied for view pg_settings") },
    hbaRules: null,
  });
  strictEqual(
    got,
    [
      "1) Database type detected: PostgreSQL",
      "",
      "2) Server settings audit:",
      "",
      "",
      "Note: Could not query server settings (permission denied).",
      "The connected role does not have access to pg_settings.",
      "   Showing recommendations only.",
      "",
      "   postgresql.conf:",
      "",
      "   max_connections = 8",
      "   ssl = on",
      "   ssl_cert_file = 'server.crt'",
      "   ssl_key_file = 'server.key'",
      "   ssl_ca_file = 'ca.crt'",
      "",
      "",
      "   pg_hba.conf:",
      "   (pg_hba_file_rules not available or insufficient privileges - showing recommendations only)",
      "",
      "   Recommended pg_hba.conf entries:",
      "",
      "   TYPE  DATABASE  USER  ADDRESS          METHOD  OPTIONS",
      "   hostssl all     all   127.0.0.0/24    scram-sha-256",
      "",
      "",
    ].join("\n"),
  );
});

Deno.test("settings query errors: 'privilege' also means permission; others show the message", () => {
  strictEqual(
    formatSettingsQueryError(new Error("must have PRIVILEGE of role pg_read_all_settings")),
    "\nNote: Could not query server settings (permission denied).\n" +
      "The connected role does not have access to pg_settings.\n",
  );
  strictEqual(
    formatSettingsQueryError(new Error("canceling statement due to statement timeout")),
    "\nNote: Could not query server settings: canceling statement due to statement timeout\n",
  );
  strictEqual(formatSettingsQueryError("boom"), "\nNote: Could not query server settings: boom\n");
});

Deno.test("no pg_hba recommendation and no rules access: 'No entries needed' line", () => {
  strictEqual(
    formatHbaSection([], null),
    "   pg_hba.conf:\n" +
      "   (pg_hba_file_rules not available or insufficient privileges - showing recommendations only)\n" +
      "\n" +
      "   No entries needed for pg_hba.conf.\n" +
      "\n",
  );
});

Deno.test("current rules with options, arrays and a recommendation", () => {
  const text = formatHbaSection([
    "hostssl all     all   10.0.0.0/24    scram-sha-256     clientcert=verify-full",
  ], [
    {
      line_number: 7,
      type: "hostssl",
      database: ["app", "reports"],
      user_name: '{alice,"bob smith"}',
      address: "10.0.0.0",
      netmask: "255.255.255.0",
      auth_method: "cert",
      options: ["clientcert=verify-full", "map=ssl"],
    },
  ]);
  const lines = text.split("\n");
  strictEqual(
    lines[6],
    "   7      hostssl    app,reports  alice,bob smith 10.0.0.0             cert     clientcert=verify-full,map=ssl",
  );
  deepStrictEqual(lines.slice(7), [
    "",
    "   Recommended entries:",
    "",
    "   TYPE  DATABASE  USER  ADDRESS          METHOD  OPTIONS",
    "   hostssl all     all   10.0.0.0/24    scram-sha-256     clientcert=verify-full",
    "",
    "",
  ]);
});

Deno.test("status rules of _evaluate_status", () => {
  const cases: [string, string, string | null, string][] = [
    ["max_connections", "22", "100", "OK"],
    ["max_connections", "22", "22", "OK"],
    ["max_connections", "22", "21", "MISMATCH"],
    ["max_connections", "22", "lots", "UNKNOWN"],
    ["max_connections", "22", null, "UNKNOWN"],
    ["ssl", "on", "ON", "OK"],
    ["ssl", "on", "off", "MISMATCH"],
    ["ssl_cert_file", "server.crt", "server.crt", "OK"],
    ["ssl_cert_file", "server.crt", "'server.crt'", "OK"],
    ["ssl_cert_file", "server.crt", "/etc/ssl/server.crt", "REVIEW"],
    ["ssl_ca_file", "ca.crt", "", "REVIEW"],
  ];
  for (const [name, rec, cur, status] of cases) {
    strictEqual(evaluateStatus(name, rec, cur), status, `${name} ${rec} ${cur}`);
  }
});

Deno.test("settings the server does not report are '(not found)' / UNKNOWN with an empty source", () => {
  deepStrictEqual(compareSettings(["max_connections = 22", "ssl = on", "no equals sign"], []), [
    {
      setting: "max_connections",
      recommended: "22",
      current: "(not found)",
      source: "",
      status: "UNKNOWN",
    },
    { setting: "ssl", recommended: "on", current: "(not found)", source: "", status: "UNKNOWN" },
  ]);
  const table = formatComparisonTable(compareSettings(["ssl_cert_file = 'server.crt'"], []));
  deepStrictEqual(table.split("\n"), [
    "   postgresql.conf:",
    "",
    "   Setting        Recommended  Current      Source  Status ",
    `   ${"─".repeat(13 + 11 + 11 + 6 + 7 + 8)}`,
    "   ssl_cert_file  server.crt   (not found)          UNKNOWN",
    "",
    "",
  ]);
});

Deno.test("the SQL of both audit queries", () => {
  strictEqual(
    PG_SETTINGS_SQL,
    "SELECT name, setting, source FROM pg_settings WHERE name = ANY(ARRAY['max_connections', " +
      "'ssl', 'ssl_cert_file', 'ssl_key_file', 'ssl_ca_file'])",
  );
  deepStrictEqual([...AUDIT_SETTING_NAMES], [
    "max_connections",
    "ssl",
    "ssl_cert_file",
    "ssl_key_file",
    "ssl_ca_file",
  ]);
  strictEqual(
    PG_HBA_FILE_RULES_SQL,
    "SELECT line_number, type, database, user_name, address, netmask, auth_method, options " +
      "FROM pg_hba_file_rules WHERE error IS NULL ORDER BY line_number",
  );
  ok(!PG_SETTINGS_SQL.includes("$1"), "runs without parameters");
});
