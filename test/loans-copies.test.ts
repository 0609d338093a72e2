import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, copiesOf, expectProblem, expectStatus, makeAdmin, makeBook, makeUser, rowCounts, type TestUser } from './helpers';

let admin: TestUser;
beforeAll(async () => {
  admin = await makeAdmin();
});

const borrow = (user: TestUser, body: Record<string, unknown>) => call('POST', '/loans', { token: user.token, body });
const DAY = new Date().toISOString().slice(0, 10);

describe('POST /loans by book ids and barcodes', () => {
  it('takes the lowest available copy for a book id and that copy for a barcode (case ignored)', async () => {
    const patron = await makeUser();
    const [a, b] = [await makeBook(admin, { copies: 2 }), await makeBook(admin, { copies: 2 })];
    const [a1] = await copiesOf(a.id);
    const [, b2] = await copiesOf(b.id);
    const loan = await expectStatus(await borrow(patron, { book_ids: [a.id], barcodes: [b2!.barcode.toLowerCase()] }), 201);
    expect(loan.copies).toEqual([
      { id: a1!.id, barcode: a1!.barcode, book_id: a.id, return_date: null },
      { id: b2!.id, barcode: b2!.barcode, book_id: b.id, return_date: null },
    ]);
    expect(loan.books.map((x: { id: number; available_copies: number }) => [x.id, x.available_copies])).toEqual([
      [a.id, 1],
      [b.id, 1],
    ]);
  });

  it.each([
    [{ barcodes: ['ABC', 'abc'] }, 'barcodes'],
    [{ barcodes: ['bad code'] }, 'barcodes.0'],
    [{ book_ids: [1, 2, 3, 4, 5, 6], barcodes: ['A', 'B', 'C', 'D', 'E'] }, 'body'],
  ])('rejects %j with 400 on %s', async (body, field) => {
    const patron = await makeUser();
    const problem = await expectProblem(await borrow(patron, body), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveProperty([field]);
  });

  it('refuses in the order of refusals, listing every blocker once per book, and writes nothing', async () => {
    const [patron, other] = [await makeUser(), await makeUser()];
    const twice = await makeBook(admin, { copies: 2 });
    const held = await makeBook(admin, { copies: 2 });
    const empty = await makeBook(admin, { copies: 0 });
    const taken = await makeBook(admin, { copies: 1 });
    await expectStatus(await borrow(patron, { book_ids: [held.id] }), 201);
    const [takenCopy] = await copiesOf(taken.id);
    await expectStatus(await borrow(other, { book_ids: [taken.id] }), 201);
    const [, twice2] = await copiesOf(twice.id);
    const before = await rowCounts();
    const problem = await expectProblem(
      await borrow(patron, { book_ids: [taken.id, empty.id, held.id, twice.id], barcodes: [twice2!.barcode, takenCopy!.barcode] }),
      409,
      'BOOK_ALREADY_ON_LOAN',
    );
    expect(problem.blockers.map((b: { code: string; book_id: number }) => [b.code, b.book_id])).toEqual([
      ['BOOK_ALREADY_ON_LOAN', taken.id],
      ['BOOK_ALREADY_ON_LOAN', twice.id],
      ['ALREADY_BORROWED', held.id],
      ['NO_LENDABLE_COPIES', empty.id],
    ]);
    expect(await rowCounts()).toEqual(before);
    await expectProblem(await borrow(patron, { barcodes: [takenCopy!.barcode] }), 409, 'COPY_UNAVAILABLE');
    await expectProblem(await borrow(patron, { book_ids: [taken.id] }), 409, 'BOOK_UNAVAILABLE');
    await expectProblem(await borrow(patron, { barcodes: ['NO-SUCH-COPY'] }), 404, 'NOT_FOUND');
    expect(await rowCounts()).toEqual(before);
  });
});

describe('copies on a loan', () => {
  it('adds a copy by barcode, refuses a second copy of a book, and a partial check-in ends the loan with its last copy', async () => {
    const patron = await makeUser();
    const [a, b] = [await makeBook(admin, { copies: 2 }), await makeBook(admin, { copies: 1 })];
    const loan = await expectStatus(await borrow(patron, { book_ids: [a.id] }), 201);
    const [, a2] = await copiesOf(a.id);
    const [b1] = await copiesOf(b.id);
    await expectProblem(await call('PUT', `/loans/${loan.id}/add-copy/${a2!.barcode}`, { token: patron.token }), 409, 'BOOK_ALREADY_ON_LOAN');
    await expectProblem(await call('PUT', `/loans/${loan.id}/add-book/${a.id}`, { token: patron.token }), 409, 'BOOK_ALREADY_ON_LOAN');
    const added = await expectStatus(await call('PUT', `/loans/${loan.id}/add-copy/${b1!.barcode.toLowerCase()}`, { token: patron.token }), 200);
    expect(added.loan.copies.map((c: { id: number }) => c.id)).toContain(b1!.id);
    expect(added.loan.deadline).toBe(loan.deadline);
    await expectProblem(await call('PUT', `/loans/${loan.id}/add-copy/bad%20code`, { token: patron.token }), 400, 'VALIDATION_FAILED');
    const first = await expectStatus(await call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: b1!.barcode } }), 200);
    expect(first.loan).toMatchObject({ return_date: null, status: 'active' });
    expect(first.loan.copies.find((c: { id: number }) => c.id === b1!.id).return_date).toBe(DAY);
    expect(first.copy.status).toBe('available');
    await expectProblem(await call('PUT', `/loans/${loan.id}/remove-book/${b.id}`, { token: patron.token }), 409, 'COPY_NOT_ON_LOAN');
    const aCopy = loan.copies[0];
    const last = await expectStatus(await call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: aCopy.barcode } }), 200);
    expect(last.loan).toMatchObject({ id: loan.id, return_date: DAY, status: 'returned' });
    await expectProblem(await call('POST', '/circulation/check-in', { token: (await makeUser()).token, body: { barcode: aCopy.barcode } }), 403, 'FORBIDDEN');
  });

  it('DELETE /loans releases the copies still out', async () => {
    const patron = await makeUser();
    const a = await makeBook(admin, { copies: 1 });
    const loan = await expectStatus(await borrow(patron, { book_ids: [a.id] }), 201);
    await expectStatus(await call('DELETE', `/loans/${loan.id}`, { token: admin.token }), 200);
    expect((await copiesOf(a.id))[0]!.status).toBe('available');
  });
});

describe('cost', () => {
  const rowsRead = (res: Response) => Number(/d1_rows_read;desc="(\d+)"/.exec(res.headers.get('Server-Timing') ?? '')?.[1]);

  it('a checkout reads the same rows for a borrower with a long history as for a new one', async () => {
    const [fresh, busy] = [await makeUser(), await makeUser()];
    for (let i = 0; i < 40; i++) await env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline) VALUES (?, '2026-01-01', '2026-01-15')").bind(busy.id).run();
    const [a, b] = [await makeBook(admin, { copies: 1 }), await makeBook(admin, { copies: 1 })];
    const first = await borrow(fresh, { book_ids: [a.id] });
    const second = await borrow(busy, { book_ids: [b.id] });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(Math.abs(rowsRead(second) - rowsRead(first))).toBeLessThanOrEqual(2);
  });
});

describe('races', () => {
  it('10 patrons × a 2-copy book: exactly 2 winners, holding different copies', async () => {
    const patrons = await Promise.all(Array.from({ length: 10 }, () => makeUser()));
    const { id } = await makeBook(admin, { copies: 2 });
    const results = await Promise.all(patrons.map((p) => borrow(p, { book_ids: [id] })));
    const winners = results.filter((r) => r.status === 201);
    expect(winners).toHaveLength(2);
    for (const r of results.filter((r) => r.status !== 201)) await expectProblem(r, 409, 'BOOK_UNAVAILABLE');
    const copies = await Promise.all(winners.map(async (r) => (await r.json<{ copies: { id: number }[] }>()).copies[0]!.id));
    expect(new Set(copies).size).toBe(2);
    const active = await env.DB.prepare('SELECT count(*) AS n FROM loan_books WHERE book_id = ? AND active = 1').bind(id).first('n');
    expect(active).toBe(2);
  });

  it('8 patrons × one barcode: exactly 1 winner', async () => {
    const patrons = await Promise.all(Array.from({ length: 8 }, () => makeUser()));
    const { id } = await makeBook(admin, { copies: 3 });
    const [copy] = await copiesOf(id);
    const results = await Promise.all(patrons.map((p) => borrow(p, { barcodes: [copy!.barcode] })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201)) await expectProblem(r, 409, 'COPY_UNAVAILABLE');
  });
});
