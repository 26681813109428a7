/**
 * The config template written by `pgmonkey pgconfig create`.
 *
 * @module
 */
import { CONFIG_SCHEMA_URL } from "./schema.ts";

/**
 * The `pgconfig create` template: a first line that points editors at the
 * JSON Schema (`# yaml-language-server: $schema=…`, see
 * `CONFIG_SCHEMA_URL`), then the same keys, values, defaults and comment
 * layout as pgmonkey (Python)'s `postgres.yaml` (83 lines, ending with a
 * newline), with comments worded for this library. Parsing it gives exactly
 * the same object as parsing upstream's template.
 *
 * @example
 * ```ts
 * import { CONFIG_TEMPLATE } from "./template.ts";
 * await Deno.writeTextFile("config.yaml", CONFIG_TEMPLATE);
 * ```
 */
export const CONFIG_TEMPLATE: string = `# yaml-language-server: $schema=${CONFIG_SCHEMA_URL}
# Default connection type used when none is specified in the API call.
# Options: 'normal', 'pool', 'async', 'async_pool'
# You can override this per-call:
#   manager.getDatabaseConnection("config.yaml", "pool")
connection_type: 'normal'

connection_settings:
  user: 'postgres'
  password: 'password'
  host: 'localhost'
  port: '5432'
  dbname: 'mydatabase'
  sslmode: 'prefer'  # Options: disable, allow, prefer, require, verify-ca, verify-full
  sslcert: ''  # Path to the client SSL certificate, if needed
  sslkey: ''  # Path to the client SSL key, if needed
  sslrootcert: ''  # Path to the root SSL certificate, if needed
  connect_timeout: '10'  # Maximum wait for connection, in seconds
  application_name: 'myapp'
  keepalives: '1'  # Enable TCP keepalives (1=on, 0=off)
  keepalives_idle: '60'  # Seconds before sending a keepalive probe
  keepalives_interval: '15'  # Seconds between keepalive probes
  keepalives_count: '5'  # Max keepalive probes before closing the connection
  # autocommit: false  # Enable autocommit mode (required for DDL like CREATE DATABASE, VACUUM, etc.)

# Session-level GUC settings for 'normal' and 'pool' connection types.
# For 'normal': sent as startup parameters when the connection opens.
# For 'pool': sent as startup parameters by each connection the pool opens (they survive rollbacks).
sync_settings:
  # statement_timeout: '30000'  # Cancel statements exceeding this time (ms)
  # lock_timeout: '10000'  # Timeout for acquiring locks (ms)
  # idle_in_transaction_session_timeout: '5000'  # Timeout for idle in transaction (ms)
  # work_mem: '256MB'  # Memory for sort operations and more

# Settings for 'pool' connection type
pool_settings:
  min_size: 5
  max_size: 20
  timeout: 30  # Seconds to wait for a connection from the pool before raising PoolTimeoutError
  max_idle: 300  # Seconds a connection can remain idle before being closed
  max_lifetime: 3600  # Seconds a connection can be reused
  check_on_checkout: false  # Validate connections with SELECT 1 before handing to caller
  # max_waiting: 0  # Max clients queued waiting for a connection (0 = unlimited)
  # reconnect_timeout: 300  # Seconds to keep trying to reconnect failed connections (0 = forever)
  # num_workers: 3  # Accepted for compatibility with pgmonkey (Python); no effect here

# Session-level GUC settings for 'async' and 'async_pool' connection types.
# For 'async': sent as startup parameters when the connection opens.
# For 'async_pool': sent as startup parameters by each connection the pool opens (they survive rollbacks).
async_settings:
  idle_in_transaction_session_timeout: '5000'  # Timeout for idle in transaction (ms)
  statement_timeout: '30000'  # Cancel statements exceeding this time (ms)
  lock_timeout: '10000'  # Timeout for acquiring locks (ms)
  # work_mem: '256MB'  # Memory for sort operations and more

# Settings for 'async_pool' connection type
async_pool_settings:
  min_size: 5
  max_size: 20
  timeout: 30  # Seconds to wait for a connection from the pool before raising PoolTimeoutError
  max_idle: 300
  max_lifetime: 3600
  check_on_checkout: false  # Validate connections with SELECT 1 before handing to caller
  # max_waiting: 0  # Max clients queued waiting for a connection (0 = unlimited)
  # reconnect_timeout: 300  # Seconds to keep trying to reconnect failed connections (0 = forever)
  # num_workers: 3  # Accepted for compatibility with pgmonkey (Python); no effect here

# Settings of pgmonkey for Deno/Node only (pgmonkey (Python) ignores this section).
# js_settings:
#   pgbouncer: false  # PgBouncer (transaction pooling) in front of the server
#   notices: 'warnings'  # Server notices: warnings, all, none
#   leak_detection_threshold: 0  # Seconds a borrowed connection may be held before a warning (0 = off)
#   foreign_connections: 'warn'  # Another pooled connection used inside transaction(): warn, reject, allow
#   reread_secrets: false  # Read from_file/from_env passwords again for each new connection

# -- Advanced: environment variable interpolation (opt-in) --
# By default, pgmonkey uses the literal values above as-is.
# If you need to inject secrets at runtime instead of hardcoding them,
# enable interpolation with resolveEnv: true in TypeScript or --resolve-env on the CLI.
#
#   Inline syntax:
#     host: '\${PGHOST:-localhost}'     # uses env var, falls back to 'localhost'
#     password: '\${PGPASSWORD}'        # required - error if not set
#
#   Structured syntax (recommended for secrets):
#     password:
#       from_env: PGMONKEY_DB_PASSWORD       # reads env var
#     password:
#       from_file: /var/run/secrets/db/pass   # reads file, trims trailing newline
#
# Sensitive keys (password, sslkey, sslcert, sslrootcert) do not allow
# defaults in \${VAR:-default} by default, to prevent accidental fallbacks.
`;
