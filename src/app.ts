import { createApp } from './lib/create-app';
import { accountsRouter } from './routes/accounts';
import { booksRouter } from './routes/books';
import { eventsRouter } from './routes/events';
import { circulationRouter } from './routes/circulation';
import { copiesRouter } from './routes/copies';
import { holdsRouter } from './routes/holds';
import { noticesRouter } from './routes/notices';
import { docsRouter } from './routes/docs';
import { healthRouter } from './routes/health';
import { loansRouter } from './routes/loans';
import { policyRouter } from './routes/policy';
import { statsRouter } from './routes/stats';
import { usersRouter } from './routes/users';

const app = createApp();

app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description: 'A token from `POST /users/login`, valid for one hour.',
});

const routes = app.route('/', healthRouter).route('/', usersRouter).route('/', booksRouter)
  .route('/', copiesRouter)
  .route('/', loansRouter)
  .route('/', holdsRouter)
  .route('/', circulationRouter)
  .route('/', noticesRouter)
  .route('/', policyRouter)
  .route('/', eventsRouter)
  .route('/', accountsRouter)
  .route('/', statsRouter);

app.doc31('/openapi.json', {
  openapi: '3.1.0',
  info: {
    title: 'Library API',
    version: '0.1.0',
    description:
      'A lending-library back end (patrons, catalogue, loans) on Cloudflare Workers. ' +
      'Every error is RFC 9457 `application/problem+json` with a stable `code`. Every response carries ' +
      '`X-Request-Id`; successes (2xx/3xx) also carry `Server-Timing` (D1 round trips and rows read), errors none. ' +
      'Text fields must be well-formed Unicode without control or format (Cf) characters. Rate limits: login 5/60 s and ' +
      'register 10/60 s per IP, authenticated writes 60/60 s per user and token version (admins 300/60 s), everything ' +
      'else 100/60 s per IP; over a limit the answer is 429 with `Retry-After`.\n\n' +
      '**Read your own writes**: every response that reached the database carries `X-D1-Bookmark`; send it back ' +
      'as the `X-D1-Bookmark` request header and the answer is at least that fresh (reads may otherwise come from ' +
      'a replica a few seconds behind). A malformed bookmark is ignored. **Conditional requests**: books and users ' +
      'carry `ETag`; `If-None-Match` gives 304, `If-Match` on PUT/PATCH/DELETE gives 412 PRECONDITION_FAILED when ' +
      'stale. **Retries**: every POST but login, logout and the catalogue import takes `Idempotency-Key` (those ignore it). A request target over 8,192 characters is ' +
      '414 URI_TOO_LONG.',
  },
});

app.route('/', docsRouter);

export type AppType = typeof routes;
export default app;
