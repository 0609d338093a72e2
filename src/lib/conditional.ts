import { z } from '@hono/zod-openapi';
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Context } from 'hono';
import { ApiError } from './problem';

/**
 * Conditional requests on versioned resources (RFC 9110 §13): `ETag: "<version>"`, where `version`
 * is a column raised by every change to what the answer shows.
 *
 * - GET: `respondWithETag` answers 304 (no body) when If-None-Match names the current tag (weak
 *   comparison: `W/"3"` matches `"3"`), else sets ETag on the 200.
 * - PUT/PATCH/DELETE: `ifMatch(c, table.version)` is a condition for the write's own WHERE (strong
 *   comparison: a weak tag never matches; `*` matches any existing resource), so the check and the
 *   write are one atomic statement and of two racing writers with one tag exactly one wins. When the
 *   write changed nothing, the route's probe tells 404 (no row) from 412 (`preconditionFailed`).
 */

const MAX_TAGS = 32;
/** A strong or weak entity-tag in a list: `"3"`, `W/"3"`, separated by commas. */
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e]*)"$/;

export const etag = (version: number) => `"${version}"`;

type TagList = '*' | { weak: boolean; opaque: string }[];

function parseTags(header: string | undefined): TagList | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === '*') return '*';
  const tags: { weak: boolean; opaque: string }[] = [];
  for (const part of trimmed.split(',').slice(0, MAX_TAGS)) {
    const match = ENTITY_TAG.exec(part.trim());
    // An unparsable entry matches nothing (it cannot name a tag we issued).
    if (match) tags.push({ weak: match[1] !== undefined, opaque: match[2]! });
  }
  return tags;
}

/** The versions a strong If-Match list names ('*' for any); undefined without the header. */
export function ifMatchVersions(c: Context): number[] | '*' | undefined {
  const tags = parseTags(c.req.header('If-Match'));
  if (tags === undefined || tags === '*') return tags;
  return tags.filter((tag) => !tag.weak && /^[1-9]\d{0,15}$/.test(tag.opaque)).map((tag) => Number(tag.opaque));
}

/** The If-Match condition for a write's WHERE on `version`; undefined when there is none to check. */
export function ifMatch(c: Context, version: SQLWrapper): SQL | undefined {
  const versions = ifMatchVersions(c);
  if (versions === undefined || versions === '*') return undefined;
  return sql`${version} IN (SELECT value FROM json_each(${JSON.stringify(versions)}))`;
}

/** The same test in code, for a write that turned out to change nothing (an empty profile update). */
export function matchesIfMatch(c: Context, version: number): boolean {
  const versions = ifMatchVersions(c);
  return versions === undefined || versions === '*' || versions.includes(version);
}

/** For a probe SELECT in the write's batch: whether the If-Match condition holds for the row (1 without one). */
export const matchesColumn = (matches: SQL | undefined) => sql<number>`CASE WHEN ${matches ?? sql`1`} THEN 1 ELSE 0 END`.mapWith(Number);

export const preconditionFailed = () =>
  new ApiError(412, 'PRECONDITION_FAILED', 'If-Match names no current version of this resource; read it again (GET) and retry.');

/** Whether If-None-Match names the current version (weak comparison, `*` included). */
export function notModified(c: Context, version: number): boolean {
  const tags = parseTags(c.req.header('If-None-Match'));
  if (tags === undefined) return false;
  return tags === '*' || tags.some((tag) => tag.opaque === String(version));
}

/**
 * For a GET: sets the ETag and returns the 304 (no body) when If-None-Match matches, else undefined
 * and the handler answers its 200: `const unchanged = conditionalGet(c, v); if (unchanged) return unchanged;`
 */
export function conditionalGet(c: Context, version: number): never | undefined {
  c.header('ETag', etag(version));
  // Typed `never` so a typed route handler may return it beside its 200.
  if (notModified(c, version)) return c.body(null, 304) as never;
  return undefined;
}

/** OpenAPI: the conditional headers, for a route's `request.headers` and responses. */
export const ifNoneMatchHeader = z.object({
  'If-None-Match': z
    .string()
    .optional()
    .openapi({ description: 'An ETag from an earlier answer (or a list, or `*`): 304 with no body when it is still current.' }),
});
export const ifMatchHeader = z.object({
  'If-Match': z.string().optional().openapi({
    description:
      'Strong ETags (`"3"`, a comma-separated list) or `*`: the write happens only if the resource is still at one of them, ' +
      'checked inside the write itself; otherwise 412 PRECONDITION_FAILED. A weak tag (`W/"3"`) never matches.',
  }),
});
export const etagResponseHeader = { ETag: { schema: { type: 'string' as const }, description: 'The version of this answer, e.g. `"3"`.' } };
export const notModifiedResponse = {
  304: { description: 'Not modified: If-None-Match names the current version. No body; carries ETag.', headers: etagResponseHeader },
};
