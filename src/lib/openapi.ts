import { z } from '@hono/zod-openapi';
import { PROBLEM_CODES } from './problem';

/** Building blocks for route definitions, so every route documents its errors the same way. */

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(PROBLEM_CODES),
    detail: z.string(),
    instance: z.string(),
    request_id: z.string(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
    blockers: z
      .array(z.object({ code: z.enum(PROBLEM_CODES), detail: z.string(), book_id: z.number().int().optional() }))
      .optional()
      .openapi({ description: 'On a circulation 409: every reason that applies, in the order of refusals; `code` is the first.' }),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details. Switch on `code`, never on `detail`.' });

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (VALIDATION_FAILED with `errors` per field, or MALFORMED_JSON)',
  401: 'Missing, invalid or expired token (UNAUTHENTICATED, TOKEN_EXPIRED)',
  403: 'Authenticated but not allowed (FORBIDDEN)',
  404: 'Not found (NOT_FOUND)',
  409: 'Conflicts with the current state',
  412: 'If-Match matches no current ETag (PRECONDITION_FAILED)',
  413: 'Body too large (PAYLOAD_TOO_LARGE): over 64 KiB (an import: over 5 MiB or 10,000 rows)',
  414: 'Request target over 8,192 characters (URI_TOO_LONG)',
  415: 'Body media type not accepted (UNSUPPORTED_MEDIA_TYPE): application/json in UTF-8 (an import: text/csv or application/x-ndjson)',
  422: 'The Idempotency-Key was used with another body (IDEMPOTENCY_KEY_REUSED)',
  429: 'Rate limited (RATE_LIMITED); see Retry-After',
  503:
    'The database is briefly unavailable (SERVICE_UNAVAILABLE, with `Retry-After`): a write ran entirely or not at all, ' +
    'so retry it after that many seconds (with the same Idempotency-Key where the operation takes one); or the server is not ' +
    'configured for tokens (NOT_CONFIGURED)',
};

type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

const RETRY_AFTER = {
  'Retry-After': { schema: { type: 'integer' as const }, description: 'Seconds to wait before retrying (429, and 503 SERVICE_UNAVAILABLE).' },
};

/** Error responses of a route; 429 (rate limits) and 503 (the database's bad moments) apply to every route. */
export function problems(statuses: ProblemStatus[], conflicts?: string) {
  const all = [...new Set([...statuses, 429, 503])].sort();
  return Object.fromEntries(
    all.map((status) => [
      status,
      {
        description: status === 409 && conflicts ? `Conflict: ${conflicts}` : PROBLEM_DESCRIPTIONS[status]!,
        ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
        content: { 'application/problem+json': { schema: problemSchema } },
      },
    ]),
  ) as Record<ProblemStatus, { description: string; content: { 'application/problem+json': { schema: typeof problemSchema } } }>;
}

/** Errors every write with a JSON body can produce. */
export const BODY_PROBLEMS: ProblemStatus[] = [400, 413, 415];
/** Errors of every route that requires a bearer token. */
export const AUTH_PROBLEMS: ProblemStatus[] = [401, 503];

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** A 200 page of a list, with the headers `toPage` sets. */
export const pagedJson = <T extends z.ZodType>(schema: T, description: string) => ({
  ...json(schema, description),
  headers: {
    'X-Total-Count': { schema: { type: 'integer' as const }, description: 'Matching items in all pages.' },
    Link: { schema: { type: 'string' as const }, description: 'RFC 8288 links: first, prev, next, last.' },
  },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

/** For writes that take no body: none, or `{}`; any field is unknown and so a 400 (contract, "Conventions"). */
export const noBody = {
  required: false,
  content: {
    'application/json': { schema: z.strictObject({}).openapi('NoBody', { description: 'Send no body, or an empty JSON object.' }) },
  },
};

export const bearer = [{ bearerAuth: [] }];
