import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem, expectStatus, makeAdmin, makeBook, makeUser, seedBook, type TestUser } from './helpers';

const eventsOf = (where: string, ...binds: unknown[]) =>
  env.DB.prepare(`SELECT * FROM events WHERE ${where} ORDER BY id`)
    .bind(...binds)
    .all<Record<string, unknown>>()
    .then((r) => r.results);
const eventCount = () => env.DB.prepare('SELECT count(*) AS n FROM events').first<{ n: number }>().then((r) => r!.n);

function d1Cost(res: Response) {
  const timing = res.headers.get('Server-Timing') ?? '';
  const metric = (name: string) => Number(new RegExp(`${name};desc="(\\d+)"`).exec(timing)?.[1] ?? NaN);
  return { roundTrips: metric('d1_round_trips'), rowsRead: metric('d1_rows_read') };
}

describe('events written by writes', () => {
  let admin: TestUser;
  let member: TestUser;
  beforeAll(async () => {
    [admin, member] = [await makeAdmin(), await makeUser()];
  });

  it('book.created, book.updated and book.deleted: one each, with the actor and one timestamp format', async () => {
    const book = await makeBook(admin);
    await expectStatus(await call('PATCH', `/books/${book.id}`, { token: admin.token, body: { genre: 'Poetry' } }), 200);
    const { title, genre, age_category, publish_date, author } = book;
    await expectStatus(await call('PUT', `/books/${book.id}`, { token: admin.token, body: { title, genre, age_category, publish_date, author } }), 200);
    await expectStatus(await call('DELETE', `/books/${book.id}`, { token: admin.token }), 200);
    const written = await eventsOf('book_id = ?', book.id);
    // The book's one copy is created with it and goes with it.
    expect(written.map((e) => e.action)).toEqual(['book.created', 'copy.created', 'book.updated', 'book.updated', 'copy.deleted', 'book.deleted']);
    for (const event of written) {
      expect(event).toMatchObject({ actor_id: admin.id, user_id: null, loan_id: null, hold_id: null });
      expect(event.copy_id === null).toBe(String(event.action).startsWith('book.'));
      expect(event.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    // One write, one `at`: the creation's two events, and the deletion's.
    expect(written[0]!.at).toBe(written[1]!.at);
    expect(written[4]!.at).toBe(written[5]!.at);
  });

  it('never for a refused request', async () => {
    const book = await makeBook(admin);
    const onLoan = await seedBook();
    await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [onLoan] } }), 201);
    const before = await eventCount();
    const { title, genre, age_category, publish_date, author } = book;
    await expectProblem(await call('POST', '/books', { token: admin.token, body: { title, genre, age_category, publish_date, author } }), 409, 'TITLE_TAKEN');
    await expectProblem(await call('POST', '/books', { token: member.token, body: { genre, age_category, publish_date, author, title: 'x' } }), 403, 'FORBIDDEN');
    await expectProblem(await call('PATCH', `/books/${book.id}`, { token: admin.token, body: { title: 'y', nope: 1 } }), 400, 'VALIDATION_FAILED');
    await expectProblem(await call('PATCH', '/books/99999999', { token: admin.token, body: { title: 'y' } }), 404, 'NOT_FOUND');
    const other = await makeBook(admin);
    const afterOther = await eventCount();
    await expectProblem(await call('PATCH', `/books/${other.id}`, { token: admin.token, body: { title: book.title } }), 409, 'TITLE_TAKEN');
    await expectProblem(await call('DELETE', `/books/${onLoan}`, { token: admin.token }), 409, 'BOOK_ON_ACTIVE_LOAN');
    await expectProblem(await call('DELETE', '/books/99999999', { token: admin.token }), 404, 'NOT_FOUND');
    await expectProblem(await call('PUT', '/users/99999999', { token: admin.token, body: { role: 'admin' } }), 404, 'NOT_FOUND');
    await expectProblem(await call('PATCH', '/policy', { token: member.token, body: { loan_days: 3 } }), 403, 'FORBIDDEN');
    expect(afterOther).toBe(before + 2); // book.created and its copy's copy.created
    expect(await eventCount()).toBe(afterOther);
  });

  it('user.role_changed only when the role changes; user.deleted with the acting admin, the user cleared', async () => {
    const user = await makeUser();
    await expectStatus(await call('PUT', `/users/${user.id}`, { token: admin.token, body: { role: 'member', first_name: 'Same' } }), 200);
    expect(await eventsOf("action = 'user.role_changed' AND user_id = ?", user.id)).toEqual([]);
    await expectStatus(await call('PUT', `/users/${user.id}`, { token: admin.token, body: { role: 'admin' } }), 200);
    await expectStatus(await call('PUT', `/users/${user.id}`, { token: admin.token, body: { role: 'admin' } }), 200);
    expect(await eventsOf("action = 'user.role_changed' AND user_id = ?", user.id)).toEqual([
      expect.objectContaining({ actor_id: admin.id, user_id: user.id }),
    ]);
    // The deleted user's own actions lose their actor too.
    const userAsAdmin = await expectStatus(await call('POST', '/users/login', { body: { email: user.email, password: user.password } }), 200);
    const book = await expectStatus(
      await call('POST', '/books', {
        token: userAsAdmin.token,
        body: { title: `By ${user.id}`, genre: 'g', age_category: 'a', publish_date: '2000-01-01', author: 'x' },
      }),
      201,
    );
    const ids = (await eventsOf('user_id = ? OR actor_id = ?', user.id, user.id)).map((e) => e.id);
    expect(ids.length).toBe(3);
    const before = await eventCount();
    await expectStatus(await call('DELETE', `/users/${user.id}`, { token: admin.token }), 200);
    expect(await eventCount()).toBe(before + 1);
    expect(await eventsOf('user_id = ? OR actor_id = ?', user.id, user.id)).toEqual([]);
    const kept = await eventsOf(`id IN (${ids.join(',')})`);
    expect(kept).toEqual([
      expect.objectContaining({ action: 'user.role_changed', user_id: null, actor_id: admin.id }),
      expect.objectContaining({ action: 'book.created', user_id: null, actor_id: null, book_id: book.id }),
      expect.objectContaining({ action: 'copy.created', user_id: null, actor_id: null, book_id: book.id }),
    ]);
    const [deleted] = await eventsOf("action = 'user.deleted' ORDER BY id DESC LIMIT 1 --");
    expect(deleted).toMatchObject({ actor_id: admin.id, user_id: null });
  });

  it('a member deleting themselves: user.deleted with no actor', async () => {
    const user = await makeUser();
    await expectStatus(await call('DELETE', '/users', { token: user.token }), 200);
    const [deleted] = await eventsOf("action = 'user.deleted' ORDER BY id DESC LIMIT 1 --");
    expect(deleted).toMatchObject({ actor_id: null, user_id: null });
  });

  it('are append-only in the database', async () => {
    await makeBook(admin);
    await expect(env.DB.prepare("UPDATE events SET action = 'book.deleted' WHERE id = (SELECT max(id) FROM events)").run()).rejects.toThrow(/append-only/);
    await expect(env.DB.prepare('UPDATE events SET user_id = 5 WHERE id = (SELECT max(id) FROM events)').run()).rejects.toThrow(/append-only/);
    await expect(env.DB.prepare('DELETE FROM events').run()).rejects.toThrow(/append-only/);
  });
});

describe('GET /events', () => {
  let admin: TestUser;
  let member: TestUser;
  let firstId: number;
  let bookId: number;
  beforeAll(async () => {
    [admin, member] = [await makeAdmin(), await makeUser()];
    // 600 events: 300 book.updated on one book, the rest spread over other actions and patrons.
    bookId = await seedBook();
    const start = (await env.DB.prepare('SELECT coalesce(max(id), 0) AS m FROM events').first<{ m: number }>())!.m;
    const rows: string[] = [];
    for (let i = 0; i < 600; i++) {
      const action = i % 2 ? 'book.updated' : i % 4 ? 'charge.recorded' : 'payment.recorded';
      rows.push(`('2026-01-01T00:00:00.000Z', ${admin.id}, '${action}', ${i % 2 ? 'NULL' : member.id}, ${i % 2 ? bookId : 'NULL'})`);
    }
    for (let i = 0; i < rows.length; i += 100) {
      await env.DB.prepare(`INSERT INTO events (at, actor_id, action, user_id, book_id) VALUES ${rows.slice(i, i + 100).join(',')}`).run();
    }
    firstId = start + 1;
  });

  const list = (query: string, token = admin.token) => call('GET', `/events${query}`, { token });

  it('pages ascending by id with after / next_after', async () => {
    const page = await expectStatus(await list(`?after=${firstId - 1}&limit=100`), 200);
    expect(page.items).toHaveLength(100);
    expect(page.items[0].id).toBe(firstId);
    expect(page.next_after).toBe(page.items[99].id);
    expect(page.items.map((e: { id: number }) => e.id)).toEqual([...page.items.map((e: { id: number }) => e.id)].sort((a, b) => a - b));
    expect(Object.keys(page.items[0]).sort()).toEqual(['action', 'actor_id', 'at', 'book_id', 'copy_id', 'hold_id', 'id', 'loan_id', 'user_id']);
    const next = await expectStatus(await list(`?after=${page.next_after}&limit=100`), 200);
    expect(next.items[0].id).toBe(page.next_after + 1);
    const last = await expectStatus(await list('?after=0&limit=100&action=payment.recorded&user_id=' + member.id), 200);
    expect(last.items).toHaveLength(100);
    const end = await expectStatus(await list(`?after=${last.next_after}&limit=100&action=payment.recorded&user_id=${member.id}`), 200);
    expect(end).toEqual({ items: expect.any(Array), next_after: null });
    expect(end.items).toHaveLength(50);
  });

  it('defaults to after=0 and limit=50', async () => {
    const page = await expectStatus(await list(''), 200);
    expect(page.items).toHaveLength(50);
    expect(page.items[0].id).toBe(1);
  });

  it('filters by action, user_id and book_id exactly', async () => {
    const byBook = await expectStatus(await list(`?book_id=${bookId}&limit=100`), 200);
    expect(byBook.items).toHaveLength(100);
    expect(byBook.items.every((e: { book_id: number }) => e.book_id === bookId)).toBe(true);
    // The seeded book's copy, then the 300 updates.
    expect(byBook.items.map((e: { action: string }) => e.action)).toEqual(['copy.created', ...Array(99).fill('book.updated')]);
    const byUser = await expectStatus(await list(`?user_id=${member.id}&action=charge.recorded&limit=100`), 200);
    expect(byUser.items).toHaveLength(100);
    expect(byUser.items.every((e: { user_id: number; action: string }) => e.user_id === member.id && e.action === 'charge.recorded')).toBe(true);
  });

  it.each(['?limit=0', '?limit=101', '?limit=x', '?after=-1', '?after=01', '?action=book.read', '?action=BOOK.CREATED', '?user_id=0', '?book_id=abc'])(
    '%s is 400',
    async (query) => {
      await expectProblem(await list(query), 400, 'VALIDATION_FAILED');
    },
  );

  it('is for admins: 401 without a token, 403 for a member', async () => {
    await expectProblem(await call('GET', '/events'), 401, 'UNAUTHENTICATED');
    await expectProblem(await list('', member.token), 403, 'FORBIDDEN');
  });

  it('reads O(limit) rows in one round trip, through an index per filter', async () => {
    for (const query of ['?limit=50', `?limit=50&book_id=${bookId}`, `?limit=50&user_id=${member.id}`, '?limit=50&action=payment.recorded', `?limit=10&after=${firstId + 300}`]) {
      const res = await list(query);
      await expectStatus(res, 200);
      const cost = d1Cost(res);
      expect(cost.roundTrips, query).toBe(1);
      // The page plus the caller's row.
      expect(cost.rowsRead, query).toBeLessThanOrEqual(52);
    }
    for (const [filter, index] of [
      ['action = ?', 'events_action_idx'],
      ['user_id = ?', 'events_user_idx'],
      ['book_id = ?', 'events_book_idx'],
    ]) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN SELECT * FROM events WHERE id > ? AND ${filter} ORDER BY id LIMIT 50`)
        .bind(0, 1)
        .all<{ detail: string }>();
      expect(plan.results.map((r) => r.detail).join(' | ')).toContain(index);
    }
  });
});
