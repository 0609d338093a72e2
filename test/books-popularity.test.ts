import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { POPULARITY_KEY } from '../src/routes/books/popularity.cache';
import { call, expectProblem, expectStatus, makeAdmin, makeBook, seedBook, type TestUser } from './helpers';

/** Its own file, so its database holds only the readers these tests create. */

/** `readers` returned loans holding the book, written straight into D1 (triggers keep books.readers). */
async function addReaders(bookId: number, readers: number) {
  for (let i = 0; i < readers; i++) {
    const loan = await env.DB.prepare(
      "INSERT INTO loans (user_id, loan_date, deadline, return_date) VALUES (NULL, '2026-01-01', '2026-01-15', '2026-01-10') RETURNING id",
    ).first<number>('id');
    await env.DB.prepare('INSERT INTO loan_books (loan_id, book_id, copy_id, active) VALUES (?, ?, (SELECT min(id) FROM copies WHERE book_id = ?), 0)')
      .bind(loan, bookId, bookId).run();
  }
}

async function popularity(query = '') {
  const res = await call('GET', `/books/popularity${query}`);
  return { cache: res.headers.get('X-Cache'), ranking: await expectStatus(res, 200) };
}

/** The cache is written after the response (waitUntil): wait for it before expecting a HIT. */
const cached = () => expect.poll(() => env.CACHE.get(POPULARITY_KEY)).not.toBeNull();
const summary = (ranking: { book: { id: number }; readers: number }[]) => ranking.map(({ book, readers }) => [book.id, readers]);

let admin: TestUser;
let ids: { top: number; tieLow: number; tieHigh: number; fourth: number; unread: number };

beforeAll(async () => {
  admin = await makeAdmin();
  const [top, tieLow, tieHigh, fourth, unread] = [await seedBook(), await seedBook(), await seedBook(), await seedBook(), await seedBook()];
  ids = { top, tieLow, tieHigh, fourth, unread };
  // Seeded in an order that differs from the ranking, so the ORDER BY is what sorts them.
  await addReaders(fourth, 1);
  await addReaders(tieHigh, 2);
  await addReaders(top, 3);
  await addReaders(tieLow, 2);
});

afterEach(() => vi.restoreAllMocks());

describe('GET /books/popularity', () => {
  it('ranks books with readers, most first, ties by id, at most `limit` (default 5)', async () => {
    await env.CACHE.delete(POPULARITY_KEY);
    const { ranking } = await popularity();
    expect(summary(ranking)).toEqual([
      [ids.top, 3],
      [ids.tieLow, 2],
      [ids.tieHigh, 2],
      [ids.fourth, 1],
    ]);
    expect(ranking[0].book).toEqual(await expectStatus(await call('GET', `/books/${ids.top}`), 200));
    expect(summary((await popularity('?limit=2')).ranking)).toEqual([
      [ids.top, 3],
      [ids.tieLow, 2],
    ]);
  });

  it('counts every loan that holds the book, active or returned, and shows availability', async () => {
    const id = await seedBook();
    await addReaders(id, 4);
    const active = await env.DB.prepare(
      "INSERT INTO loans (user_id, loan_date, deadline) VALUES (NULL, '2026-01-01', '2026-01-15') RETURNING id",
    ).first<number>('id');
    await env.DB.prepare('INSERT INTO loan_books (loan_id, book_id, copy_id, active) VALUES (?, ?, (SELECT min(id) FROM copies WHERE book_id = ?), 1)')
      .bind(active, id, id).run();
    await env.CACHE.delete(POPULARITY_KEY); // what the loans module does after its write
    const { ranking } = await popularity('?limit=1');
    expect(ranking).toEqual([{ book: expect.objectContaining({ id, available: false }), readers: 5 }]);
    // Deleting the loans (an admin's DELETE /loans/{id}) lowers the count again.
    await env.DB.prepare('DELETE FROM loans WHERE id IN (SELECT loan_id FROM loan_books WHERE book_id = ?)').bind(id).run();
    await env.CACHE.delete(POPULARITY_KEY);
    expect(summary((await popularity('?limit=50')).ranking).find(([book]) => book === id)).toBeUndefined();
  });

  it('answers MISS, then HIT from KV (the top 50, sliced to `limit`)', async () => {
    await env.CACHE.delete(POPULARITY_KEY);
    const miss = await popularity('?limit=50');
    expect(miss.cache).toBe('MISS');
    await cached();
    const hit = await popularity('?limit=50');
    expect(hit).toEqual({ cache: 'HIT', ranking: miss.ranking });
    expect(await popularity('?limit=1')).toEqual({ cache: 'HIT', ranking: miss.ranking.slice(0, 1) });
    expect(await env.CACHE.get(POPULARITY_KEY, 'json')).toEqual(miss.ranking);
  });

  it('recomputes after a book is created, changed or deleted through the API', async () => {
    const book = await makeBook(admin);
    await addReaders(book.id, 10); // a loan change made in SQL: no invalidation yet
    await popularity();
    await cached();

    const created = await makeBook(admin);
    const afterCreate = await popularity();
    expect(afterCreate.cache).toBe('MISS');
    expect(afterCreate.ranking[0]).toEqual({ book, readers: 10 });

    await cached();
    const retitled = `${book.title} (revised)`;
    await expectStatus(await call('PATCH', `/books/${book.id}`, { token: admin.token, body: { title: retitled } }), 200);
    const afterPatch = await popularity();
    expect(afterPatch.cache).toBe('MISS');
    expect(afterPatch.ranking[0].book.title).toBe(retitled);

    await cached();
    await expectStatus(await call('PUT', `/books/${book.id}`, { token: admin.token, body: { ...book, id: undefined, available: undefined, copies: undefined, available_copies: undefined, holds_waiting: undefined, genre: 'Epic' } }), 200);
    const afterPut = await popularity();
    expect(afterPut.cache).toBe('MISS');
    expect(afterPut.ranking[0].book.genre).toBe('Epic');

    await cached();
    await expectStatus(await call('DELETE', `/books/${book.id}`, { token: admin.token }), 200);
    const afterDelete = await popularity();
    expect(afterDelete.cache).toBe('MISS');
    expect(summary(afterDelete.ranking)[0]).toEqual([ids.top, 3]);
    await expectStatus(await call('DELETE', `/books/${created.id}`, { token: admin.token }), 200);
  });

  it('does not invalidate on a refused write', async () => {
    await popularity();
    await cached();
    await expectProblem(await call('DELETE', '/books/999999', { token: admin.token }), 404, 'NOT_FOUND');
    expect((await popularity()).cache).toBe('HIT');
  });

  it('falls back to D1 when the cached value is unreadable', async () => {
    await env.CACHE.put(POPULARITY_KEY, '{not json');
    const { cache, ranking } = await popularity();
    expect(cache).toBe('MISS');
    expect(summary(ranking)[0]).toEqual([ids.top, 3]);
  });

  it('falls back to D1 when KV reads or writes fail, never a 5xx', async () => {
    await env.CACHE.delete(POPULARITY_KEY);
    vi.spyOn(env.CACHE, 'get').mockRejectedValue(new Error('KV unavailable'));
    vi.spyOn(env.CACHE, 'put').mockRejectedValue(new Error('KV unavailable'));
    const first = await popularity();
    const second = await popularity();
    expect([first.cache, second.cache]).toEqual(['MISS', 'MISS']);
    expect(summary(second.ranking)[0]).toEqual([ids.top, 3]);
    expect(env.CACHE.get).toHaveBeenCalled();
    expect(env.CACHE.put).toHaveBeenCalled();
  });

  it('still answers when KV rejects the invalidation after a write', async () => {
    vi.spyOn(env.CACHE, 'delete').mockRejectedValue(new Error('KV unavailable'));
    const book = await makeBook(admin);
    expect(env.CACHE.delete).toHaveBeenCalled();
    vi.restoreAllMocks();
    await expectStatus(await call('DELETE', `/books/${book.id}`, { token: admin.token }), 200);
  });

  it.each(['0', '51', 'abc', '-1', '2.5', ''])('refuses limit=%s with 400', async (limit) => {
    const problem = await expectProblem(await call('GET', `/books/popularity?limit=${limit}`), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveProperty('limit');
  });

  it('is routed before /books/{id}', async () => {
    await expectStatus(await call('GET', '/books/popularity'), 200);
    await expectProblem(await call('GET', '/books/search'), 400, 'VALIDATION_FAILED');
  });
});
