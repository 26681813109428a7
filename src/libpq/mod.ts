/**
 * libpq's connection parameter resolution, as pure, tested modules: `PG*`
 * environment variables, `.pgpass`, `pg_service.conf`, host/port lists and
 * libpq's built-in defaults, in libpq's order. See `docs/LIBPQ.md`.
 *
 * ```ts ignore
 * import { passwordFor, resolveTarget, systemLibpqEnvironment } from "./mod.ts";
 * const environment = await systemLibpqEnvironment();
 * const target = await resolveTarget(config.connection_settings, environment, { file });
 * for (const host of target.hosts) {
 *   const { password } = await passwordFor(target, host, environment);
 *   // connect to host.address:host.port (or the socket host.address) …
 * }
 * ```
 *
 * @module
 */
export * from "./hosts.ts";
export * from "./io.ts";
export * from "./params.ts";
export * from "./pgpass.ts";
export * from "./resolve.ts";
export * from "./service_file.ts";
export * from "./source.ts";
export * from "./target.ts";
export * from "./values.ts";
