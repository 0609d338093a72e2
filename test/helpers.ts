import { env, exports } from 'cloudflare:workers';
import { expect } from 'vitest';

/** Tests share one rate-limit state, so each request gets its own client IP unless a test pins one. */
let ipCounter = 0;
export const freshIp = () => `198.51.${Math.floor(++ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;

export interface CallOptions {
  token?: string;
  body?: unknown;
  ip?: string;
  headers?: Record<string, string>;
}

/** Calls the Worker as a client would (integration tests). */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  if (!headers.has('CF-Connecting-IP')) headers.set('CF-Connecting-IP', options.ip ?? freshIp());
  if (options.token) headers.set('Authorization', `Bearer ${options.token}`);
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  }
  return exports.default.fetch(new Request(`http://library.test${path}`, { method, headers, body }));
}

/** Parses a JSON or problem+json response, asserting the status first (with the body in the message). */
export async function expectStatus<T = any>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Asserts an RFC 9457 problem with the given status and code; returns it. */
export async function expectProblem(res: Response, status: number, code: string) {
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const problem = await expectStatus(res, status);
  expect(problem).toMatchObject({ status, code });
  expect(typeof problem.type).toBe('string');
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  return problem;
}

let userCounter = 0;
export const uniqueEmail = (prefix = 'user') => `${prefix}.${Date.now().toString(36)}.${++userCounter}@example.org`;

export interface TestUser {
  id: number;
  email: string;
  password: string;
  token: string;
}

/** Registers a user through the API and logs in; `role: 'admin'` is granted directly in D1, as create-admin does. */
export async function makeUser(role: 'member' | 'admin' = 'member', fields: Record<string, unknown> = {}): Promise<TestUser> {
  const email = uniqueEmail(role);
  const password = 'correct horse battery';
  const created = await expectStatus(
    await call('POST', '/users', { body: { first_name: 'Test', last_name: role, email, password, ...fields } }),
    201,
  );
  if (role === 'admin') await env.DB.prepare("UPDATE users SET role = 'admin' WHERE id = ?").bind(created.id).run();
  const { token } = await expectStatus(await call('POST', '/users/login', { body: { email, password } }), 200);
  return { id: created.id, email, password, token };
}

export const makeAdmin = () => makeUser('admin');

let bookCounter = 0;
/** Creates a book through the API as `admin`. */
export async function makeBook(admin: TestUser, fields: Record<string, unknown> = {}) {
  const n = ++bookCounter;
  return expectStatus(
    await call('POST', '/books', {
      token: admin.token,
      body: {
        title: `Test Book ${Date.now().toString(36)} ${n}`,
        genre: 'Fiction',
        age_category: 'Adult',
        publish_date: '2001-01-01',
        author: 'Test Author',
        ...fields,
      },
    }),
    201,
  );
}

let seededBookCounter = 0;
/** Inserts a book straight into D1 (no API, no admin needed) with `copies` copies (default 1); returns its id. */
export async function seedBook(
  fields: Partial<Record<'title' | 'genre' | 'age_category' | 'publish_date' | 'author', string>> = {},
  copies = 1,
) {
  const n = ++seededBookCounter;
  const row = await env.DB.prepare(
    'INSERT INTO books (title, genre, age_category, publish_date, author) VALUES (?, ?, ?, ?, ?) RETURNING id',
  )
    .bind(
      fields.title ?? `Seeded Book ${Date.now().toString(36)} ${n}`,
      fields.genre ?? 'Fiction',
      fields.age_category ?? 'Adult',
      fields.publish_date ?? '2001-01-01',
      fields.author ?? 'Seeded Author',
    )
    .first<{ id: number }>();
  for (let i = 0; i < copies; i++) await env.DB.prepare('INSERT INTO copies (book_id) VALUES (?)').bind(row!.id).run();
  return row!.id;
}

/** The copies of a book straight from D1, by id. */
export const copiesOf = async (bookId: number) =>
  (
    await env.DB.prepare('SELECT id, barcode, status FROM copies WHERE book_id = ? ORDER BY id')
      .bind(bookId)
      .all<{ id: number; barcode: string; status: string }>()
  ).results;

/** Rows in both loan tables: a refused write must leave both unchanged. */
export const rowCounts = () =>
  env.DB.prepare('SELECT (SELECT count(*) FROM loans) AS loans, (SELECT count(*) FROM loan_books) AS loan_books').first<{
    loans: number;
    loan_books: number;
  }>();

/** Long enough for any rate-limit test here to finish inside one window on a slow machine. */
const RATE_WINDOW_MARGIN_MS = 25_000;
/** Time for a rate-limit test: a wait for a fresh window plus the requests themselves. */
export const RATE_LIMIT_TEST_TIMEOUT = 90_000;

/**
 * The local rate limiter counts in windows aligned to the wall clock (a 60 s period starts at every
 * full minute), so a test that sends a limit's worth of requests and expects the next one refused
 * fails whenever its loop straddles a window boundary. Waits, when needed, for a window with enough
 * time left.
 */
export async function startOfRateWindow(periodSeconds = 60) {
  const periodMs = periodSeconds * 1000;
  const left = periodMs - (Date.now() % periodMs);
  if (left < RATE_WINDOW_MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, left + 250));
}

/** The fields of a Book on the wire, sorted: no more (no internal columns), no fewer. */
export const BOOK_FIELDS = [
  'age_category',
  'author',
  'available',
  'available_copies',
  'copies',
  'genre',
  'holds_waiting',
  'id',
  'isbn',
  'publish_date',
  'title',
];
