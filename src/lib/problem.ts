import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isRaised } from '../db/errors';
import { transientD1Failure } from '../db/failures';

/** Stable, machine-readable reasons (the contract's list). Clients switch on these, never on `detail`. */
export const PROBLEM_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'INVALID_CREDENTIALS',
  'FORBIDDEN',
  'RATE_LIMITED',
  'EMAIL_TAKEN',
  'TITLE_TAKEN',
  'BOOK_UNAVAILABLE',
  'BOOK_ALREADY_ON_LOAN',
  'BOOK_NOT_ON_LOAN',
  'LOAN_RETURNED',
  'LOAN_OVERDUE',
  'RENEWAL_LIMIT_REACHED',
  'HAS_ACTIVE_LOANS',
  'BOOK_ON_ACTIVE_LOAN',
  'NOT_CONFIGURED',
  'SERVICE_UNAVAILABLE',
  'BARCODE_TAKEN',
  'COPY_UNAVAILABLE',
  'COPY_NOT_ON_LOAN',
  'COPY_ON_LOAN',
  'NO_LENDABLE_COPIES',
  'HOLD_EXISTS',
  'ALREADY_BORROWED',
  'HOLD_CLOSED',
  'HOLD_PENDING',
  'PRECONDITION_FAILED',
  'FINES_OVER_LIMIT',
  'OVERDUE_COPIES',
  'LOAN_LIMIT_REACHED',
  'HOLD_LIMIT_REACHED',
  'OVERPAYMENT',
  'BALANCE_OUTSTANDING',
  'IDEMPOTENCY_KEY_REUSED',
  'URI_TOO_LONG',
  'ISBN_TAKEN',
  'LAST_ADMIN',
  'INTERNAL_ERROR',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export type FieldErrors = Record<string, string[]>;

/** One reason a circulation write is refused (contract, "Order of refusals"); item-level ones name their book. */
export interface Blocker {
  code: ProblemCode;
  detail: string;
  book_id?: number;
}

/** Thrown by handlers and middleware; `onError` renders it. Handlers never build error JSON. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ProblemCode,
    readonly detail: string,
    readonly options: { errors?: FieldErrors; headers?: Record<string, string>; blockers?: Blocker[] } = {},
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'NOT_FOUND', `${what} not found.`);
export const forbidden = (detail = 'You are not allowed to do this.') => new ApiError(403, 'FORBIDDEN', detail);
export const validationFailed = (errors: FieldErrors, detail = 'The request is invalid; see `errors`.') =>
  new ApiError(400, 'VALIDATION_FAILED', detail, { errors });

export const lastAdmin = () =>
  new ApiError(409, 'LAST_ADMIN', 'This is the last admin account; make another user an admin first.');

/** Every 401 from a bearer check, missing token included, carries the contract's challenge. */
export const unauthenticated = (detail: string, code: ProblemCode = 'UNAUTHENTICATED') =>
  new ApiError(401, code, detail, { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });

const typeUri = (code: ProblemCode) => `tag:library-api,2026:problem:${code.toLowerCase().replaceAll('_', '-')}`;

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail: string;
  instance: string;
  request_id: string;
  errors?: FieldErrors;
  blockers?: Blocker[];
}

export function problemResponse(c: Context, error: ApiError): Response {
  const body: Problem = {
    type: typeUri(error.code),
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    code: error.code,
    detail: error.detail,
    instance: c.req.path,
    request_id: c.get('requestId') ?? '',
    ...(error.options.errors ? { errors: error.options.errors } : {}),
    ...(error.options.blockers ? { blockers: error.options.blockers } : {}),
  };
  for (const [name, value] of Object.entries(error.options.headers ?? {})) c.header(name, value);
  return c.body(JSON.stringify(body), error.status, { 'Content-Type': 'application/problem+json' });
}

const CODE_BY_STATUS: Partial<Record<number, ProblemCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * D1's bad moment (connection lost, overloaded, reset, timed out). Every write is one atomic batch,
 * so it happened entirely or not at all (when the answer was lost after a commit): a retry is safe.
 */
export const databaseUnavailable = (retryAfter: number) =>
  new ApiError(503, 'SERVICE_UNAVAILABLE', `The database is briefly unavailable; retry in ${retryAfter} seconds.`, {
    headers: { 'Retry-After': String(retryAfter) },
  });

/**
 * Converts anything thrown into an ApiError: a transient D1 failure becomes a 503 with
 * Retry-After; other unknown errors an opaque 500.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const transient = transientD1Failure(err);
  if (transient) return databaseUnavailable(transient.retryAfter);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = CODE_BY_STATUS[status] ?? 'INTERNAL_ERROR';
    // Keep headers such as WWW-Authenticate that the exception's response carries.
    const headers: Record<string, string> = {};
    err.res?.headers.forEach((value, name) => {
      if (name !== 'content-type' && name !== 'content-length') headers[name] = value;
    });
    return new ApiError(status, code, err.message || TITLES[status] || 'Error', { headers });
  }
  // Whatever write met the trigger (admin update or delete, self-delete), the answer is the same.
  if (isRaised(err, 'LAST_ADMIN')) return lastAdmin();
  return new ApiError(500, 'INTERNAL_ERROR', 'An unexpected error occurred; it has been logged with the request id.');
}
