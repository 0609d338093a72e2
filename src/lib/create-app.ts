import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, Handler } from 'hono';
import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import { secureHeaders } from 'hono/secure-headers';
import { d1ErrorSummary, failedStatement, transientD1Failure } from '../db/failures';
import type { AppEnv } from '../env';
import { bodyGuard, type MethodsAt } from '../middleware/body-guard';
import { database } from '../middleware/db';
import { readBearer } from '../middleware/auth';
import { requestLogger } from '../middleware/logger';
import { rateLimit } from '../middleware/rate-limit';
import { requestId } from '../middleware/request-id';
import { uriLength } from '../middleware/uri-length';
import { ApiError, type FieldErrors, problemResponse, toApiError, validationFailed } from './problem';

// A missing field reads "Required." rather than zod's "expected string, received undefined".
z.config({ customError: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'Required.' : undefined) });

/** Field path → messages; unknown keys are reported under their own name. */
export function fieldErrors(error: z.ZodError, target: string): FieldErrors {
  // Keys are client-chosen ("toString", "__proto__"): a Map, not an object, collects them.
  const errors = new Map<string, string[]>();
  const add = (path: PropertyKey[], message: string) => {
    const key = path.length ? path.map(String).join('.') : target === 'json' ? 'body' : target;
    errors.set(key, [...(errors.get(key) ?? []), message]);
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) add([...issue.path, key], 'Unknown field.');
    else add(issue.path, issue.message);
  }
  return Object.fromEntries(errors);
}

/** A router whose validation failures all become one 400 problem (the one validation hook). */
export const createRouter = () =>
  new OpenAPIHono<AppEnv>({
    strict: true,
    defaultHook: (result) => {
      if (!result.success) throw validationFailed(fieldErrors(result.error, result.target));
    },
  });

const EXPOSED_HEADERS = [
  'X-Request-Id',
  'X-Total-Count',
  'Link',
  'Location',
  'Retry-After',
  'X-Cache',
  'Server-Timing',
  'ETag',
  'X-D1-Bookmark',
  'Idempotent-Replayed',
];
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-Request-Id', 'If-Match', 'If-None-Match', 'Idempotency-Key', 'X-D1-Bookmark'];

/** CORS only for the origins configured in CORS_ORIGINS; none by default. */
const corsFromConfig = () => {
  let cached: { origins: string; handler: ReturnType<typeof cors> } | undefined;
  return createMiddleware<AppEnv>(async function corsFromConfig(c, next) {
    const origins = c.env.CORS_ORIGINS?.trim() ?? '';
    if (!origins) return next();
    if (cached?.origins !== origins) {
      const list = origins.split(',').map((origin) => origin.trim()).filter(Boolean);
      cached = {
        origins,
        handler: cors({
          origin: list,
          allowHeaders: ALLOWED_HEADERS,
          allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
          exposeHeaders: EXPOSED_HEADERS,
          maxAge: 600,
        }),
      };
    }
    return cached.handler(c, next);
  });
};

/**
 * The methods served at a path, to tell 405 from 404 and to leave bodies sent to no route alone.
 * A static route (`/books/search`) answers for its path alone, so the methods of a parameterised
 * sibling (`/books/:id`) are not offered there. Built once, from the routes as registered.
 */
function routeTable(app: OpenAPIHono<AppEnv>): MethodsAt {
  let routes: { pattern: RegExp; method: string; isStatic: boolean }[] | undefined;
  return (path) => {
    routes ??= app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => ({ pattern: routePattern(route.path), method: route.method, isStatic: !route.path.includes(':') }));
    const matching = routes.filter((route) => route.pattern.test(path));
    const exact = matching.filter((route) => route.isStatic);
    const methods = new Set((exact.length ? exact : matching).map((route) => route.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}

// The router is strict about trailing slashes, and so is this.
const routePattern = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')}$`);

/**
 * Registered for a static path (`/users/login`) before a parameterised sibling (`/users/:id`), so
 * another method there answers 405 with the static path's `Allow` instead of reaching `:id`.
 */
export const staticPathOnly: Handler<AppEnv> = (c) => c.notFound();

function renderError(err: unknown, c: Context<AppEnv>): Response {
  const problem = toApiError(err);
  logFailure(err, problem, c);
  return problemResponse(c, problem);
}

/**
 * One log line per failed request that is the server's fault: a transient D1 failure (warn: D1's
 * reason and the statement class, e.g. "batch of 3: insert loans, insert loan_books, select books"),
 * or an unexpected error (error: a bug). Never a message's free text: Drizzle's lists bound
 * parameters, and some of D1's quote a value.
 */
function logFailure(err: unknown, problem: ApiError, c: Context<AppEnv>): void {
  if (problem.status < 500 || problem.code === 'NOT_CONFIGURED') return;
  const statement = failedStatement(err);
  const transient = transientD1Failure(err);
  if (transient) {
    console.warn(
      JSON.stringify({ level: 'warn', msg: 'database unavailable', id: c.get('requestId'), statement, reason: transient.reason }),
    );
    return;
  }
  if (problem.code === 'SERVICE_UNAVAILABLE') return;
  console.error(
    JSON.stringify({
      level: 'error',
      msg: 'unhandled error',
      id: c.get('requestId'),
      error: err instanceof Error ? err.name : typeof err,
      ...(statement ? { statement } : {}),
      ...(statement ? { reason: d1ErrorSummary(err) ?? 'unknown database error' } : {}),
    }),
  );
}

/** The app with the request pipeline, in order (README, "Layout"). */
export function createApp() {
  const app = createRouter();
  const methodsAt = routeTable(app);
  app.use(requestId());
  app.use(requestLogger());
  app.use(uriLength());
  app.use(secureHeaders());
  app.use(corsFromConfig());
  app.use(database());
  app.use(readBearer());
  app.use(rateLimit());
  app.use(bodyGuard(methodsAt));

  app.notFound((c) => {
    const allow = methodsAt(c.req.path);
    if (allow.length === 0) return renderError(new ApiError(404, 'NOT_FOUND', `No route matches ${c.req.path}.`), c);
    return renderError(
      new ApiError(405, 'METHOD_NOT_ALLOWED', `${c.req.method} is not supported here; use ${allow.join(', ')}.`, {
        headers: { Allow: allow.join(', ') },
      }),
      c,
    );
  });
  app.onError(renderError);
  return app;
}
