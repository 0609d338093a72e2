import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, copiesOf, expectProblem, expectStatus, makeAdmin, makeBook, makeUser, type TestUser } from './helpers';

let admin: TestUser;
beforeAll(async () => {
  admin = await makeAdmin();
});

/** What the statistics must say, counted the slow way from the tables. */
const truth = async () =>
  env.DB.prepare(
    `SELECT (SELECT count(*) FROM books) AS books,
            (SELECT count(*) FROM copies WHERE status <> 'withdrawn') AS copies,
            (SELECT count(*) FROM copies WHERE status = 'available') AS available_copies,
            (SELECT count(*) FROM loans WHERE return_date IS NULL) AS active_loans,
            (SELECT count(*) FROM loans WHERE return_date IS NULL AND deadline < ?) AS overdue_loans,
            (SELECT count(*) FROM holds WHERE status = 'waiting') AS holds_waiting,
            (SELECT count(*) FROM holds WHERE status = 'ready') AS holds_ready,
            (SELECT coalesce(sum(balance_cents), 0) FROM account_balances) AS fines_outstanding_cents`,
  )
    .bind(new Date().toISOString().slice(0, 10))
    .first();

const stats = async () => expectStatus(await call('GET', '/stats', { token: admin.token }), 200);

describe('GET /stats', () => {
  it('follows every kind of write, and equals the counts from the tables', async () => {
    const check = async (expected: Partial<Record<string, number>>, before: Record<string, number>) => {
      const now = await stats();
      expect(now).toEqual(await truth());
      for (const [field, delta] of Object.entries(expected)) expect(now[field] - before[field]!, field).toBe(delta);
      return now;
    };
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    let s = await stats();
    expect(s).toEqual(await truth());

    // A book with two copies.
    const book = await makeBook(admin, { copies: 2 });
    s = await check({ books: 1, copies: 2, available_copies: 2 }, s);
    // Two loans take both copies.
    const loanA = await expectStatus(await call('POST', '/loans', { token: a.token, body: { book_ids: [book.id] } }), 201);
    s = await check({ active_loans: 1, available_copies: -1 }, s);
    const loanB = await expectStatus(await call('POST', '/loans', { token: b.token, body: { book_ids: [book.id] } }), 201);
    s = await check({ active_loans: 1, available_copies: -1 }, s);
    // A hold waits; a return hands the copy to it (ready, on the hold shelf).
    const hold = await expectStatus(await call('POST', '/holds', { token: c.token, body: { book_id: book.id } }), 201);
    s = await check({ holds_waiting: 1 }, s);
    await expectStatus(await call('POST', `/loans/${loanA.id}/return`, { token: a.token }), 200);
    s = await check({ active_loans: -1, holds_waiting: -1, holds_ready: 1, available_copies: 0 }, s);
    // Cancelling the ready hold puts its copy back on the shelf.
    await expectStatus(await call('DELETE', `/holds/${hold.id}`, { token: c.token }), 200);
    s = await check({ holds_ready: -1, available_copies: 1 }, s);
    // A loan past its deadline is overdue (and still active).
    await env.DB.prepare("UPDATE loans SET deadline = '2000-01-01' WHERE id = ?").bind(loanB.id).run();
    s = await check({ overdue_loans: 1, active_loans: 0 }, s);
    // A copy added, then withdrawn.
    const copy = await expectStatus(await call('POST', `/books/${book.id}/copies`, { token: admin.token, body: {} }), 201);
    s = await check({ copies: 1, available_copies: 1 }, s);
    await expectStatus(await call('PATCH', `/copies/${copy.id}`, { token: admin.token, body: { status: 'withdrawn' } }), 200);
    s = await check({ copies: -1, available_copies: -1 }, s);
    // A check-in at the desk ends the overdue loan.
    const [, out] = await copiesOf(book.id);
    expect(out!.status).toBe('on_loan');
    await expectStatus(await call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: out!.barcode } }), 200);
    s = await check({ active_loans: -1, overdue_loans: -1, available_copies: 1 }, s);
    // An import with copies; a loan deleted; a book deleted with its copies.
    const imported = await call('POST', '/books/import', {
      token: admin.token,
      body: `title,author,genre,age_category,publish_date,copies\nStats import ${Date.now()},A,G,Adult,2001-01-01,3\n`,
      headers: { 'Content-Type': 'text/csv' },
    });
    expect(await expectStatus(imported, 200)).toMatchObject({ created: 1 });
    s = await check({ books: 1, copies: 3, available_copies: 3 }, s);
    const loanC = await expectStatus(await call('POST', '/loans', { token: c.token, body: { book_ids: [book.id] } }), 201);
    s = await check({ active_loans: 1, available_copies: -1 }, s);
    await expectStatus(await call('DELETE', `/loans/${loanC.id}`, { token: admin.token }), 200);
    s = await check({ active_loans: -1, available_copies: 1 }, s);
    await expectStatus(await call('DELETE', `/books/${book.id}`, { token: admin.token }), 200);
    s = await check({ books: -1, copies: -2, available_copies: -2 }, s);
    // A charge, a payment and a waiver move the outstanding total; an overpayment does not.
    const account = `/users/${a.id}/account`;
    await expectStatus(await call('POST', `${account}/charges`, { token: admin.token, body: { amount_cents: 700, note: 'Damaged cover' } }), 201);
    s = await check({ fines_outstanding_cents: 700 }, s);
    await expectStatus(await call('POST', `${account}/payments`, { token: admin.token, body: { amount_cents: 200 } }), 201);
    s = await check({ fines_outstanding_cents: -200 }, s);
    await expectStatus(await call('POST', `${account}/waivers`, { token: admin.token, body: { amount_cents: 100 } }), 201);
    s = await check({ fines_outstanding_cents: -100 }, s);
    await expectProblem(await call('POST', `${account}/payments`, { token: admin.token, body: { amount_cents: 401 } }), 409, 'OVERPAYMENT');
    await check({ fines_outstanding_cents: 0 }, s);
  });

  it('reads a few counter rows (Server-Timing), in one round trip', async () => {
    const res = await call('GET', '/stats', { token: admin.token });
    await expectStatus(res, 200);
    const timing = res.headers.get('Server-Timing') ?? '';
    expect(timing).toContain('d1_round_trips;desc="1"');
    const rowsRead = Number(/d1_rows_read;desc="(\d+)"/.exec(timing)?.[1]);
    expect(rowsRead).toBeLessThanOrEqual(10);
  });

  it('is for admins only', async () => {
    const member = await makeUser();
    await expectProblem(await call('GET', '/stats', { token: member.token }), 403, 'FORBIDDEN');
    await expectProblem(await call('GET', '/stats'), 401, 'UNAUTHENTICATED');
  });
});
