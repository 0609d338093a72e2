import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, copiesOf, expectProblem, expectStatus, makeAdmin, makeBook, makeUser, type TestUser } from './helpers';

let admin: TestUser;
beforeAll(async () => {
  admin = await makeAdmin();
});
afterEach(() => {
  vi.useRealTimers();
});

const place = (user: TestUser, book_id: number, extra: Record<string, unknown> = {}) =>
  call('POST', '/holds', { token: user.token, body: { book_id, ...extra } });
const borrow = (user: TestUser, body: Record<string, unknown>) => call('POST', '/loans', { token: user.token, body });
const checkIn = (barcode: string) => call('POST', '/circulation/check-in', { token: admin.token, body: { barcode } });
const book = async (id: number) => expectStatus(await call('GET', `/books/${id}`), 200);

describe('POST /holds', () => {
  it('is ready at once on an available copy (reserve and collect), with the copy set aside and a hold_ready notice', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-05-10T09:30:00Z'));
    // Tokens issued under the fake clock, so they are valid at its time.
    const admin = await makeAdmin();
    const patron = await makeUser();
    const { id } = await makeBook(admin, { copies: 2 });
    const [first] = await copiesOf(id);
    const res = await place(patron, id);
    const hold = await expectStatus(res, 201);
    expect(res.headers.get('Location')).toBe(`/holds/${hold.id}`);
    expect(hold).toEqual({
      id: hold.id,
      user_id: patron.id,
      book_id: id,
      status: 'ready',
      position: null,
      copy: { id: first!.id, barcode: first!.barcode },
      placed_on: '2030-05-10',
      ready_on: '2030-05-10',
      pickup_by: '2030-05-17',
      closed_on: null,
    });
    expect((await copiesOf(id))[0]!.status).toBe('on_hold_shelf');
    expect(await book(id)).toMatchObject({ copies: 2, available_copies: 1, holds_waiting: 0, available: true });
    const notices = await expectStatus(await call('GET', '/users/profile/notices', { token: patron.token }), 200);
    expect(notices).toMatchObject({ total: 1, items: [{ kind: 'hold_ready', book_id: id, hold_id: hold.id, loan_id: null, created_at: '2030-05-10T09:30:00.000Z' }] });
    expect(notices.items[0].message).toContain('2030-05-17');
    // Only the holder may take the copy on the hold shelf; another patron gets the other copy.
    const other = await makeUser();
    await expectProblem(await borrow(other, { barcodes: [first!.barcode] }), 409, 'COPY_UNAVAILABLE');
    const otherLoan = await expectStatus(await borrow(other, { book_ids: [id] }), 201);
    expect(otherLoan.copies[0].id).not.toBe(first!.id);
    // The holder borrows by book id: the copy set aside is taken and the hold fulfilled.
    const loan = await expectStatus(await borrow(patron, { book_ids: [id] }), 201);
    expect(loan.copies).toEqual([{ id: first!.id, barcode: first!.barcode, book_id: id, return_date: null }]);
    expect(await expectStatus(await call('GET', `/holds/${hold.id}`, { token: patron.token }), 200)).toMatchObject({
      status: 'fulfilled',
      closed_on: '2030-05-10',
      copy: { id: first!.id },
    });
  });

  it('queues behind others with positions, refuses HOLD_EXISTS, ALREADY_BORROWED, NO_LENDABLE_COPIES in that order', async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const { id } = await makeBook(admin, { copies: 1 });
    await expectStatus(await borrow(a, { book_ids: [id] }), 201);
    const hb = await expectStatus(await place(b, id), 201);
    const hc = await expectStatus(await place(c, id), 201);
    expect([hb.status, hb.position, hc.status, hc.position]).toEqual(['waiting', 1, 'waiting', 2]);
    expect(await book(id)).toMatchObject({ holds_waiting: 2, available_copies: 0, available: false });
    const exists = await expectProblem(await place(b, id), 409, 'HOLD_EXISTS');
    expect(exists.blockers).toEqual([{ code: 'HOLD_EXISTS', detail: expect.any(String), book_id: id }]);
    await expectProblem(await place(a, id), 409, 'ALREADY_BORROWED');
    const empty = await makeBook(admin, { copies: 0 });
    await expectProblem(await place(a, empty.id), 409, 'NO_LENDABLE_COPIES');
    const lost = await makeBook(admin, { copies: 1 });
    await expectStatus(await call('PATCH', `/copies/${(await copiesOf(lost.id))[0]!.id}`, { token: admin.token, body: { status: 'lost' } }), 200);
    await expectProblem(await place(a, lost.id), 409, 'NO_LENDABLE_COPIES');
    await expectProblem(await place(a, 999_999), 404, 'NOT_FOUND');
    await expectProblem(await place(a, id, { user_id: b.id }), 403, 'FORBIDDEN');
    await expectProblem(await place(admin, id, { user_id: 999_999 }), 404, 'NOT_FOUND');
    await expectProblem(await place(a, id, { extra: 1 }), 400, 'VALIDATION_FAILED');
    // Cancelling the first waiting hold moves the second up.
    expect(await expectStatus(await call('DELETE', `/holds/${hb.id}`, { token: b.token }), 200)).toMatchObject({ status: 'cancelled', position: null });
    await expectProblem(await call('DELETE', `/holds/${hb.id}`, { token: b.token }), 409, 'HOLD_CLOSED');
    expect(await expectStatus(await call('GET', `/holds/${hc.id}`, { token: c.token }), 200)).toMatchObject({ position: 1 });
    expect(await book(id)).toMatchObject({ holds_waiting: 1 });
  });

  it('keeps holds private: another member’s hold is 404, filtering another user is 403; admins see all', async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const { id } = await makeBook(admin, { copies: 1 });
    const hold = await expectStatus(await place(a, id), 201);
    await expectProblem(await call('GET', `/holds/${hold.id}`, { token: b.token }), 404, 'NOT_FOUND');
    await expectProblem(await call('GET', '/holds/999999', { token: b.token }), 404, 'NOT_FOUND');
    await expectProblem(await call('DELETE', `/holds/${hold.id}`, { token: b.token }), 404, 'NOT_FOUND');
    await expectProblem(await call('GET', `/holds?user_id=${a.id}`, { token: b.token }), 403, 'FORBIDDEN');
    expect((await expectStatus(await call('GET', '/holds', { token: b.token }), 200)).total).toBe(0);
    const mine = await expectStatus(await call('GET', '/holds?status=open', { token: a.token }), 200);
    expect(mine.items.map((h: { id: number }) => h.id)).toEqual([hold.id]);
    expect((await expectStatus(await call('GET', '/holds?status=waiting', { token: a.token }), 200)).total).toBe(0);
    const all = await expectStatus(await call('GET', `/holds?user_id=${a.id}&book_id=${id}`, { token: admin.token }), 200);
    expect(all.items).toHaveLength(1);
    await expectProblem(await call('GET', '/holds?status=nope', { token: a.token }), 400, 'VALIDATION_FAILED');
    await expectProblem(await call('GET', `/books/${id}/holds`, { token: a.token }), 403, 'FORBIDDEN');
    await expectProblem(await call('GET', '/books/999999/holds', { token: admin.token }), 404, 'NOT_FOUND');
  });
});

describe('the desk: a copy coming back goes to the first waiting hold', () => {
  it('check-in fills the first waiting hold; the holder borrows it; the book queue lists ready then waiting', async () => {
    const [reader, first, second] = [await makeUser(), await makeUser(), await makeUser()];
    const { id } = await makeBook(admin, { copies: 3 });
    const copies = await copiesOf(id);
    const loan = await expectStatus(await borrow(admin, { user_id: reader.id, barcodes: [copies[0]!.barcode.toLowerCase()] }), 201);
    await expectStatus(await borrow(admin, { user_id: reader.id, book_ids: [] }), 201);
    const other = await makeUser();
    await expectStatus(await borrow(admin, { user_id: other.id, barcodes: [copies[1]!.barcode] }), 201);
    await expectStatus(await borrow(admin, { user_id: second.id, barcodes: [copies[2]!.barcode] }), 201);
    // No copy free: first and a fourth patron queue.
    const fourth = await makeUser();
    const h1 = await expectStatus(await place(first, id), 201);
    const h4 = await expectStatus(await place(fourth, id), 201);
    expect([h1.status, h1.position, h4.position]).toEqual(['waiting', 1, 2]);
    const desk = await expectStatus(await checkIn(copies[0]!.barcode), 200);
    expect(desk.copy).toMatchObject({ id: copies[0]!.id, status: 'on_hold_shelf' });
    expect(desk.hold).toMatchObject({ id: h1.id, status: 'ready', copy: { id: copies[0]!.id }, position: null });
    expect(desk.loan).toMatchObject({ id: loan.id, status: 'returned', copies: [{ id: copies[0]!.id, return_date: expect.any(String) }] });
    await expectProblem(await checkIn(copies[0]!.barcode), 409, 'COPY_NOT_ON_LOAN');
    await expectProblem(await checkIn('NO-SUCH-COPY'), 404, 'NOT_FOUND');
    const queue = await expectStatus(await call('GET', `/books/${id}/holds`, { token: admin.token }), 200);
    expect(queue.items.map((h: { id: number; status: string }) => [h.id, h.status])).toEqual([
      [h1.id, 'ready'],
      [h4.id, 'waiting'],
    ]);
    expect(await book(id)).toMatchObject({ copies: 3, available_copies: 0, holds_waiting: 1 });
    const borrowed = await expectStatus(await borrow(first, { book_ids: [id] }), 201);
    expect(borrowed.copies[0].id).toBe(copies[0]!.id);
    expect(await expectStatus(await call('GET', `/holds/${h1.id}`, { token: first.token }), 200)).toMatchObject({ status: 'fulfilled' });
    // A ready hold cancelled passes its copy on; a return fills the next hold.
    await expectStatus(await call('POST', `/loans/${borrowed.id}/return`, { token: first.token }), 200);
    expect(await expectStatus(await call('GET', `/holds/${h4.id}`, { token: fourth.token }), 200)).toMatchObject({ status: 'ready', copy: { id: copies[0]!.id } });
    await expectStatus(await call('DELETE', `/holds/${h4.id}`, { token: fourth.token }), 200);
    expect((await copiesOf(id))[0]!.status).toBe('available');
    expect(await book(id)).toMatchObject({ available_copies: 1, holds_waiting: 0, available: true });
  });

  it('renewing is 409 HOLD_PENDING while someone waits and no copy is free', async () => {
    const [reader, waiter] = [await makeUser(), await makeUser()];
    const { id } = await makeBook(admin, { copies: 1 });
    const loan = await expectStatus(await borrow(reader, { book_ids: [id] }), 201);
    await expectStatus(await call('POST', `/loans/${loan.id}/renew`, { token: reader.token }), 200);
    await expectStatus(await place(waiter, id), 201);
    const problem = await expectProblem(await call('POST', `/loans/${loan.id}/renew`, { token: reader.token }), 409, 'HOLD_PENDING');
    expect(problem.blockers).toEqual([{ code: 'HOLD_PENDING', detail: expect.any(String), book_id: id }]);
    // A new copy goes straight to the waiting hold (on the hold shelf): nobody waits any more.
    const copy = await expectStatus(await call('POST', `/books/${id}/copies`, { token: admin.token, body: {} }), 201);
    expect(copy.status).toBe('on_hold_shelf');
    await expectStatus(await call('POST', `/loans/${loan.id}/renew`, { token: reader.token }), 200);
  });

  it('removes a book from a loan: its copy goes to the queue; deleting a user cancels their holds', async () => {
    const [reader, waiter] = [await makeUser(), await makeUser()];
    const { id } = await makeBook(admin, { copies: 1 });
    const loan = await expectStatus(await borrow(reader, { book_ids: [id] }), 201);
    const hold = await expectStatus(await place(waiter, id), 201);
    await expectStatus(await call('PUT', `/loans/${loan.id}/remove-book/${id}`, { token: reader.token }), 200);
    expect(await expectStatus(await call('GET', `/holds/${hold.id}`, { token: waiter.token }), 200)).toMatchObject({ status: 'ready' });
    await expectStatus(await call('DELETE', '/users', { token: waiter.token }), 200);
    const row = await env.DB.prepare('SELECT user_id, status FROM holds WHERE id = ?').bind(hold.id).first();
    expect(row).toEqual({ user_id: null, status: 'cancelled' });
    expect(await book(id)).toMatchObject({ available_copies: 1 });
  });
});

describe('DELETE /books/{id} with holds', () => {
  it('is refused while a copy is out or on the hold shelf; otherwise cancels the waiting holds, which keep the book id', async () => {
    const [reader, waiter] = [await makeUser(), await makeUser()];
    const { id } = await makeBook(admin, { copies: 1 });
    await expectStatus(await borrow(reader, { book_ids: [id] }), 201);
    const hold = await expectStatus(await place(waiter, id), 201);
    await expectProblem(await call('DELETE', `/books/${id}`, { token: admin.token }), 409, 'BOOK_ON_ACTIVE_LOAN');
    const [copy] = await copiesOf(id);
    await expectStatus(await call('PATCH', `/copies/${copy!.id}`, { token: admin.token, body: { status: 'lost' } }), 200);
    expect(await expectStatus(await call('GET', `/holds/${hold.id}`, { token: waiter.token }), 200)).toMatchObject({ status: 'waiting' });
    await expectStatus(await call('DELETE', `/books/${id}`, { token: admin.token }), 200);
    expect(await expectStatus(await call('GET', `/holds/${hold.id}`, { token: waiter.token }), 200)).toMatchObject({
      status: 'cancelled',
      book_id: id,
      closed_on: expect.any(String),
    });
  });
});

describe('races', () => {
  it('6 patrons placing holds on one available single-copy book: one ready, five waiting at positions 1–5', async () => {
    const patrons = await Promise.all(Array.from({ length: 6 }, () => makeUser()));
    const { id } = await makeBook(admin, { copies: 1 });
    const holds = await Promise.all(patrons.map(async (p) => expectStatus(await place(p, id), 201)));
    expect(holds.filter((h) => h.status === 'ready')).toHaveLength(1);
    const waiting = holds.filter((h) => h.status === 'waiting').sort((x, y) => x.id - y.id);
    const now = await Promise.all(waiting.map(async (h) => (await expectStatus(await call('GET', `/holds/${h.id}`, { token: admin.token }), 200)).position));
    expect(now).toEqual([1, 2, 3, 4, 5]);
    expect(await book(id)).toMatchObject({ holds_waiting: 5, available_copies: 0 });
  });

  it('a return racing a hold placement leaves the copy on exactly one hold or the shelf', async () => {
    for (let round = 0; round < 3; round++) {
      const [reader, waiter] = [await makeUser(), await makeUser()];
      const { id } = await makeBook(admin, { copies: 1 });
      const loan = await expectStatus(await borrow(reader, { book_ids: [id] }), 201);
      const [returned, placed] = await Promise.all([call('POST', `/loans/${loan.id}/return`, { token: reader.token }), place(waiter, id)]);
      expect(returned.status).toBe(200);
      const hold = await expectStatus(placed, 201);
      const after = await expectStatus(await call('GET', `/holds/${hold.id}`, { token: waiter.token }), 200);
      const [copy] = await copiesOf(id);
      expect(after.status).toBe('ready');
      expect(copy!.status).toBe('on_hold_shelf');
      const ready = await env.DB.prepare("SELECT count(*) AS n FROM holds WHERE copy_id = ? AND status = 'ready'").bind(copy!.id).first('n');
      expect(ready).toBe(1);
      expect(await book(id)).toMatchObject({ available_copies: 0, holds_waiting: 0 });
    }
  });
});

describe('derived counts', () => {
  it('keep every book’s counts and the catalogue counters equal to the rows, after all of the above', async () => {
    const drift = await env.DB.prepare(
      `SELECT count(*) AS n FROM books b WHERE
         b.copies <> (SELECT count(*) FROM copies c WHERE c.book_id = b.id AND c.status <> 'withdrawn')
         OR b.available_copies <> (SELECT count(*) FROM copies c WHERE c.book_id = b.id AND c.status = 'available')
         OR b.holds_waiting <> (SELECT count(*) FROM holds h WHERE h.book_id = b.id AND h.status = 'waiting')`,
    ).first('n');
    expect(drift).toBe(0);
    const counters = await env.DB.prepare(
      `SELECT (SELECT value FROM counters WHERE name = 'copies') - (SELECT count(*) FROM copies WHERE status <> 'withdrawn') AS copies,
         (SELECT value FROM counters WHERE name = 'available_copies') - (SELECT count(*) FROM copies WHERE status = 'available') AS available,
         (SELECT value FROM counters WHERE name = 'holds_waiting') - (SELECT count(*) FROM holds WHERE status = 'waiting') AS waiting,
         (SELECT value FROM counters WHERE name = 'holds_ready') - (SELECT count(*) FROM holds WHERE status = 'ready') AS ready`,
    ).first();
    expect(counters).toEqual({ copies: 0, available: 0, waiting: 0, ready: 0 });
    // Every copy on the hold shelf belongs to exactly one ready hold, and the other way round.
    const shelf = await env.DB.prepare(
      `SELECT (SELECT count(*) FROM copies WHERE status = 'on_hold_shelf') AS shelf, (SELECT count(*) FROM holds WHERE status = 'ready') AS ready,
         (SELECT count(*) FROM holds h JOIN copies c ON c.id = h.copy_id WHERE h.status = 'ready' AND c.status = 'on_hold_shelf') AS matched`,
    ).first<{ shelf: number; ready: number; matched: number }>();
    expect(shelf!.shelf).toBe(shelf!.ready);
    expect(shelf!.matched).toBe(shelf!.ready);
  });
});
