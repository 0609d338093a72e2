import { env } from 'cloudflare:workers';
import { decode, sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { call, expectProblem, expectStatus, makeAdmin, makeUser, RATE_LIMIT_TEST_TIMEOUT, startOfRateWindow } from './helpers';

const b64url = (value: unknown) => btoa(JSON.stringify(value)).replaceAll('=', '').replaceAll('+', '-').replaceAll('/', '_');
const now = () => Math.floor(Date.now() / 1000);

async function expectInvalidToken(res: Response, code = 'UNAUTHENTICATED') {
  expect(res.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
  return expectProblem(res, 401, code);
}

describe('bearer tokens', () => {
  it('login issues a one-hour HS256 token with sub as a string and the stored role', async () => {
    const user = await makeUser();
    const { header, payload } = decode(user.token);
    expect(header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: String(user.id), role: 'member', ver: 0 });
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it('rejects a missing token with 401 and a Bearer challenge', async () => {
    await expectInvalidToken(await call('GET', '/users/profile'));
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['a non-Bearer scheme', null],
    ['three garbage segments', 'aaa.bbb.ccc'],
  ])('rejects %s', async (_name, token) => {
    const headers = token === null ? { Authorization: 'Basic dXNlcjpwYXNz' } : undefined;
    await expectInvalidToken(await call('GET', '/users/profile', { token: token ?? undefined, headers }));
  });

  it('rejects alg "none" and an alg-swapped token', async () => {
    const user = await makeUser();
    const claims = { sub: String(user.id), role: 'admin', iat: now(), exp: now() + 3600 };
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    await expectInvalidToken(await call('GET', '/users/profile', { token: none }));
    const hs512 = await sign(claims, env.JWT_SECRET, 'HS512');
    await expectInvalidToken(await call('GET', '/users/profile', { token: hs512 }));
  });

  it('rejects a token signed with another key', async () => {
    const user = await makeUser();
    const token = await sign({ sub: String(user.id), role: 'member', iat: now(), exp: now() + 3600 }, 'x'.repeat(48), 'HS256');
    await expectInvalidToken(await call('GET', '/users/profile', { token }));
  });

  it('rejects an expired token and says so', async () => {
    const user = await makeUser();
    const token = await sign({ sub: String(user.id), role: 'member', iat: now() - 7200, exp: now() - 3600 }, env.JWT_SECRET, 'HS256');
    const problem = await expectInvalidToken(await call('GET', '/users/profile', { token }), 'TOKEN_EXPIRED');
    expect(problem.detail).toMatch(/expired/i);
  });

  it('rejects a correctly signed token without exp or with a bad subject', async () => {
    const user = await makeUser();
    const noExp = await sign({ sub: String(user.id), role: 'member', iat: now() }, env.JWT_SECRET, 'HS256');
    await expectInvalidToken(await call('GET', '/users/profile', { token: noExp }));
    const numericSub = await sign({ sub: user.id, role: 'member', iat: now(), exp: now() + 60 }, env.JWT_SECRET, 'HS256');
    await expectInvalidToken(await call('GET', '/users/profile', { token: numericSub }));
  });

  it('uses the stored role, not the claim: a forged admin claim is 403', async () => {
    const member = await makeUser();
    const forged = await sign({ sub: String(member.id), role: 'admin', ver: 0, iat: now(), exp: now() + 3600 }, env.JWT_SECRET, 'HS256');
    await expectProblem(await call('GET', '/users', { token: forged }), 403, 'FORBIDDEN');
  });

  it('a demoted admin loses admin rights at once, a promoted member gains them', async () => {
    const admin = await makeAdmin();
    const member = await makeUser();
    await expectStatus(await call('GET', '/users', { token: admin.token }), 200);
    await expectStatus(await call('PUT', `/users/${member.id}`, { token: admin.token, body: { role: 'admin' } }), 200);
    await expectStatus(await call('GET', '/users', { token: member.token }), 200);
    await expectStatus(await call('PUT', `/users/${admin.id}`, { token: member.token, body: { role: 'member' } }), 200);
    await expectProblem(await call('GET', '/users', { token: admin.token }), 403, 'FORBIDDEN');
  });

  it("a deleted user's token is 401", async () => {
    const user = await makeUser();
    await expectStatus(await call('DELETE', '/users', { token: user.token }), 200);
    await expectInvalidToken(await call('GET', '/users/profile', { token: user.token }));
  });
});

describe('login', () => {
  it('gives the same answer for an unknown email and a wrong password', async () => {
    const user = await makeUser();
    const unknown = await expectProblem(
      await call('POST', '/users/login', { body: { email: 'nobody@example.org', password: user.password } }),
      401,
      'INVALID_CREDENTIALS',
    );
    const wrong = await expectProblem(
      await call('POST', '/users/login', { body: { email: user.email, password: 'wrong password' } }),
      401,
      'INVALID_CREDENTIALS',
    );
    const { request_id: _a, ...a } = unknown;
    const { request_id: _b, ...b } = wrong;
    expect(a).toEqual(b);
  });

  it('finds the account whatever the case of the email', async () => {
    const user = await makeUser();
    await expectStatus(await call('POST', '/users/login', { body: { email: `  ${user.email.toUpperCase()} `, password: user.password } }), 200);
  });

  it('validates the body', async () => {
    const problem = await expectProblem(await call('POST', '/users/login', { body: { email: 'not-an-email' } }), 400, 'VALIDATION_FAILED');
    expect(Object.keys(problem.errors).sort()).toEqual(['email', 'password']);
  });

  it('allows 5 attempts per minute per IP, then 429 with Retry-After', { timeout: RATE_LIMIT_TEST_TIMEOUT }, async () => {
    await startOfRateWindow();
    const ip = '203.0.113.77';
    const attempt = () => call('POST', '/users/login', { ip, body: { email: 'nobody@example.org', password: 'whatever1' } });
    for (let i = 0; i < 5; i++) await expectProblem(await attempt(), 401, 'INVALID_CREDENTIALS');
    const limited = await attempt();
    expect(limited.headers.get('Retry-After')).toBe('60');
    await expectProblem(limited, 429, 'RATE_LIMITED');
    // Another client is not affected.
    await expectProblem(
      await call('POST', '/users/login', { ip: '203.0.113.78', body: { email: 'nobody@example.org', password: 'whatever1' } }),
      401,
      'INVALID_CREDENTIALS',
    );
  });
});
