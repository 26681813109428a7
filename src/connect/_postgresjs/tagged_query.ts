/**
 * Workaround file (postgres.js 3.4.9): making the query of a tagged template
 * ourselves, so that its error stacks still end at the caller's line.
 *
 * Upstream behaviour relied on: `sql\`…\`` returns `new Query(strings, args,
 * handler, canceller)` (the class of any query of the instance, e.g.
 * `sql.unsafe("")`), and the query records where it was made in its
 * constructor, from a stack trace limited to 4 frames (`cachedError` in
 * `src/query.js`: itself, the constructor, postgres.js's `sql` function, its
 * caller). Errors of the query get that caller's line appended to their
 * stack. A wrapper that calls postgres.js's own `sql` adds a frame, and the
 * line recorded is the wrapper's instead of the user's. So `db.sql` (and the
 * postgres.js adapter) call the constructor directly, with their own
 * executor and canceller. The canary test
 * `tests/connect/postgresjs_tagged_query.test.ts` checks the constructor's
 * arguments and where the origin is taken.
 *
 * @module
 */
import type postgres from "postgres";
import { instanceHooks, type QueryHandler, type RawQuery } from "./dispatch.ts";

/** postgres.js's `Query` constructor, as `sql\`…\`` calls it. */
export type TaggedQueryClass = new (
  strings: TemplateStringsArray,
  args: unknown[],
  handler: QueryHandler,
  canceller: (q: RawQuery) => unknown,
) => RawQuery;

/** The `Query` class of `sql`'s instance. */
export function taggedQueryClass(sql: postgres.Sql): TaggedQueryClass {
  return instanceHooks(sql).Query as unknown as TaggedQueryClass;
}

/** True when a call of `sql(…)` is a tagged template (postgres.js's own test). */
export function isTemplate(first: unknown): first is TemplateStringsArray {
  return first !== null && first !== undefined &&
    Array.isArray((first as TemplateStringsArray).raw);
}
