import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDailyJob } from '../src/jobs/daily';
import { call, copiesOf, expectProblem, expectStatus, makeAdmin, makeBook, makeUser, seedBook, type TestUser } from './helpers';

/**
 * The events of copies, loans and holds (contract, "Events"): one per subject a write changes, in
 * the same write, all with that write's actor and `at`; none for a refused request. Each write is
 * observed as the events appended after the last id seen before it.
 */

type Event = { id: number; at: string; actor_id: number | null; action: string; user_id: number | null; book_id: number | null; copy_id: number | null; loan_id: number | null; hold_id: number | null };

const lastEventId = () => env.DB.prepare('SELECT coalesce(max(id), 0) AS id FROM events').first<{ id: number }>().then((r) => r!.id);

/** Runs `write` and returns the events it appended, checking they share one actor and one `at`. */
async function eventsOf(write: () => Promise<unknown>, actor: number | null): Promise<Event[]> {
  const before = await lastEventId();
  await write();
  const { results } = await env.DB.prepare('SELECT * FROM events WHERE id > ? ORDER BY id').bind(before).all<Event>();
  for (const event of results) expect(event.actor_id, event.action).toBe(actor);
  expect(new Set(results.map((e) => e.at)).size, 'one `at` per write').toBeLessThanOrEqual(1);
  return results;
}

const actions = (events: Event[]) => events.map((e) => e.action);
const ok = async (res: Promise<Response>, status = 200) => expectStatus(await res, status);

let admin: TestUser;
let member: TestUser;
let other: TestUser;
beforeAll(async () => {
  [admin, member, other] = [await makeAdmin(), await makeUser(), await makeUser()];
});

afterEach(() => {
  vi.useRealTimers();
});

describe('copies', () => {
  it('POST /books with 3 copies: book.created and 3 × copy.created', async () => {
    let book: { id: number } | undefined;
    const events = await eventsOf(async () => {
      book = await makeBook(admin, { copies: 3 });
    }, admin.id);
    const copies = await copiesOf(book!.id);
    expect(events).toMatchObject([
      { action: 'book.created', book_id: book!.id, copy_id: null },
      ...copies.map((c) => ({ action: 'copy.created', book_id: book!.id, copy_id: c.id, user_id: null, loan_id: null, hold_id: null })),
    ]);
  });

  it('POST /books/{id}/copies, PATCH and DELETE /copies/{id}: copy.created, copy.updated, copy.deleted', async () => {
    const bookId = await seedBook({}, 0);
    let copy: { id: number } | undefined;
    expect(await eventsOf(async () => (copy = await ok(call('POST', `/books/${bookId}/copies`, { token: admin.token, body: { location: 'A1' } }), 201)), admin.id)).toMatchObject([
      { action: 'copy.created', book_id: bookId },
    ]);
    expect(await eventsOf(() => ok(call('PATCH', `/copies/${copy!.id}`, { token: admin.token, body: { location: 'B2' } })), admin.id)).toMatchObject([
      { action: 'copy.updated', book_id: bookId, copy_id: copy!.id },
    ]);
    expect(await eventsOf(() => ok(call('DELETE', `/copies/${copy!.id}`, { token: admin.token })), admin.id)).toMatchObject([
      { action: 'copy.deleted', book_id: bookId, copy_id: copy!.id },
    ]);
  });

  it('DELETE /books/{id}: hold.cancelled per waiting hold, copy.deleted per copy, book.deleted', async () => {
    const bookId = await seedBook({}, 1);
    const [copy] = await copiesOf(bookId);
    await ok(call('POST', '/loans', { token: other.token, body: { book_ids: [bookId] } }), 201);
    const hold = await ok(call('POST', '/holds', { token: member.token, body: { book_id: bookId } }), 201);
    await ok(call('PATCH', `/copies/${copy!.id}`, { token: admin.token, body: { status: 'lost' } }));
    expect(await eventsOf(() => ok(call('DELETE', `/books/${bookId}`, { token: admin.token })), admin.id)).toMatchObject([
      { action: 'hold.cancelled', hold_id: hold.id, user_id: member.id, book_id: bookId },
      { action: 'copy.deleted', copy_id: copy!.id, book_id: bookId },
      { action: 'book.deleted', book_id: bookId },
    ]);
  });

  it('a copy put back on the shelf by PATCH goes to the first waiting hold: copy.updated, hold.ready', async () => {
    const bookId = await seedBook({}, 1);
    const [copy] = await copiesOf(bookId);
    await ok(call('PATCH', `/copies/${copy!.id}`, { token: admin.token, body: { status: 'withdrawn' } }));
    await ok(call('POST', `/books/${bookId}/copies`, { token: admin.token, body: {} }), 201);
    const borrowed = await ok(call('POST', '/loans', { token: other.token, body: { book_ids: [bookId] } }), 201);
    const hold = await ok(call('POST', '/holds', { token: member.token, body: { book_id: bookId } }), 201);
    expect(hold.status).toBe('waiting');
    const events = await eventsOf(() => ok(call('PATCH', `/copies/${copy!.id}`, { token: admin.token, body: { status: 'available' } })), admin.id);
    expect(events).toMatchObject([
      { action: 'copy.updated', copy_id: copy!.id },
      { action: 'hold.ready', hold_id: hold.id, user_id: member.id, copy_id: copy!.id, book_id: bookId },
    ]);
    void borrowed;
  });
});

describe('loans', () => {
  it('checkout by barcode: loan.opened; check-in that ends the loan and fills a hold: copy.checked_in, loan.returned, hold.ready', async () => {
    const bookId = await seedBook({}, 1);
    const [copy] = await copiesOf(bookId);
    let loan: { id: number } | undefined;
    expect(await eventsOf(async () => (loan = await ok(call('POST', '/loans', { token: admin.token, body: { user_id: other.id, barcodes: [copy!.barcode] } }), 201)), admin.id)).toMatchObject([
      { action: 'loan.opened', user_id: other.id, loan_id: loan?.id ?? expect.any(Number), book_id: null, copy_id: null },
    ]);
    const hold = await ok(call('POST', '/holds', { token: member.token, body: { book_id: bookId } }), 201);
    const events = await eventsOf(() => ok(call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: copy!.barcode } })), admin.id);
    expect(events).toMatchObject([
      { action: 'copy.checked_in', user_id: other.id, book_id: bookId, copy_id: copy!.id, loan_id: loan!.id },
      { action: 'loan.returned', user_id: other.id, loan_id: loan!.id },
      { action: 'hold.ready', user_id: member.id, book_id: bookId, copy_id: copy!.id, hold_id: hold.id },
    ]);
    // The holder borrows the copy from the hold shelf: loan.opened and hold.fulfilled.
    const pickup = await eventsOf(() => ok(call('POST', '/loans', { token: member.token, body: { book_ids: [bookId] } }), 201), member.id);
    expect(actions(pickup)).toEqual(['loan.opened', 'hold.fulfilled']);
    expect(pickup[1]).toMatchObject({ user_id: member.id, hold_id: hold.id, copy_id: copy!.id });
  });

  it('add-book, remove-book, renew, return and delete: loan.copy_added, loan.copy_removed, loan.renewed, copy.checked_in per copy, loan.returned, loan.deleted', async () => {
    const [a, b, c] = [await seedBook({}, 1), await seedBook({}, 1), await seedBook({}, 1)];
    const [copyA, copyB, copyC] = [(await copiesOf(a))[0]!, (await copiesOf(b))[0]!, (await copiesOf(c))[0]!];
    const loan = await ok(call('POST', '/loans', { token: member.token, body: { book_ids: [a] } }), 201);
    expect(await eventsOf(() => ok(call('PUT', `/loans/${loan.id}/add-book/${b}`, { token: member.token })), member.id)).toMatchObject([
      { action: 'loan.copy_added', user_id: member.id, loan_id: loan.id, book_id: b, copy_id: copyB.id },
    ]);
    expect(await eventsOf(() => ok(call('PUT', `/loans/${loan.id}/add-copy/${copyC.barcode}`, { token: member.token })), member.id)).toMatchObject([
      { action: 'loan.copy_added', loan_id: loan.id, book_id: c, copy_id: copyC.id },
    ]);
    expect(await eventsOf(() => ok(call('PUT', `/loans/${loan.id}/remove-book/${c}`, { token: member.token })), member.id)).toMatchObject([
      { action: 'loan.copy_removed', user_id: member.id, loan_id: loan.id, book_id: c, copy_id: copyC.id },
    ]);
    expect(await eventsOf(() => ok(call('POST', `/loans/${loan.id}/renew`, { token: member.token })), member.id)).toMatchObject([
      { action: 'loan.renewed', user_id: member.id, loan_id: loan.id, book_id: null },
    ]);
    const returned = await eventsOf(() => ok(call('POST', `/loans/${loan.id}/return`, { token: member.token })), member.id);
    expect(returned).toMatchObject([
      { action: 'loan.returned', user_id: member.id, loan_id: loan.id },
      { action: 'copy.checked_in', loan_id: loan.id, copy_id: copyA.id, book_id: a, user_id: member.id },
      { action: 'copy.checked_in', loan_id: loan.id, copy_id: copyB.id, book_id: b, user_id: member.id },
    ]);
    expect(returned).toHaveLength(3);
    expect(await eventsOf(() => ok(call('DELETE', `/loans/${loan.id}`, { token: admin.token })), admin.id)).toMatchObject([
      { action: 'loan.deleted', user_id: member.id, loan_id: loan.id },
    ]);
  });

  it('a copy out marked lost: copy.updated and the loan it ends, no check-in; found at the desk: copy.checked_in', async () => {
    const bookId = await seedBook({}, 1);
    const [copy] = await copiesOf(bookId);
    const loan = await ok(call('POST', '/loans', { token: other.token, body: { book_ids: [bookId] } }), 201);
    expect(actions(await eventsOf(() => ok(call('PATCH', `/copies/${copy!.id}`, { token: admin.token, body: { status: 'lost' } })), admin.id))).toEqual([
      'copy.updated',
      'loan.returned',
    ]);
    const found = await eventsOf(() => ok(call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: copy!.barcode } })), admin.id);
    expect(found).toMatchObject([{ action: 'copy.checked_in', copy_id: copy!.id, book_id: bookId, loan_id: null, user_id: null }]);
    void loan;
  });
});

describe('holds', () => {
  it('a hold on an available copy: hold.placed then hold.ready; on a copy out: hold.placed only', async () => {
    const bookId = await seedBook({}, 1);
    const [copy] = await copiesOf(bookId);
    let ready: { id: number } | undefined;
    const events = await eventsOf(async () => (ready = await ok(call('POST', '/holds', { token: member.token, body: { book_id: bookId } }), 201)), member.id);
    expect(events).toMatchObject([
      { action: 'hold.placed', user_id: member.id, book_id: bookId, hold_id: ready!.id, copy_id: null },
      { action: 'hold.ready', user_id: member.id, book_id: bookId, hold_id: ready!.id, copy_id: copy!.id },
    ]);
    let waiting: { id: number } | undefined;
    expect(await eventsOf(async () => (waiting = await ok(call('POST', '/holds', { token: admin.token, body: { book_id: bookId, user_id: other.id } }), 201)), admin.id)).toMatchObject([
      { action: 'hold.placed', user_id: other.id, hold_id: waiting?.id ?? expect.any(Number) },
    ]);
    // Cancelling the ready hold passes its copy on: hold.cancelled, then the next hold.ready.
    expect(await eventsOf(() => ok(call('DELETE', `/holds/${ready!.id}`, { token: member.token })), member.id)).toMatchObject([
      { action: 'hold.cancelled', hold_id: ready!.id, user_id: member.id, copy_id: copy!.id },
      { action: 'hold.ready', hold_id: waiting!.id, user_id: other.id, copy_id: copy!.id },
    ]);
  });

  it('the daily job: hold.expired and the next hold.ready with no actor, once however often it runs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2032-04-01T09:00:00Z'));
    const [early, late] = [await makeUser(), await makeUser()]; // tokens issued under the fake clock
    const bookId = await seedBook({}, 1);
    const first = await ok(call('POST', '/holds', { token: early.token, body: { book_id: bookId } }), 201);
    const second = await ok(call('POST', '/holds', { token: late.token, body: { book_id: bookId } }), 201);
    expect(first.status).toBe('ready');
    const run = () => runDailyJob(env, new Date('2032-04-20T03:00:00Z'));
    // Other tests' ready holds expire in the same run; this book's are these.
    const events = (await eventsOf(run, null)).filter((e) => e.book_id === bookId);
    expect(events).toMatchObject([
      { action: 'hold.expired', hold_id: first.id, user_id: early.id },
      { action: 'hold.ready', hold_id: second.id, user_id: late.id },
    ]);
    expect(events[0]!.at).toBe('2032-04-20T03:00:00.000Z');
    expect(await eventsOf(run, null)).toEqual([]);
  });

  it('deleting a patron cancels their open holds: hold.cancelled, anonymised with the user', async () => {
    const leaving = await makeUser();
    const bookId = await seedBook({}, 1);
    const hold = await ok(call('POST', '/holds', { token: leaving.token, body: { book_id: bookId } }), 201);
    const events = await eventsOf(() => ok(call('DELETE', `/users/${leaving.id}`, { token: admin.token })), admin.id);
    expect(events).toMatchObject([
      { action: 'hold.cancelled', hold_id: hold.id, user_id: null },
      { action: 'user.deleted', user_id: null },
    ]);
  });
});

describe('never for a refused request', () => {
  it('writes no event when a circulation write is refused', async () => {
    const bookId = await seedBook({}, 1);
    const [copy] = await copiesOf(bookId);
    const loan = await ok(call('POST', '/loans', { token: other.token, body: { book_ids: [bookId] } }), 201);
    const hold = await ok(call('POST', '/holds', { token: member.token, body: { book_id: bookId } }), 201);
    const before = await lastEventId();
    await expectProblem(await call('POST', '/loans', { token: member.token, body: { barcodes: [copy!.barcode] } }), 409, 'COPY_UNAVAILABLE');
    await expectProblem(await call('POST', '/holds', { token: member.token, body: { book_id: bookId } }), 409, 'HOLD_EXISTS');
    await expectProblem(await call('PUT', `/loans/${loan.id}/add-book/${bookId}`, { token: other.token }), 409, 'BOOK_ALREADY_ON_LOAN');
    await expectProblem(await call('POST', `/loans/${loan.id}/renew`, { token: other.token }), 409, 'HOLD_PENDING');
    await expectProblem(await call('POST', '/circulation/check-in', { token: member.token, body: { barcode: copy!.barcode } }), 403, 'FORBIDDEN');
    await expectProblem(await call('DELETE', `/holds/${hold.id}`, { token: other.token }), 404, 'NOT_FOUND');
    await expectProblem(await call('PATCH', `/copies/${copy!.id}`, { token: admin.token, body: { status: 'withdrawn' } }), 409, 'COPY_ON_LOAN');
    await expectProblem(await call('DELETE', `/copies/${copy!.id}`, { token: admin.token }), 409, 'COPY_ON_LOAN');
    expect(await lastEventId()).toBe(before);
  });
});

describe('import', () => {
  it('records book.created for each book created and copy.created for each copy, none for skipped rows', async () => {
    const stamp = Date.now().toString(36);
    const csv = `title,author,genre,age_category,publish_date,isbn,copies\nImported A ${stamp},X,G,Adult,2000-01-01,,2\nImported B ${stamp},Y,G,Adult,2000-01-01,,1\n`;
    const events = await eventsOf(
      () => ok(call('POST', '/books/import', { token: admin.token, body: csv, headers: { 'Content-Type': 'text/csv' } })),
      admin.id,
    );
    expect(actions(events)).toEqual(['book.created', 'book.created', 'copy.created', 'copy.created', 'copy.created']);
    expect(await eventsOf(() => ok(call('POST', '/books/import', { token: admin.token, body: csv, headers: { 'Content-Type': 'text/csv' } })), admin.id)).toEqual([]);
  });
});
