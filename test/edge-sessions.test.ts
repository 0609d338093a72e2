import { describe, expect, it } from 'vitest';
import { clientBookmark } from '../src/middleware/db';
import { call, expectProblem, expectStatus, makeAdmin, makeBook } from './helpers';

const BOOKMARK_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

describe('D1 sessions and X-D1-Bookmark', () => {
  it('returns a bookmark on reads, writes and refusals that reached D1', async () => {
    const admin = await makeAdmin();
    const created = await call('POST', '/books', {
      token: admin.token,
      body: { title: `Bookmark ${Date.now()}`, genre: 'g', age_category: 'a', publish_date: '2000-01-01', author: 'x' },
    });
    expect(created.headers.get('X-D1-Bookmark')).toMatch(BOOKMARK_SHAPE);
    const book = await expectStatus(created, 201);
    const read = await call('GET', `/books/${book.id}`);
    expect(read.headers.get('X-D1-Bookmark')).toMatch(BOOKMARK_SHAPE);
    const missing = await call('GET', '/books/999999999');
    expect(missing.headers.get('X-D1-Bookmark')).toMatch(BOOKMARK_SHAPE);
    await expectProblem(missing, 404, 'NOT_FOUND');
  });

  it('sends no bookmark when the request never reached D1', async () => {
    const res = await call('GET', '/books/abc');
    await expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.headers.get('X-D1-Bookmark')).toBeNull();
  });

  it('serves a read from the bookmark of a write (read your own writes)', async () => {
    const admin = await makeAdmin();
    const created = await call('POST', '/books', {
      token: admin.token,
      body: { title: `Own write ${Date.now()}`, genre: 'g', age_category: 'a', publish_date: '2000-01-01', author: 'x' },
    });
    const bookmark = created.headers.get('X-D1-Bookmark')!;
    const book = await expectStatus(created, 201);
    const read = await call('GET', `/books/${book.id}`, { headers: { 'X-D1-Bookmark': bookmark } });
    expect((await expectStatus(read, 200)).title).toBe(book.title);
    // The session moves on from the client's bookmark, never back.
    expect(read.headers.get('X-D1-Bookmark')! >= bookmark).toBe(true);
  });

  it.each(['garbage', 'first-primary', '00000000-00000000-00000000', 'x'.repeat(5000), '../../etc', '00000085-0000024c-00004c6d-8E61'])(
    'ignores a malformed bookmark (%s) and starts a fresh session',
    async (bookmark) => {
      const res = await call('GET', '/books?per_page=1', { headers: { 'X-D1-Bookmark': bookmark } });
      await expectStatus(res, 200);
      expect(res.headers.get('X-D1-Bookmark')).toMatch(BOOKMARK_SHAPE);
    },
  );

  it('accepts only the bookmark shape', () => {
    expect(clientBookmark(' 00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683 ')).toBe(
      '00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683',
    );
    expect(clientBookmark('first-unconstrained')).toBeUndefined();
    expect(clientBookmark(undefined)).toBeUndefined();
  });

  it('keeps counting D1 round trips over the session', async () => {
    const admin = await makeAdmin();
    const book = await makeBook(admin);
    const res = await call('GET', `/books/${book.id}`);
    expect(res.headers.get('Server-Timing')).toContain('d1_round_trips;desc="1"');
  });
});
