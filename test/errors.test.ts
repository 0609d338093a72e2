import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import app from '../src/app';
import { call, expectProblem, expectStatus, makeAdmin, makeUser, RATE_LIMIT_TEST_TIMEOUT, startOfRateWindow } from './helpers';

describe('problem+json for every error', () => {
  it('unknown route → 404', async () => {
    await expectProblem(await call('GET', '/nope'), 404, 'NOT_FOUND');
  });

  it('known path, wrong method → 405 with Allow', async () => {
    const res = await call('PATCH', '/users/profile');
    expect(res.headers.get('Allow')).toBe('GET, HEAD, PUT');
    await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
    expect((await call('PUT', '/health')).headers.get('Allow')).toBe('GET, HEAD');
  });

  it('non-JSON body → 415', async () => {
    await expectProblem(
      await call('POST', '/users', { body: 'first_name=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await expectProblem(await call('POST', '/users/login', { body: '{}', headers: { 'Content-Type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    await expectProblem(await call('POST', '/users', { body: '{"first_name": ' }), 400, 'MALFORMED_JSON');
  });

  it('a body over 64 KiB → 413, whether or not Content-Length says so', async () => {
    const big = JSON.stringify({ first_name: 'x'.repeat(70_000) });
    await expectProblem(await call('POST', '/users', { body: big }), 413, 'PAYLOAD_TOO_LARGE');
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const res = await app.request(
      '/users',
      { method: 'POST', body: stream, headers: { 'Content-Type': 'application/json' }, duplex: 'half' } as RequestInit,
      env,
    );
    await expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a JSON body of the wrong shape → 400', async () => {
    const problem = await expectProblem(await call('POST', '/users/login', { body: [1, 2] }), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveProperty('body');
    await expectProblem(await call('POST', '/users/login', { body: 'null' }), 400, 'VALIDATION_FAILED');
  });

  it('carries type, title, status, code, detail, instance and request id', async () => {
    const res = await call('GET', '/nope', { headers: { 'X-Request-Id': 'trace-123' } });
    const problem = await expectProblem(res, 404, 'NOT_FOUND');
    expect(problem).toMatchObject({ type: 'tag:library-api,2026:problem:not-found', title: 'Not Found', instance: '/nope', request_id: 'trace-123' });
  });

  it('never answers 5xx to odd input', async () => {
    const user = await makeUser();
    const odd: [string, string, unknown][] = [
      ['POST', '/users', { first_name: { $ne: 1 }, last_name: [], email: null, password: 1 }],
      ['POST', '/users', '"just a string"'],
      ['POST', '/users/login', { email: 'a@b.co', password: '\u0000'.repeat(10) }],
      ['PUT', '/users/profile', { DOB: '0000-00-00' }],
      ['PUT', '/users/profile', { email: "x'; DROP TABLE users; --@example.org" }],
      ['GET', '/users/%E0%A4%A', undefined],
      ['GET', '/users/1e3', undefined],
    ];
    for (const [method, path, body] of odd) {
      const res = await call(method, path, { token: user.token, body });
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
    }
  });
});

describe('cross-cutting headers', () => {
  it('echoes a well-formed X-Request-Id and replaces a bad one', async () => {
    expect((await call('GET', '/health', { headers: { 'X-Request-Id': 'abc.DEF_1-2=3' } })).headers.get('X-Request-Id')).toBe(
      'abc.DEF_1-2=3',
    );
    for (const bad of ['has space', 'x'.repeat(256), 'semi;colon']) {
      const id = (await call('GET', '/health', { headers: { 'X-Request-Id': bad } })).headers.get('X-Request-Id');
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('sets secure headers and Server-Timing with D1 cost', async () => {
    const res = await call('GET', '/health');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('Server-Timing')).toMatch(/d1_round_trips;desc="1".*d1_rows_read;desc="\d+"/);
  });

  it('sends no CORS headers by default', async () => {
    const res = await call('GET', '/health', { headers: { Origin: 'https://evil.example' } });
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });

  it('allows only the configured origins', async () => {
    const configured = { ...env, CORS_ORIGINS: 'https://app.example, https://admin.example' };
    const allowed = await app.request('/health', { headers: { Origin: 'https://admin.example' } }, configured);
    expect(allowed.headers.get('Access-Control-Allow-Origin')).toBe('https://admin.example');
    expect(allowed.headers.get('Access-Control-Expose-Headers')).toContain('X-Total-Count');
    const other = await app.request('/health', { headers: { Origin: 'https://evil.example' } }, configured);
    expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull();
    const preflight = await app.request(
      '/users/profile',
      { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'PUT' } },
      configured,
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Methods')).toContain('PUT');
  });
});

describe('configuration', () => {
  it.each([undefined, 'too-short'])('fails closed with 503 NOT_CONFIGURED when JWT_SECRET is %s', async (secret) => {
    const unconfigured = { ...env, JWT_SECRET: secret };
    const login = await app.request(
      '/users/login',
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'a@example.org', password: 'whatever1' }) },
      unconfigured,
    );
    await expectProblem(login, 503, 'NOT_CONFIGURED');
    const user = await makeUser();
    const profile = await app.request('/users/profile', { headers: { Authorization: `Bearer ${user.token}` } }, unconfigured);
    await expectProblem(profile, 503, 'NOT_CONFIGURED');
    // Routes that need no secret keep working.
    await expectStatus(await app.request('/health', {}, unconfigured), 200);
  });
});

describe('write rate limit', () => {
  it('allows 60 authenticated writes per minute per user, from any IP, then 429', { timeout: RATE_LIMIT_TEST_TIMEOUT }, async () => {
    const user = await makeUser();
    await startOfRateWindow();
    for (let i = 0; i < 60; i++) {
      await expectStatus(await call('PUT', '/users/profile', { token: user.token, body: { address: `${i} Main St` } }), 200);
    }
    const limited = await call('PUT', '/users/profile', { token: user.token, body: { address: 'one more' } });
    expect(limited.headers.get('Retry-After')).toBe('60');
    await expectProblem(limited, 429, 'RATE_LIMITED');
    // Reads by the same user count against the per-IP read limit instead.
    await expectStatus(await call('GET', '/users/profile', { token: user.token }), 200);
  });
});

describe('405 next to parameterised routes', () => {
  it('offers only the static route’s methods at a static path', async () => {
    const res = await call('POST', '/books/search');
    expect(res.headers.get('Allow')).toBe('GET, HEAD');
    await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
  });
});

describe('regressions from the contract review', () => {
  it.each(['toString', 'valueOf', 'hasOwnProperty', 'constructor', '__proto__'])(
    'an unknown field named %s is a 400, not a 500',
    async (field) => {
      const body = `{"email":"a@example.org","password":"whatever1","${field}":1}`;
      const problem = await expectProblem(await call('POST', '/users/login', { body }), 400, 'VALIDATION_FAILED');
      expect(problem.errors[field]).toEqual(['Unknown field.']);
    },
  );

  it.each([
    ['GET', '/users/login', 'POST'],
    ['PUT', '/users/login', 'POST'],
    ['DELETE', '/users/profile', 'GET, HEAD, PUT'],
    ['PUT', '/books/search', 'GET, HEAD'],
    ['DELETE', '/books/popularity', 'GET, HEAD'],
  ])('%s %s is 405 (Allow: %s), not a request for an id', async (method, path, allow) => {
    const user = await makeUser();
    const res = await call(method, path, { token: user.token });
    expect(res.headers.get('Allow')).toBe(allow);
    await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
  });

  it('a trailing slash is an unknown route, not a self-contradicting 405', async () => {
    await expectProblem(await call('GET', '/books/'), 404, 'NOT_FOUND');
    await expectProblem(await call('GET', '/health/'), 404, 'NOT_FOUND');
  });

  it('an empty JSON body reads as {}', async () => {
    const user = await makeUser();
    const headers = { 'Content-Type': 'application/json', 'Content-Length': '0' };
    const problem = await expectProblem(await call('POST', '/users/login', { headers, body: '' }), 400, 'VALIDATION_FAILED');
    expect(Object.keys(problem.errors).sort()).toEqual(['email', 'password']);
    await expectStatus(await call('PUT', '/users/profile', { token: user.token, headers, body: '' }), 200);
  });

  it('a write that takes no body refuses fields in one', async () => {
    const user = await makeUser();
    const problem = await expectProblem(await call('DELETE', '/users', { token: user.token, body: { force: true } }), 400, 'VALIDATION_FAILED');
    expect(problem.errors.force).toEqual(['Unknown field.']);
    await expectStatus(await call('DELETE', '/users', { token: user.token, body: {} }), 200);
  });

  it('accepts the Bearer scheme in any case', async () => {
    const user = await makeUser();
    await expectStatus(await call('GET', '/users/profile', { headers: { Authorization: `bearer ${user.token}` } }), 200);
  });

  it('accepts any page a client can name; past the end is an empty page', async () => {
    const admin = await makeAdmin();
    const page = await expectStatus(await call('GET', '/users?page=1000001', { token: admin.token }), 200);
    expect(page).toMatchObject({ items: [], page: 1000001, has_next: false });
    await expectProblem(await call('GET', '/users?page=0007', { token: admin.token }), 400, 'VALIDATION_FAILED');
  });

  it.each(['\u202Egnp.exe', 'line\u2028break'])('rejects disguising characters in text fields (%j)', async (name) => {
    const problem = await expectProblem(
      await call('POST', '/users', { body: { first_name: name, last_name: 'X', email: 'bidi@example.org', password: 'whatever1' } }),
      400,
      'VALIDATION_FAILED',
    );
    expect(problem.errors).toHaveProperty('first_name');
  });
});

describe('logs', () => {
  it('write one JSON line per request with no password, token or hash in any line', async () => {
    const lines: string[] = [];
    const spies = (['log', 'info', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
    );
    try {
      const user = await makeUser();
      await call('GET', `/users/profile?email=${encodeURIComponent(user.email)}`, { token: user.token });
      await call('POST', '/users/login', { body: { email: user.email, password: 'a wrong password' } });
      const secrets = [user.password, user.token, 'a wrong password', 'pbkdf2-sha256$', user.email];
      expect(lines.length).toBeGreaterThanOrEqual(4);
      for (const line of lines) {
        for (const secret of secrets) expect(line).not.toContain(secret);
        expect(Object.keys(JSON.parse(line))).toEqual(expect.arrayContaining(['id', 'method', 'path', 'status', 'ms']));
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe('bodies sent to no route', () => {
  it('are not inspected: the answer is the 404 or 405', async () => {
    const text = { 'Content-Type': 'text/plain' };
    const res = await call('POST', '/health', { body: 'x', headers: text });
    expect(res.headers.get('Allow')).toBe('GET, HEAD');
    await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
    await expectProblem(await call('POST', '/nope', { body: 'x', headers: text }), 404, 'NOT_FOUND');
    await expectProblem(await call('DELETE', '/books/search', { body: JSON.stringify({ x: 'y'.repeat(70_000) }) }), 405, 'METHOD_NOT_ALLOWED');
    await expectProblem(await call('PATCH', '/users', { body: '{' }), 405, 'METHOD_NOT_ALLOWED');
  });
});
