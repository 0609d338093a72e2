import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { batchClass, d1ErrorSummary, statementClass, transientD1Failure } from '../src/db/failures';
import { DAILY_STEPS, runDailyJob } from '../src/jobs/daily';
import { callWith, D1_TRANSIENT, expectAuditPasses, faultyD1 } from './fault-injection';
import { expectProblem, expectStatus, makeAdmin, makeUser, seedBook, type TestUser } from './helpers';

const quiet = (method: 'warn' | 'error') => vi.spyOn(console, method).mockImplementation(() => {});
const logged = (spy: ReturnType<typeof quiet>, msg: string) =>
  spy.mock.calls.map((args) => String(args[0])).filter((line) => line.includes(`"msg":"${msg}"`));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('statement classes and D1 reasons', () => {
  it('names the verb and table of Drizzle and raw SQL, never a value', () => {
    expect(statementClass('insert into "loans" ("id", "user_id") select NULL, "users"."id" from "users" where "users"."id" = ?')).toBe('insert loans');
    expect(statementClass('select "id", "title" from "books" where ("books"."id" in (SELECT value FROM json_each(?)))')).toBe('select books');
    expect(statementClass('update "books" set "title" = ? where "books"."id" = ? returning "id"')).toBe('update books');
    expect(statementClass('delete from "loans" where "loans"."id" = ?')).toBe('delete loans');
    expect(statementClass("UPDATE OR IGNORE `copies` SET status = 'x' WHERE id = ?")).toBe('update copies');
    expect(statementClass('WITH picked AS (SELECT id FROM copies WHERE book_id = ?) INSERT INTO loan_items (copy_id) SELECT id FROM picked')).toBe(
      'with … insert loan_items',
    );
    expect(statementClass("select 'insert into secrets' as x from users -- delete from audit")).toBe('select users');
    expect(statementClass('select 1')).toBe('select');
    expect(batchClass(['insert loans', 'insert loan_books', 'select books'])).toBe('batch of 3: insert loans, insert loan_books, select books');
    expect(batchClass(Array.from({ length: 8 }, () => 'select books'))).toMatch(/^batch of 8: (select books, ){6}…$/);
  });

  it('recognises every transient D1 error of the list, through Drizzle’s wrapper', () => {
    for (const message of Object.values(D1_TRANSIENT)) {
      const wrapped = new Error('Failed query: insert into "users" values (?)\nparams: secret@example.org', { cause: new Error(message) });
      expect(transientD1Failure(wrapped), message).toBeDefined();
    }
    expect(transientD1Failure(new Error('D1_ERROR: UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT'))).toBeUndefined();
    expect(transientD1Failure(new TypeError('x is undefined'))).toBeUndefined();
  });

  it('summarises other D1 errors without their free text', () => {
    expect(d1ErrorSummary(new Error('D1_ERROR: UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT'))).toBe(
      'D1_ERROR SQLITE_CONSTRAINT UNIQUE users.email',
    );
    expect(d1ErrorSummary(new Error("D1_TYPE_ERROR: Type 'object' not supported for value 'hunter2'"))).toBe('D1_TYPE_ERROR');
    expect(d1ErrorSummary(new Error('plain'))).toBeUndefined();
  });
});

describe('other database failures', () => {
  let member: TestUser;
  beforeAll(async () => {
    member = await makeUser();
  });

  it('an unexpected D1 error is a 500 whose log names the statement class, not the values', async () => {
    const error = quiet('error');
    const bookId = await seedBook();
    const d1 = faultyD1(env.DB, { on: 'any', nth: 1, times: 99, message: "D1_TYPE_ERROR: Type 'object' not supported for value 'hunter2'" });
    const res = await callWith({ DB: d1.db }, { method: 'POST', path: '/loans', token: member.token, body: { book_ids: [bookId] } });
    const problem = await expectProblem(res, 500, 'INTERNAL_ERROR');
    expect(problem.detail).not.toContain('hunter2');
    expect(res.headers.get('Retry-After')).toBeNull();
    const [line] = logged(error, 'unhandled error');
    expect(JSON.parse(line!)).toMatchObject({ level: 'error', statement: expect.stringMatching(/^(batch of \d+: )?update circulation_context/), reason: 'D1_TYPE_ERROR' });
    expect(line).not.toContain('hunter2');
    await expectAuditPasses();
  });

  it('a failure on a read answers 503 too, and the next read succeeds', async () => {
    quiet('warn');
    const d1 = faultyD1(env.DB, { on: 'any', nth: 1, message: D1_TRANSIENT.overloaded });
    const res = await callWith({ DB: d1.db }, { method: 'GET', path: '/books' });
    await expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
    expect(res.headers.get('Retry-After')).toBe('5');
    await expectStatus(await callWith({ DB: d1.db }, { method: 'GET', path: '/books' }), 200);
  });

  it('GET /health answers 503 with Retry-After whatever D1 throws, and logs why', async () => {
    const warn = quiet('warn');
    for (const message of [D1_TRANSIENT.unreachable, 'D1_ERROR: no such table: main.nothing: SQLITE_ERROR']) {
      const d1 = faultyD1(env.DB, { on: 'any', nth: 1, message });
      const res = await callWith({ DB: d1.db }, { method: 'GET', path: '/health' });
      await expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
      expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
    }
    expect(logged(warn, 'health check: database not answering').map((line) => JSON.parse(line).reason)).toEqual([
      'D1 unreachable (transient issue on remote node)',
      'D1_ERROR SQLITE_ERROR',
    ]);
    await expectStatus(await callWith({}, { method: 'GET', path: '/health' }), 200);
  });

  it('the daily job: a step whose D1 call fails is logged with its statement class, the run throws, the next run succeeds', async () => {
    const error = quiet('error');
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(DAILY_STEPS.length).toBeGreaterThan(0);
    const d1 = faultyD1(env.DB, { on: 'any', nth: 1, times: 1_000, message: D1_TRANSIENT.codeUpdated });
    await expect(runDailyJob({ DB: d1.db }, new Date())).rejects.toThrow(/daily job/);
    const lines = logged(error, 'daily job step failed').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(DAILY_STEPS.length);
    for (const line of lines) {
      expect(line.reason).toBe('D1 reset because its code was updated');
      expect(line.statement).toMatch(/^(batch of \d+: )?(with … )?(select|insert|update|delete)/);
    }
    await expectAuditPasses();
    const reports = await runDailyJob(env, new Date());
    expect(reports.every((report) => report.ok)).toBe(true);
    await expectAuditPasses();
  });

  it('a slow database still answers, correctly', async () => {
    const d1 = faultyD1(env.DB, undefined, 40);
    const bookId = await seedBook();
    const loan = await expectStatus(
      await callWith({ DB: d1.db }, { method: 'POST', path: '/loans', token: member.token, body: { book_ids: [bookId] } }),
      201,
    );
    expect(d1.calls.batch + d1.calls.statement).toBeGreaterThan(0);
    await expectStatus(await callWith({ DB: d1.db }, { method: 'POST', path: `/loans/${loan.id}/return`, token: member.token }), 200);
    await expectAuditPasses();
  });
});

/** A KV namespace whose every call throws, as during a KV outage. */
const brokenKv = new Proxy(env.CACHE, {
  get(target, prop) {
    if (prop === 'get' || prop === 'put' || prop === 'delete' || prop === 'list' || prop === 'getWithMetadata') {
      return () => Promise.reject(new Error('KV GET failed: 503 Service Unavailable'));
    }
    return Reflect.get(target, prop, target);
  },
});

/** A rate limiter that throws, as when the binding is unavailable. */
const brokenLimiter = { limit: () => Promise.reject(new Error('rate limiter unavailable')) } as unknown as RateLimit;

describe('KV and the rate limiter failing', () => {
  it('popularity is read from D1 when KV throws, and writes that invalidate it still succeed', async () => {
    const warn = quiet('warn');
    const member = await makeUser();
    const bookId = await seedBook();
    const loan = await expectStatus(
      await callWith({ CACHE: brokenKv }, { method: 'POST', path: '/loans', token: member.token, body: { book_ids: [bookId] } }),
      201,
    );
    await expectStatus(await callWith({ CACHE: brokenKv }, { method: 'POST', path: `/loans/${loan.id}/return`, token: member.token }), 200);
    const res = await callWith({ CACHE: brokenKv }, { method: 'GET', path: '/books/popularity' });
    const ranking = await expectStatus(res, 200);
    expect(res.headers.get('X-Cache')).toBe('MISS');
    expect(JSON.stringify(ranking)).toContain(`"id":${bookId}`);
    const messages = warn.mock.calls.map((args) => JSON.parse(String(args[0])).msg);
    expect(messages).toEqual(expect.arrayContaining(['popularity cache invalidation failed', 'popularity cache read failed', 'popularity cache write failed']));
    await expectAuditPasses();
  });

  it('requests pass when every limiter throws, with a warning naming the limiter', async () => {
    const warn = quiet('warn');
    const admin = await makeAdmin();
    // Every rate-limit binding the Worker has, whatever their number.
    const broken = Object.fromEntries(Object.keys(env).filter((name) => name.endsWith('_LIMITER')).map((name) => [name, brokenLimiter]));
    expect(Object.keys(broken)).toEqual(expect.arrayContaining(['LOGIN_LIMITER', 'REGISTER_LIMITER', 'WRITE_LIMITER', 'READ_LIMITER']));
    await expectStatus(await callWith(broken, { method: 'GET', path: '/books' }), 200);
    await expectStatus(await callWith(broken, { method: 'POST', path: '/users/login', body: { email: admin.email, password: admin.password } }), 200);
    await expectStatus(
      await callWith(broken, {
        method: 'POST',
        path: '/books',
        token: admin.token,
        body: { title: `Limiter down ${crypto.randomUUID()}`, genre: 'Essay', age_category: 'Adult', publish_date: '2001-01-01', author: 'Ada Lim' },
      }),
      201,
    );
    const limiters = warn.mock.calls.map((args) => JSON.parse(String(args[0]))).filter((l) => l.msg === 'rate limiter unavailable').map((l) => l.limiter);
    expect(limiters).toEqual(['READ_LIMITER', 'LOGIN_LIMITER', expect.stringMatching(/WRITE_LIMITER$/)]);
  });
});
