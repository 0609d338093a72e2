import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, expectProblem, expectStatus, makeAdmin, makeBook, makeUser } from './helpers';

const roundTrips = (res: Response) => Number(/d1_round_trips;desc="(\d+)"/.exec(res.headers.get('Server-Timing') ?? '')?.[1]);
const rowsRead = (res: Response) => Number(/d1_rows_read;desc="(\d+)"/.exec(res.headers.get('Server-Timing') ?? '')?.[1]);

describe('ETag and If-None-Match on books', () => {
  it('answers 304 with ETag, X-Request-Id, X-D1-Bookmark and no body; costs no more rows than the 200', async () => {
    const admin = await makeAdmin();
    const book = await makeBook(admin);
    const first = await call('GET', `/books/${book.id}`);
    const tag = first.headers.get('ETag')!;
    expect(tag).toMatch(/^"\d+"$/);
    await expectStatus(first, 200);
    for (const header of [tag, `W/${tag}`, `"999", ${tag}`, '*']) {
      const res = await call('GET', `/books/${book.id}`, { headers: { 'If-None-Match': header, 'X-Request-Id': 'cond-1' } });
      expect(res.status, header).toBe(304);
      expect(await res.text()).toBe('');
      expect(res.headers.get('ETag')).toBe(tag);
      expect(res.headers.get('X-Request-Id')).toBe('cond-1');
      expect(res.headers.get('X-D1-Bookmark')).toBeTruthy();
      expect(rowsRead(res)).toBeLessThanOrEqual(rowsRead(first));
      expect(roundTrips(res)).toBe(1);
    }
    const stale = await call('GET', `/books/${book.id}`, { headers: { 'If-None-Match': '"0"' } });
    await expectStatus(stale, 200);
  });

  it('raises the version on every change the answer shows, availability included', async () => {
    const admin = await makeAdmin();
    const member = await makeUser();
    const book = await makeBook(admin);
    const tagOf = async () => (await call('GET', `/books/${book.id}`)).headers.get('ETag');
    const v1 = await tagOf();
    const patched = await call('PATCH', `/books/${book.id}`, { token: admin.token, body: { author: 'Someone Else' } });
    const v2 = patched.headers.get('ETag');
    await expectStatus(patched, 200);
    expect(v2).not.toBe(v1);
    expect(await tagOf()).toBe(v2);
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [book.id] } }), 201);
    const v3 = await tagOf();
    expect(v3).not.toBe(v2);
    await expectStatus(await call('POST', `/loans/${loan.id}/return`, { token: member.token }), 200);
    const v4 = await tagOf();
    expect(v4).not.toBe(v3);
    expect(new Set([v1, v2, v3, v4]).size).toBe(4);
  });
});

describe('If-Match on books', () => {
  it('stale If-Match is 412 and leaves the row unchanged; a current one succeeds with the new ETag', async () => {
    const admin = await makeAdmin();
    const book = await makeBook(admin);
    const tag = (await call('GET', `/books/${book.id}`)).headers.get('ETag')!;
    const ok = await call('PATCH', `/books/${book.id}`, { token: admin.token, body: { genre: 'Poetry' }, headers: { 'If-Match': tag } });
    const body = await expectStatus(ok, 200);
    expect(body.genre).toBe('Poetry');
    const newTag = ok.headers.get('ETag');
    expect(newTag).not.toBe(tag);
    const stale = await call('PUT', `/books/${book.id}`, {
      token: admin.token,
      body: { ...book, id: undefined, available: undefined, copies: undefined, available_copies: undefined, holds_waiting: undefined, genre: 'Drama' },
      headers: { 'If-Match': tag },
    });
    await expectProblem(stale, 412, 'PRECONDITION_FAILED');
    const row = await env.DB.prepare('SELECT genre, version FROM books WHERE id = ?').bind(book.id).first<{ genre: string; version: number }>();
    expect(row!.genre).toBe('Poetry');
    expect(`"${row!.version}"`).toBe(newTag);
  });

  it('a weak tag never matches; * and lists do', async () => {
    const admin = await makeAdmin();
    const book = await makeBook(admin);
    const tag = (await call('GET', `/books/${book.id}`)).headers.get('ETag')!;
    await expectProblem(await call('PATCH', `/books/${book.id}`, { token: admin.token, body: { genre: 'A' }, headers: { 'If-Match': `W/${tag}` } }), 412, 'PRECONDITION_FAILED');
    await expectProblem(await call('PATCH', `/books/${book.id}`, { token: admin.token, body: { genre: 'A' }, headers: { 'If-Match': 'garbage' } }), 412, 'PRECONDITION_FAILED');
    const listed = await call('PATCH', `/books/${book.id}`, { token: admin.token, body: { genre: 'B' }, headers: { 'If-Match': `"12345", ${tag}` } });
    await expectStatus(listed, 200);
    await expectStatus(await call('PATCH', `/books/${book.id}`, { token: admin.token, body: { genre: 'C' }, headers: { 'If-Match': '*' } }), 200);
  });

  it('an unknown id is still 404, before 412', async () => {
    const admin = await makeAdmin();
    await expectProblem(await call('PATCH', '/books/987654321', { token: admin.token, body: { genre: 'A' }, headers: { 'If-Match': '"1"' } }), 404, 'NOT_FOUND');
    await expectProblem(await call('DELETE', '/books/987654321', { token: admin.token, headers: { 'If-Match': '"1"' } }), 404, 'NOT_FOUND');
  });

  it('two racing updates with one ETag: exactly one 200, one 412', async () => {
    const admin = await makeAdmin();
    const book = await makeBook(admin);
    const tag = (await call('GET', `/books/${book.id}`)).headers.get('ETag')!;
    const results = await Promise.all(
      ['First', 'Second', 'Third', 'Fourth'].map((author) =>
        call('PATCH', `/books/${book.id}`, { token: admin.token, body: { author }, headers: { 'If-Match': tag } }),
      ),
    );
    const statuses = results.map((res) => res.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412]);
  });

  it('DELETE with a stale If-Match is 412 and deletes nothing; with the current one it deletes', async () => {
    const admin = await makeAdmin();
    const book = await makeBook(admin);
    const tag = (await call('GET', `/books/${book.id}`)).headers.get('ETag')!;
    await expectProblem(await call('DELETE', `/books/${book.id}`, { token: admin.token, headers: { 'If-Match': '"999"' } }), 412, 'PRECONDITION_FAILED');
    await expectStatus(await call('GET', `/books/${book.id}`), 200);
    await expectStatus(await call('DELETE', `/books/${book.id}`, { token: admin.token, headers: { 'If-Match': tag } }), 200);
  });
});
