import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, expectProblem, expectStatus, makeAdmin, makeBook, makeUser, seedBook, type TestUser, uniqueEmail } from './helpers';
import { callWith, D1_TRANSIENT, expectAuditPasses, faultyD1, type RequestSpec, snapshot } from './fault-injection';
import { env } from 'cloudflare:workers';

/**
 * Every write route, with D1 failing transiently on its 1st, 2nd, … call (statement or batch)
 * until the route makes no more calls: each failed attempt must answer a clean 503 with
 * Retry-After, change nothing (every row identical), leave the integrity audit passing and log the
 * failed statement class without any of the request's values; the retry after it must succeed.
 */

interface WriteRoute {
  name: string;
  /** Builds the state the write needs; returns the request and its success status. */
  setup(): Promise<{ spec: RequestSpec; status: number }>;
}

let admin: TestUser;
const openLoan = async (member: TestUser, bookIds: number[]) =>
  expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: bookIds } }), 201);

const ROUTES: WriteRoute[] = [
  {
    name: 'POST /users',
    setup: async () => ({
      spec: { method: 'POST', path: '/users', body: { first_name: 'Faulty', last_name: 'Register', email: uniqueEmail('fault'), password: 'secret-password-1' } },
      status: 201,
    }),
  },
  {
    name: 'POST /users/login',
    setup: async () => {
      const user = await makeUser();
      return { spec: { method: 'POST', path: '/users/login', body: { email: user.email, password: user.password } }, status: 200 };
    },
  },
  {
    name: 'PUT /users/profile',
    setup: async () => ({ spec: { method: 'PUT', path: '/users/profile', token: (await makeUser()).token, body: { first_name: 'Zygmunt' } }, status: 200 }),
  },
  {
    name: 'DELETE /users',
    setup: async () => ({ spec: { method: 'DELETE', path: '/users', token: (await makeUser()).token }, status: 200 }),
  },
  {
    name: 'PUT /users/{id}',
    setup: async () => ({ spec: { method: 'PUT', path: `/users/${(await makeUser()).id}`, token: admin.token, body: { last_name: 'Quixote' } }, status: 200 }),
  },
  {
    name: 'DELETE /users/{id}',
    setup: async () => ({ spec: { method: 'DELETE', path: `/users/${(await makeUser()).id}`, token: admin.token }, status: 200 }),
  },
  {
    name: 'POST /books',
    setup: async () => ({
      spec: {
        method: 'POST',
        path: '/books',
        token: admin.token,
        body: { title: `Faulty Towers ${crypto.randomUUID()}`, genre: 'Comedy', age_category: 'Adult', publish_date: '1975-09-19', author: 'Basil Fawlty' },
      },
      status: 201,
    }),
  },
  {
    name: 'PUT /books/{id}',
    setup: async () => ({
      spec: {
        method: 'PUT',
        path: `/books/${await seedBook()}`,
        token: admin.token,
        body: { title: `Replaced ${crypto.randomUUID()}`, genre: 'Drama', age_category: 'Adult', publish_date: '1999-01-01', author: 'Xanthippe Quill' },
      },
      status: 200,
    }),
  },
  {
    name: 'PATCH /books/{id}',
    setup: async () => ({ spec: { method: 'PATCH', path: `/books/${(await makeBook(admin)).id}`, token: admin.token, body: { author: 'Ottoline Vex' } }, status: 200 }),
  },
  {
    name: 'DELETE /books/{id}',
    setup: async () => ({ spec: { method: 'DELETE', path: `/books/${await seedBook()}`, token: admin.token }, status: 200 }),
  },
  {
    name: 'POST /loans',
    setup: async () => {
      const member = await makeUser();
      return { spec: { method: 'POST', path: '/loans', token: member.token, body: { book_ids: [await seedBook(), await seedBook()] } }, status: 201 };
    },
  },
  {
    name: 'PUT /loans/{id}/add-book/{book_id}',
    setup: async () => {
      const member = await makeUser();
      const loan = await openLoan(member, [await seedBook()]);
      return { spec: { method: 'PUT', path: `/loans/${loan.id}/add-book/${await seedBook()}`, token: member.token }, status: 200 };
    },
  },
  {
    name: 'PUT /loans/{id}/remove-book/{book_id}',
    setup: async () => {
      const member = await makeUser();
      const second = await seedBook();
      const loan = await openLoan(member, [await seedBook(), second]);
      return { spec: { method: 'PUT', path: `/loans/${loan.id}/remove-book/${second}`, token: member.token }, status: 200 };
    },
  },
  {
    name: 'POST /loans/{id}/return',
    setup: async () => {
      const member = await makeUser();
      const loan = await openLoan(member, [await seedBook(), await seedBook()]);
      return { spec: { method: 'POST', path: `/loans/${loan.id}/return`, token: member.token }, status: 200 };
    },
  },
  {
    name: 'POST /loans/{id}/renew',
    setup: async () => {
      const member = await makeUser();
      const loan = await openLoan(member, [await seedBook()]);
      return { spec: { method: 'POST', path: `/loans/${loan.id}/renew`, token: member.token }, status: 200 };
    },
  },
  {
    name: 'DELETE /loans/{id}',
    setup: async () => {
      const loan = await openLoan(await makeUser(), [await seedBook()]);
      return { spec: { method: 'DELETE', path: `/loans/${loan.id}`, token: admin.token }, status: 200 };
    },
  },
];

const MESSAGES = Object.values(D1_TRANSIENT);
const MAX_CALLS = 8;

/** String values of a request body (emails, passwords, titles), which no log line may contain. */
const valuesOf = (body: unknown): string[] =>
  body && typeof body === 'object' ? Object.values(body).filter((v): v is string => typeof v === 'string' && v.length >= 4) : [];

beforeAll(async () => {
  admin = await makeAdmin();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('transient D1 failures on every write route', () => {
  it.each(ROUTES.map((route) => [route.name, route] as const))('%s: 503 + Retry-After at each call, nothing written, then the retry succeeds', async (_, route) => {
    const { spec, status } = await route.setup();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    let n = 1;
    for (; n <= MAX_CALLS; n++) {
      const before = await snapshot();
      const d1 = faultyD1(env.DB, { on: 'any', nth: n, message: MESSAGES[n % MESSAGES.length]! });
      warn.mockClear();
      const res = await callWith({ DB: d1.db }, spec);
      if (d1.failed === 0) {
        // The route made fewer than n calls: this attempt ran untouched and is the retry.
        await expectStatus(res, status);
        break;
      }
      const retryAfter = Number(res.headers.get('Retry-After'));
      const problem = await expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(10);
      expect(problem.detail).toMatch(/retry/i);
      expect(res.headers.get('Server-Timing')).toBeNull();
      expect(await snapshot(), `call ${n} failed but rows changed`).toBe(before);

      const lines = warn.mock.calls.map((args) => String(args[0])).filter((line) => line.includes('database unavailable'));
      expect(lines, `no log line for call ${n}`).toHaveLength(1);
      const log = JSON.parse(lines[0]!);
      expect(log.statement).toMatch(/^(batch of \d+: )?((with … )?(select|insert|update|delete)( \w+)?(, )?)+(, …)?$/);
      expect(log.reason).toEqual(expect.any(String));
      for (const value of valuesOf(spec.body)) expect(lines[0]).not.toContain(value);
    }
    expect(n, 'the route kept calling D1').toBeGreaterThan(1);
    expect(n).toBeLessThanOrEqual(MAX_CALLS);
    await expectAuditPasses();
  });
});

describe('a write that committed but whose answer was lost', () => {
  it.each(ROUTES.map((route) => [route.name, route] as const))('%s: 503, and the database is still consistent', async (_, route) => {
    // Count the route's calls on a twin setup, then fail the last one (the write) after it ran.
    const twin = await route.setup();
    const counter = faultyD1(env.DB);
    await expectStatus(await callWith({ DB: counter.db }, twin.spec), twin.status);
    const calls = counter.calls.statement + counter.calls.batch;

    const { spec } = await route.setup();
    const d1 = faultyD1(env.DB, { on: 'any', nth: calls, message: D1_TRANSIENT.networkLost, when: 'after' });
    await expectProblem(await callWith({ DB: d1.db }, spec), 503, 'SERVICE_UNAVAILABLE');
    expect(d1.failed).toBe(1);
    await expectAuditPasses();
  });
});
