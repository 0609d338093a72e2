import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import app from '../src/app';
import { call, expectProblem, expectStatus, makeAdmin, makeUser, RATE_LIMIT_TEST_TIMEOUT, startOfRateWindow } from './helpers';

describe('headers stay small', () => {
  it('Link carries only validated parameters: a long unknown one is not echoed', async () => {
    const res = await call('GET', `/books?page=1&per_page=5&title=${'x'.repeat(8000)}&evil=%0d%0a`);
    await expectStatus(res, 200);
    const link = res.headers.get('Link')!;
    expect(link.length).toBeLessThan(300);
    expect(link).not.toContain('title');
    expect(link).not.toContain('evil');
    expect(link).toContain('</books?page=1&per_page=5>; rel="first"');
  });

  it('Link keeps the validated filters of search and loan lists', async () => {
    const search = await call('GET', '/books/search?title=%20dune%20&junk=1&per_page=2');
    await expectStatus(search, 200);
    expect(search.headers.get('Link')).toContain('</books/search?title=dune&page=1&per_page=2>; rel="first"');
    const member = await makeUser();
    const loans = await call('GET', '/loans?status=active&foo=bar', { token: member.token });
    await expectStatus(loans, 200);
    expect(loans.headers.get('Link')).toContain('</loans?status=active&page=1&per_page=20>; rel="first"');
  });

  it('a request target over 8,192 characters is 414 URI_TOO_LONG; 8,192 is fine', async () => {
    const long = await call('GET', `/books?q=${'a'.repeat(8192)}`);
    await expectProblem(long, 414, 'URI_TOO_LONG');
    expect(long.headers.get('X-Request-Id')).toBeTruthy();
    const target = '/books?q=';
    await expectStatus(await call('GET', `${target}${'a'.repeat(8192 - target.length)}`), 200);
    await expectProblem(await call('GET', `/books/${'1'.repeat(8200)}`), 414, 'URI_TOO_LONG');
  });
});

describe('CORS for the edge headers', () => {
  it('allows If-Match, If-None-Match, Idempotency-Key, X-D1-Bookmark and exposes ETag, X-D1-Bookmark, Idempotent-Replayed', async () => {
    const configured = { ...env, CORS_ORIGINS: 'https://app.example' };
    const preflight = await app.request(
      '/books/1',
      {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://app.example',
          'Access-Control-Request-Method': 'PATCH',
          'Access-Control-Request-Headers': 'if-match, idempotency-key',
        },
      },
      configured,
    );
    expect(preflight.status).toBe(204);
    const allowed = preflight.headers.get('Access-Control-Allow-Headers')!.toLowerCase();
    for (const header of ['if-match', 'if-none-match', 'idempotency-key', 'x-d1-bookmark']) expect(allowed).toContain(header);
    const res = await app.request('/health', { headers: { Origin: 'https://app.example' } }, configured);
    const exposed = res.headers.get('Access-Control-Expose-Headers')!.toLowerCase();
    for (const header of ['etag', 'x-d1-bookmark', 'idempotent-replayed']) expect(exposed).toContain(header);
  });
});

describe('admin write budget', () => {
  it('admins get 300 writes per 60 s, members stay at 60', { timeout: RATE_LIMIT_TEST_TIMEOUT }, async () => {
    const admin = await makeAdmin();
    const member = await makeUser();
    await startOfRateWindow();
    for (let i = 0; i < 300; i++) {
      const res = await call('PATCH', '/books/abc', { token: admin.token, body: { genre: 'x' } });
      expect(res.status).toBe(400);
    }
    const limited = await call('PATCH', '/books/abc', { token: admin.token, body: { genre: 'x' } });
    await expectProblem(limited, 429, 'RATE_LIMITED');
    for (let i = 0; i < 60; i++) expect((await call('PATCH', '/books/abc', { token: member.token, body: {} })).status).not.toBe(429);
    await expectProblem(await call('PATCH', '/books/abc', { token: member.token, body: {} }), 429, 'RATE_LIMITED');
  });
});
