import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../src/lib/password';
import { call, expectProblem, expectStatus, freshIp, makeAdmin, makeBook, makeUser, seedBook, type TestUser, RATE_LIMIT_TEST_TIMEOUT, startOfRateWindow } from './helpers';

/**
 * Regression tests for the black-box review of Part one (issue 8): each case below was answered
 * wrongly by the running service before the fix.
 */

/** Sends a request with a body exactly as given: raw bytes, a stream (chunked framing), any Content-Type. */
function send(method: string, path: string, options: { token?: string; headers?: Record<string, string>; body?: BodyInit } = {}) {
  const headers = new Headers(options.headers);
  headers.set('CF-Connecting-IP', freshIp());
  if (options.token) headers.set('Authorization', `Bearer ${options.token}`);
  const init = { method, headers, body: options.body, duplex: 'half' } as RequestInit;
  return exports.default.fetch(new Request(`http://library.test${path}`, init));
}

/** A body of zero bytes that announces no length: what `Transfer-Encoding: chunked` with no chunk looks like. */
const emptyStream = () => new ReadableStream({ start: (controller) => controller.close() });

/** Response headers minus those that differ per request by design. */
// X-D1-Bookmark is the database's position when the request ran, a clock like Date: it differs
// between any two answers and says nothing about what a request found.
const comparableHeaders = (res: Response) =>
  Object.fromEntries([...res.headers].filter(([name]) => !['date', 'x-request-id', 'content-length', 'x-d1-bookmark'].includes(name)));

const hasD1Figures = (res: Response) => /d1/.test(res.headers.get('Server-Timing') ?? '');

describe('Server-Timing shows D1 cost on successes only (issue 8 #1, #2)', () => {
  it('login: a wrong password and an unknown email answer with identical headers', async () => {
    const user = await makeUser();
    const unknown = await call('POST', '/users/login', { body: { email: 'nobody.at.all@example.org', password: user.password } });
    const wrong = await call('POST', '/users/login', { body: { email: user.email, password: 'wrong password' } });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(comparableHeaders(wrong)).toEqual(comparableHeaders(unknown));
    expect(hasD1Figures(wrong)).toBe(false);
  });

  it("another member's loan is a 404 exactly like a missing one, on every loan route", async () => {
    const [owner, stranger] = [await makeUser(), await makeUser()];
    const books = [await seedBook(), await seedBook(), await seedBook()];
    const loan = await expectStatus(await call('POST', '/loans', { token: owner.token, body: { book_ids: books } }), 201);
    const missing = loan.id + 100_000;
    const requests: [string, (id: number) => string][] = [
      ['GET', (id) => `/loans/${id}`],
      ['POST', (id) => `/loans/${id}/return`],
      ['POST', (id) => `/loans/${id}/renew`],
      ['PUT', (id) => `/loans/${id}/add-book/${books[0]}`],
      ['PUT', (id) => `/loans/${id}/remove-book/${books[1]}`],
    ];
    for (const [method, path] of requests) {
      const others = await call(method, path(loan.id), { token: stranger.token });
      const absent = await call(method, path(missing), { token: stranger.token });
      const name = `${method} ${path(0)}`;
      expect(comparableHeaders(others), name).toEqual(comparableHeaders(absent));
      expect(hasD1Figures(others), name).toBe(false);
      const { instance: _a, request_id: _b, ...refused } = await expectProblem(others, 404, 'NOT_FOUND');
      const { instance: _c, request_id: _d, ...notThere } = await expectProblem(absent, 404, 'NOT_FOUND');
      expect(refused, name).toEqual(notThere);
    }
  });

  it("a member's GET /users is 403 without the rows it read", async () => {
    const member = await makeUser();
    const res = await call('GET', '/users?per_page=100', { token: member.token });
    expect(hasD1Figures(res)).toBe(false);
    await expectProblem(res, 403, 'FORBIDDEN');
  });

  it('no error carries D1 figures, whichever path rendered it (notFound, 405, validation, bad token)', async () => {
    const member = await makeUser();
    const errors = [
      await call('GET', '/nope'),
      await call('PATCH', '/health'),
      await call('GET', '/books/search'),
      await call('POST', '/loans', { token: member.token, body: { book_ids: [0] } }),
      await call('GET', '/users/profile', { token: 'a.b.c' }),
    ];
    for (const res of errors) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('Server-Timing'), `${res.status} ${res.url}`).toBeNull();
    }
  });

  it('still reports the cost of a success', async () => {
    const res = await call('GET', '/books?per_page=1');
    expect(res.headers.get('Server-Timing')).toMatch(/d1_round_trips;desc="1".*d1_rows_read;desc="\d+"/);
  });
});

describe('write budget per token version (issue 8 #3)', () => {
  it('a retired token cannot spend the budget of the current one', { timeout: RATE_LIMIT_TEST_TIMEOUT }, async () => {
    const user = await makeUser();
    const newPassword = 'a brand new passphrase';
    await expectStatus(await call('PUT', '/users/profile', { token: user.token, body: { password: newPassword } }), 200);
    const { token } = await expectStatus(await call('POST', '/users/login', { body: { email: user.email, password: newPassword } }), 200);
    await startOfRateWindow();
    let limited = false;
    for (let i = 0; i < 61 && !limited; i++) {
      const res = await call('POST', '/loans', { token: user.token, body: {} });
      expect([401, 429]).toContain(res.status);
      limited = res.status === 429;
    }
    expect(limited).toBe(true);
    await expectStatus(await call('POST', '/loans', { token, body: {} }), 201);
  });
});

describe('one rule for every text field (issue 8 #4, #5)', () => {
  const bookJson = (title: string) =>
    `{"title":"${title}","genre":"Fiction","age_category":"Adult","publish_date":"2001-01-01","author":"A. Author"}`;

  it.each(['Sur \\ud800 Z', 'Sur \\udc01 Z', 'Sur \\ud83d'])('rejects ill-formed UTF-16 (%s) with 400', async (title) => {
    const admin = await makeAdmin();
    const problem = await expectProblem(await call('POST', '/books', { token: admin.token, body: bookJson(title) }), 400, 'VALIDATION_FAILED');
    expect(problem.errors.title).toEqual([expect.stringMatching(/surrogate|well-formed/i)]);
  });

  it.each(['\\u200b', '\\u00ad', '\\u200d', '\\u2060', '\\ufeff', '\\u061c'])('rejects the format character %s inside a title', async (char) => {
    const admin = await makeAdmin();
    const problem = await expectProblem(await call('POST', '/books', { token: admin.token, body: bookJson(`Zed${char}X`) }), 400, 'VALIDATION_FAILED');
    expect(problem.errors.title).toEqual([expect.stringMatching(/format|invisible/i)]);
  });

  it('keeps well-formed astral characters (emoji, CJK extension B)', async () => {
    const admin = await makeAdmin();
    await makeBook(admin, { title: `Sur \u{1F600} \u{20000} ${Date.now()}` });
  });

  it('applies to every text field: names, address, author, genre, search terms', async () => {
    const [admin, member] = [await makeAdmin(), await makeUser()];
    const zwsp = '\u200b';
    const cases: [string, string, unknown, string][] = [
      ['POST', '/users', { first_name: `A${zwsp}B`, last_name: 'X', email: 'zw@example.org', password: 'long enough pw' }, 'first_name'],
      ['PUT', '/users/profile', { address: `1 Main${zwsp} St` }, 'address'],
      ['PATCH', '/books/1', { author: `Le${zwsp}Guin` }, 'author'],
      ['PATCH', '/books/1', { genre: 'Sci\ud800fi' }, 'genre'],
    ];
    await seedBook();
    for (const [method, path, body, field] of cases) {
      const token = path.startsWith('/books') ? admin.token : member.token;
      const problem = await expectProblem(await call(method, path, { token, body }), 400, 'VALIDATION_FAILED');
      expect(Object.keys(problem.errors), `${method} ${path}`).toEqual([field]);
    }
    const search = await expectProblem(await call('GET', '/books/search?title=Zed%E2%80%8BX'), 400, 'VALIDATION_FAILED');
    expect(Object.keys(search.errors)).toEqual(['title']);
  });

  it('passwords: lone surrogates are refused (they cannot be hashed stably); format characters are allowed', async () => {
    const base = { first_name: 'P', last_name: 'W' };
    const lone = await call('POST', '/users', { body: `{"first_name":"P","last_name":"W","email":"lone@example.org","password":"abcdefgh\\ud800"}` });
    expect(Object.keys((await expectProblem(lone, 400, 'VALIDATION_FAILED')).errors)).toEqual(['password']);
    const login = await call('POST', '/users/login', { body: `{"email":"lone@example.org","password":"abcdefgh\\ud800"}` });
    expect(Object.keys((await expectProblem(login, 400, 'VALIDATION_FAILED')).errors)).toEqual(['password']);
    const email = `cf.${Date.now()}@example.org`;
    await expectStatus(await call('POST', '/users', { body: { ...base, email, password: 'pass\u200bword' } }), 201);
    await expectStatus(await call('POST', '/users/login', { body: { email, password: 'pass\u200bword' } }), 200);
  });
});

describe('email limits of RFC 5321 and RFC 1035 (issue 8 #9)', () => {
  const register = (email: string) =>
    call('POST', '/users', { body: { first_name: 'E', last_name: 'M', email, password: 'long enough pw' } });

  it.each([
    ['a 65-octet local part', `${'a'.repeat(65)}@example.org`],
    ['a label ending in -', 'x@example-.org'],
    ['a label starting with -', 'x@-example.org'],
    ['a 64-character label', `x@${'a'.repeat(64)}.org`],
    ['an empty label', 'x@example..org'],
    ['more than 254 characters', `x@${`${'a'.repeat(60)}.`.repeat(5)}org`],
  ])('rejects %s', async (_name, email) => {
    const problem = await expectProblem(await register(email), 400, 'VALIDATION_FAILED');
    expect(Object.keys(problem.errors)).toEqual(['email']);
  });

  it('login still finds an account registered before the limits', async () => {
    const legacy = `${'l'.repeat(65)}.${Date.now()}@example-.org`;
    await env.DB.prepare("INSERT INTO users (first_name, last_name, email, password_hash) VALUES ('Old', 'Account', ?, ?)")
      .bind(legacy, await hashPassword('legacy password'))
      .run();
    await expectStatus(await call('POST', '/users/login', { body: { email: legacy, password: 'legacy password' } }), 200);
  });

  it('accepts the limits themselves', async () => {
    const stamp = Date.now().toString(36);
    await expectStatus(await register(`${stamp}${'a'.repeat(64 - stamp.length)}@example.org`), 201);
    await expectStatus(await register(`${stamp}@${'a'.repeat(63)}.example-x.org`), 201);
  });
});

describe('token checks: signature first, then expiry (issue 8 #6)', () => {
  const b64url = (text: string) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(text))).replaceAll('=', '').replaceAll('+', '-').replaceAll('/', '_');

  /** An HS256 token over a payload written as raw JSON (so `1e400` stays as sent). */
  async function rawToken(payloadJson: string, secret: string) {
    const input = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(payloadJson)}`;
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(input)));
    return `${input}.${btoa(String.fromCharCode(...signature)).replaceAll('=', '').replaceAll('+', '-').replaceAll('/', '_')}`;
  }

  const now = () => Math.floor(Date.now() / 1000);
  const claims = (user: TestUser, exp: string) => `{"sub":"${user.id}","role":"member","ver":0,"iat":${now() - 60},"exp":${exp}}`;

  it.each([['a past exp', String(now() - 3600)], ['a "future" string', '"2999-01-01"'], ['null', 'null'], ['1e400', '1e400'], ['a future exp', String(now() + 3600)]])(
    'a token signed with another key and %s is invalid, not expired',
    async (_name, exp) => {
      const user = await makeUser();
      const token = await rawToken(claims(user, exp), 'another-key-'.repeat(4));
      const res = await call('GET', '/users/profile', { token });
      expect(res.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
      const problem = await expectProblem(res, 401, 'UNAUTHENTICATED');
      expect(problem.detail).not.toMatch(/expired/i);
    },
  );

  it.each([['a string', '"2999-01-01"'], ['null', 'null'], ['1e400', '1e400'], ['an object', '{}']])(
    'a correctly signed token whose exp is %s is invalid (401, never 5xx)',
    async (_name, exp) => {
      const user = await makeUser();
      const token = await rawToken(claims(user, exp), env.JWT_SECRET);
      await expectProblem(await call('GET', '/users/profile', { token }), 401, 'UNAUTHENTICATED');
    },
  );

  it('only a correctly signed token past its exp is TOKEN_EXPIRED', async () => {
    const user = await makeUser();
    const token = await rawToken(claims(user, String(now() - 1)), env.JWT_SECRET);
    await expectProblem(await call('GET', '/users/profile', { token }), 401, 'TOKEN_EXPIRED');
    const valid = await rawToken(claims(user, String(now() + 600)), env.JWT_SECRET);
    await expectStatus(await call('GET', '/users/profile', { token: valid }), 200);
  });
});

describe('body framing and charset (issue 8 #7, #8, #9)', () => {
  it('an empty chunked body is an empty body', async () => {
    const member = await makeUser();
    const loan = await expectStatus(await send('POST', '/loans', { token: member.token, body: emptyStream() }), 201);
    await expectStatus(
      await send('POST', `/loans/${loan.id}/renew`, { token: member.token, body: emptyStream(), headers: { 'Content-Type': 'application/json' } }),
      200,
    );
    await expectStatus(await send('POST', `/loans/${loan.id}/return`, { token: member.token, body: emptyStream() }), 200);
  });

  it('a bodyless write with Content-Type text/plain is not 415: there is nothing to refuse', async () => {
    const [member, admin] = [await makeUser(), await makeAdmin()];
    const loan = await expectStatus(await send('POST', '/loans', { token: member.token, headers: { 'Content-Type': 'text/plain' } }), 201);
    await expectStatus(await send('POST', `/loans/${loan.id}/return`, { token: member.token, body: emptyStream(), headers: { 'Content-Type': 'text/plain' } }), 200);
    await expectStatus(await send('DELETE', `/loans/${loan.id}`, { token: admin.token, headers: { 'Content-Type': 'text/plain' } }), 200);
  });

  // Latin-1: é is the single byte 0xE9, not valid UTF-8.
  const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
  const bookBody = (title: string) =>
    JSON.stringify({ title, genre: 'Fiction', age_category: 'Adult', publish_date: '2001-01-01', author: 'A. Author' });

  it.each(['application/json; charset=iso-8859-1', 'application/json; charset=utf-16', 'application/json;charset="latin1"', 'application/json; charset=utf-8; charset=ascii'])(
    'a declared charset other than UTF-8 (%s) is 415',
    async (contentType) => {
      const admin = await makeAdmin();
      const body = latin1(bookBody(`Caf\u00e9 ${Date.now()}`));
      await expectProblem(await send('POST', '/books', { token: admin.token, body, headers: { 'Content-Type': contentType } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it('Latin-1 bytes in a body without a charset are malformed, never stored as mojibake', async () => {
    const admin = await makeAdmin();
    const body = latin1(bookBody(`Caf\u00e9 ${Date.now()}`));
    await expectProblem(await send('POST', '/books', { token: admin.token, body, headers: { 'Content-Type': 'application/json' } }), 400, 'MALFORMED_JSON');
  });

  it.each(['application/json ; charset=utf-8', 'application/json;', 'application/json; charset="UTF-8"', 'Application/JSON;Charset=Utf-8'])(
    'accepts the valid media type %s',
    async (contentType) => {
      const admin = await makeAdmin();
      const title = `Caf\u00e9 ${contentType} ${Date.now()}`;
      const created = await expectStatus(await send('POST', '/books', { token: admin.token, body: bookBody(title), headers: { 'Content-Type': contentType } }), 201);
      expect(created.title).toBe(title);
    },
  );
});

describe('login answer (issue 8 #9)', () => {
  it('is not stored by any cache', async () => {
    const user = await makeUser();
    const res = await call('POST', '/users/login', { body: { email: user.email, password: user.password } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('Pragma')).toBe('no-cache');
  });
});
