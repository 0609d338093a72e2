import type { Context } from 'hono';
import { ApiError } from '../../lib/problem';

/**
 * ETag / If-None-Match / If-Match for a resource versioned by an integer column (contract,
 * "Conditional requests"): the tag is `"<version>"`.
 * TODO(edge): the edge branch brings shared conditional-request helpers; unify this with them.
 */
export const etag = (version: number) => `"${version}"`;

const TAG = /^\s*(W\/)?"(\d{1,15})"\s*$/;

/** The versions a header lists; `*` is 'any'; weak tags are kept apart (If-Match never matches them). */
function parseTags(header: string): { any: boolean; strong: number[]; weak: number[] } {
  const result = { any: false, strong: [] as number[], weak: [] as number[] };
  for (const part of header.split(',')) {
    if (part.trim() === '*') result.any = true;
    const match = TAG.exec(part);
    if (match) (match[1] ? result.weak : result.strong).push(Number(match[2]));
  }
  return result;
}

/** True when the GET may answer 304: If-None-Match names the current version (weak comparison). */
export function notModified(c: Context, version: number): boolean {
  const header = c.req.header('If-None-Match');
  if (header === undefined) return false;
  const tags = parseTags(header);
  return tags.any || tags.strong.includes(version) || tags.weak.includes(version);
}

/**
 * The versions an `If-Match` accepts, for the write's own `AND version IN (...)`: undefined when
 * there is no header or it is `*` (the policy always exists); an empty list matches nothing.
 */
export function ifMatchVersions(c: Context): number[] | undefined {
  const header = c.req.header('If-Match');
  if (header === undefined) return undefined;
  const tags = parseTags(header);
  if (tags.any) return undefined;
  return tags.strong.slice(0, 50);
}

export const preconditionFailed = () =>
  new ApiError(412, 'PRECONDITION_FAILED', 'If-Match names no current version of this resource; read it again and retry.');

/** A 304 carries the tag and no body (X-Request-Id is set by its middleware). */
export const notModifiedResponse = (c: Context, version: number) => {
  c.header('ETag', etag(version));
  return c.body(null, 304);
};
