import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { today } from '../src/lib/fields';
import { POPULARITY_KEY } from '../src/routes/books/popularity.cache';
import { addDays } from '../src/routes/loans/loan-dates';
import { BOOK_FIELDS, call, expectProblem, expectStatus, makeAdmin, makeUser, rowCounts, seedBook, type TestUser } from './helpers';

// Authenticated writes are limited to 60 per minute per user: each test makes its own users.

const checkout = (user: TestUser, body?: unknown) => call('POST', '/loans', { token: user.token, body });
const openLoan = async (user: TestUser, book_ids: number[] = []) => expectStatus(await checkout(user, { book_ids }), 201);
const loanAction = (user: TestUser, loanId: number, action: 'return' | 'renew') =>
  call('POST', `/loans/${loanId}/${action}`, { token: user.token });
const bookAction = (user: TestUser, loanId: number, action: 'add-book' | 'remove-book', bookId: number) =>
  call('PUT', `/loans/${loanId}/${action}/${bookId}`, { token: user.token });
const getLoan = (user: TestUser, loanId: number) => call('GET', `/loans/${loanId}`, { token: user.token });
const listLoans = (user: TestUser, query = '') => call('GET', `/loans${query}`, { token: user.token });


const bookState = (id: number) =>
  // Single-copy books: on loan exactly when their copy is not available.
  env.DB.prepare('SELECT readers, 1 - available_copies AS on_loan FROM books WHERE id = ?').bind(id).first<{ readers: number; on_loan: number }>();

const setDeadline = (loanId: number, deadline: string) =>
  env.DB.prepare('UPDATE loans SET deadline = ? WHERE id = ?').bind(deadline, loanId).run();

const DAY = today();

describe('POST /loans', () => {
  let member: TestUser;
  let other: TestUser;
  let admin: TestUser;
  beforeAll(async () => {
    [member, other, admin] = [await makeUser(), await makeUser(), await makeAdmin()];
  });

  it('opens a loan for the caller, dated today (UTC) and due in 14 days, its books unavailable', async () => {
    const [first, second] = [await seedBook(), await seedBook()];
    const res = await checkout(member, { book_ids: [second, first] });
    const loan = await expectStatus(res, 201);
    expect(res.headers.get('Location')).toBe(`/loans/${loan.id}`);
    expect(loan).toEqual({
      id: expect.any(Number),
      user_id: member.id,
      loan_date: DAY,
      deadline: addDays(DAY, 14),
      return_date: null,
      renewals: 0,
      status: 'active',
      books: [expect.objectContaining({ id: first, available: false }), expect.objectContaining({ id: second, available: false })],
      copies: [
        { id: expect.any(Number), barcode: expect.stringMatching(/^C\d{8}$/), book_id: first, return_date: null },
        { id: expect.any(Number), barcode: expect.stringMatching(/^C\d{8}$/), book_id: second, return_date: null },
      ],
    });
    expect(Object.keys(loan.books[0]).sort()).toEqual(BOOK_FIELDS);
    expect(await bookState(first)).toEqual({ readers: 1, on_loan: 1 });
    expect(await expectStatus(await getLoan(member, loan.id), 200)).toEqual(loan);
  });

  it('opens an empty loan when the body or book_ids is left out', async () => {
    const noBody = await expectStatus(await checkout(member), 201);
    expect(noBody).toMatchObject({ user_id: member.id, books: [], status: 'active' });
    expect(await expectStatus(await checkout(member, {}), 201)).toMatchObject({ books: [] });
    expect(await expectStatus(await checkout(member, { book_ids: [] }), 201)).toMatchObject({ books: [] });
  });

  it('lets a member name themselves but not another user (403)', async () => {
    expect(await expectStatus(await checkout(member, { user_id: member.id }), 201)).toMatchObject({ user_id: member.id });
    const before = await rowCounts();
    await expectProblem(await checkout(member, { user_id: other.id }), 403, 'FORBIDDEN');
    expect(await rowCounts()).toEqual(before);
  });

  it('lets an admin open a loan for any user; an unknown user is 404 and writes nothing', async () => {
    const book = await seedBook();
    expect(await expectStatus(await checkout(admin, { user_id: other.id, book_ids: [book] }), 201)).toMatchObject({
      user_id: other.id,
    });
    const free = await seedBook();
    const before = await rowCounts();
    await expectProblem(await checkout(admin, { user_id: 999_999, book_ids: [free] }), 404, 'NOT_FOUND');
    expect(await rowCounts()).toEqual(before);
    expect(await bookState(free)).toEqual({ readers: 0, on_loan: 0 });
  });

  it('answers 404 for an unknown book and writes nothing, not even the loan row', async () => {
    const known = await seedBook();
    const before = await rowCounts();
    const problem = await expectProblem(await checkout(member, { book_ids: [known, 999_999] }), 404, 'NOT_FOUND');
    expect(problem.detail).toContain('999999');
    expect(await rowCounts()).toEqual(before);
    expect(await bookState(known)).toEqual({ readers: 0, on_loan: 0 });
  });

  it('answers 409 BOOK_UNAVAILABLE for a book on another active loan and writes nothing', async () => {
    const [taken, free] = [await seedBook(), await seedBook()];
    await openLoan(other, [taken]);
    const before = await rowCounts();
    const problem = await expectProblem(await checkout(member, { book_ids: [free, taken] }), 409, 'BOOK_UNAVAILABLE');
    expect(problem.detail).toContain(String(taken));
    expect(await rowCounts()).toEqual(before);
    expect(await bookState(free)).toEqual({ readers: 0, on_loan: 0 });
  });

  it('maps the one-active-loan index to 409 when the guard is fooled, leaving nothing behind', async () => {
    // Simulate a guard that lets a taken book through: the partial unique index must still refuse.
    const book = await seedBook();
    await openLoan(other, [book]);
    await env.DB.prepare("UPDATE copies SET status = 'available' WHERE book_id = ?").bind(book).run();
    const before = await rowCounts();
    await expectProblem(await checkout(member, { book_ids: [book] }), 409, 'BOOK_UNAVAILABLE');
    expect(await rowCounts()).toEqual(before);
    await env.DB.prepare("UPDATE copies SET status = 'on_loan' WHERE book_id = ?").bind(book).run();
  });

  it('inserts every requested book on the new loan, even after an earlier failed checkout', async () => {
    // A failed checkout inserts no loan; the next must not attach books to an older loan.
    const books = [await seedBook(), await seedBook(), await seedBook()];
    const older = await openLoan(member);
    await expectProblem(await checkout(member, { book_ids: [999_998] }), 404, 'NOT_FOUND');
    const loan = await openLoan(member, books);
    const rows = await env.DB.prepare('SELECT loan_id, book_id, active FROM loan_books WHERE loan_id IN (?, ?) ORDER BY book_id')
      .bind(older.id, loan.id)
      .all();
    expect(rows.results).toEqual(books.map((book_id) => ({ loan_id: loan.id, book_id, active: 1 })));
  });

  it.each([
    [{ book_ids: [1, 1] }, 'book_ids'],
    [{ book_ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }, 'book_ids'],
    [{ book_ids: [0] }, 'book_ids.0'],
    [{ book_ids: [-3] }, 'book_ids.0'],
    [{ book_ids: [1.5] }, 'book_ids.0'],
    [{ book_ids: ['3'] }, 'book_ids.0'],
    [{ book_ids: 3 }, 'book_ids'],
    [{ user_id: 0 }, 'user_id'],
    [{ user_id: 'me' }, 'user_id'],
    [{ book_ids: [], loan_date: '2020-01-01' }, 'loan_date'],
  ])('rejects %j with 400 on %s', async (body, field) => {
    const problem = await expectProblem(await checkout(member, body), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveProperty([field]);
  });

  it('accepts ten distinct books', async () => {
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push(await seedBook());
    // A fresh borrower: the policy's max_active_copies (10) counts every copy out.
    expect((await openLoan(await makeUser(), ids)).books).toHaveLength(10);
  });

  it('needs a token (401) and a JSON body (415, 400)', async () => {
    await expectProblem(await call('POST', '/loans', { body: {} }), 401, 'UNAUTHENTICATED');
    await expectProblem(
      await call('POST', '/loans', { token: member.token, body: 'book_ids=1', headers: { 'Content-Type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await expectProblem(await call('POST', '/loans', { token: member.token, body: '{"book_ids": [' }), 400, 'MALFORMED_JSON');
  });
});

describe('GET /loans/{id}', () => {
  let owner: TestUser;
  let stranger: TestUser;
  let admin: TestUser;
  let loanId: number;
  beforeAll(async () => {
    [owner, stranger, admin] = [await makeUser(), await makeUser(), await makeAdmin()];
    loanId = (await openLoan(owner, [await seedBook()])).id;
  });

  it('shows the loan to its owner and to admins', async () => {
    expect(await expectStatus(await getLoan(owner, loanId), 200)).toMatchObject({ id: loanId, user_id: owner.id });
    expect(await expectStatus(await getLoan(admin, loanId), 200)).toMatchObject({ id: loanId, user_id: owner.id });
  });

  it('answers 404, not 403, for another member’s loan', async () => {
    await expectProblem(await getLoan(stranger, loanId), 404, 'NOT_FOUND');
  });

  it('answers 404 for an unknown id, 400 for a malformed one, 401 without a token', async () => {
    await expectProblem(await getLoan(admin, 999_999), 404, 'NOT_FOUND');
    await expectProblem(await call('GET', '/loans/abc', { token: admin.token }), 400, 'VALIDATION_FAILED');
    await expectProblem(await call('GET', '/loans/0', { token: admin.token }), 400, 'VALIDATION_FAILED');
    await expectProblem(await call('GET', `/loans/${loanId}`), 401, 'UNAUTHENTICATED');
  });

  it('answers 405 with Allow for an unsupported method', async () => {
    const res = await call('PATCH', `/loans/${loanId}`, { token: admin.token, body: {} });
    await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('Allow')).toBe('DELETE, GET, HEAD');
  });
});

describe('PUT /loans/{loan_id}/add-book/{book_id}', () => {
  let owner: TestUser;
  let stranger: TestUser;
  let admin: TestUser;
  beforeAll(async () => {
    [owner, stranger, admin] = [await makeUser(), await makeUser(), await makeAdmin()];
  });

  it('adds an available book and answers {message, loan, books}', async () => {
    const [held, added] = [await seedBook(), await seedBook()];
    const loan = await openLoan(owner, [held]);
    const body = await expectStatus(await bookAction(owner, loan.id, 'add-book', added), 200);
    expect(body).toEqual({ message: expect.any(String), loan: expect.objectContaining({ id: loan.id }), books: body.loan.books });
    expect(body.books.map((book: { id: number }) => book.id)).toEqual([held, added]);
    expect(body.books.every((book: { available: boolean }) => !book.available)).toBe(true);
    expect(await bookState(added)).toEqual({ readers: 1, on_loan: 1 });
  });

  it('lets an admin add to a member’s loan', async () => {
    const loan = await openLoan(owner);
    const book = await seedBook();
    expect((await expectStatus(await bookAction(admin, loan.id, 'add-book', book), 200)).loan.books).toHaveLength(1);
  });

  it('answers 409 BOOK_ALREADY_ON_LOAN for a book already on this loan', async () => {
    const book = await seedBook();
    const loan = await openLoan(owner, [book]);
    await expectProblem(await bookAction(owner, loan.id, 'add-book', book), 409, 'BOOK_ALREADY_ON_LOAN');
    expect(await bookState(book)).toEqual({ readers: 1, on_loan: 1 });
  });

  it('answers 409 BOOK_UNAVAILABLE for a book on another active loan', async () => {
    const book = await seedBook();
    await openLoan(stranger, [book]);
    const loan = await openLoan(owner);
    const before = await rowCounts();
    await expectProblem(await bookAction(owner, loan.id, 'add-book', book), 409, 'BOOK_UNAVAILABLE');
    expect(await rowCounts()).toEqual(before);
  });

  it('answers 409 LOAN_RETURNED on a returned loan', async () => {
    const loan = await openLoan(owner);
    await expectStatus(await loanAction(owner, loan.id, 'return'), 200);
    await expectProblem(await bookAction(owner, loan.id, 'add-book', await seedBook()), 409, 'LOAN_RETURNED');
  });

  it('answers 404 for an unknown book or loan, and for another member’s loan, writing nothing', async () => {
    const loan = await openLoan(owner);
    const book = await seedBook();
    await expectProblem(await bookAction(owner, loan.id, 'add-book', 999_999), 404, 'NOT_FOUND');
    await expectProblem(await bookAction(owner, 999_999, 'add-book', book), 404, 'NOT_FOUND');
    await expectProblem(await bookAction(stranger, loan.id, 'add-book', book), 404, 'NOT_FOUND');
    expect(await bookState(book)).toEqual({ readers: 0, on_loan: 0 });
    await expectProblem(await call('PUT', `/loans/${loan.id}/add-book/x`, { token: owner.token }), 400, 'VALIDATION_FAILED');
  });
});

describe('PUT /loans/{loan_id}/remove-book/{book_id}', () => {
  let owner: TestUser;
  let stranger: TestUser;
  beforeAll(async () => {
    [owner, stranger] = [await makeUser(), await makeUser()];
  });

  it('removes the book: it is available again and no longer counts the loan as a reader', async () => {
    const [kept, removed] = [await seedBook(), await seedBook()];
    const loan = await openLoan(owner, [kept, removed]);
    const body = await expectStatus(await bookAction(owner, loan.id, 'remove-book', removed), 200);
    expect(body.books.map((book: { id: number }) => book.id)).toEqual([kept]);
    expect(body.loan.books).toEqual(body.books);
    expect(await bookState(removed)).toEqual({ readers: 0, on_loan: 0 });
  });

  it('answers 409 BOOK_NOT_ON_LOAN for a book that is not on the loan', async () => {
    const loan = await openLoan(owner);
    await expectProblem(await bookAction(owner, loan.id, 'remove-book', await seedBook()), 409, 'BOOK_NOT_ON_LOAN');
  });

  it('answers 409 LOAN_RETURNED on a returned loan and keeps its history', async () => {
    const book = await seedBook();
    const loan = await openLoan(owner, [book]);
    await expectStatus(await loanAction(owner, loan.id, 'return'), 200);
    await expectProblem(await bookAction(owner, loan.id, 'remove-book', book), 409, 'LOAN_RETURNED');
    expect(await bookState(book)).toEqual({ readers: 1, on_loan: 0 });
  });

  it('answers 404 for an unknown book or loan, and for another member’s loan, which keeps the book', async () => {
    const book = await seedBook();
    const loan = await openLoan(owner, [book]);
    await expectProblem(await bookAction(owner, loan.id, 'remove-book', 999_999), 404, 'NOT_FOUND');
    await expectProblem(await bookAction(owner, 999_999, 'remove-book', book), 404, 'NOT_FOUND');
    await expectProblem(await bookAction(stranger, loan.id, 'remove-book', book), 404, 'NOT_FOUND');
    expect(await bookState(book)).toEqual({ readers: 1, on_loan: 1 });
  });
});

describe('POST /loans/{id}/return', () => {
  let owner: TestUser;
  let stranger: TestUser;
  let admin: TestUser;
  beforeAll(async () => {
    [owner, stranger, admin] = [await makeUser(), await makeUser(), await makeAdmin()];
  });

  it('sets return_date to today and frees the books in the same write', async () => {
    const book = await seedBook();
    const loan = await openLoan(owner, [book]);
    expect(loan.books[0].available).toBe(false);
    const returned = await expectStatus(await loanAction(owner, loan.id, 'return'), 200);
    expect(returned).toMatchObject({ id: loan.id, return_date: DAY, status: 'returned', books: [{ id: book, available: true }] });
    const rows = await env.DB.prepare('SELECT active FROM loan_books WHERE loan_id = ?').bind(loan.id).all();
    expect(rows.results).toEqual([{ active: 0 }]);
    expect(await bookState(book)).toEqual({ readers: 1, on_loan: 0 });
    // Free for the next borrower.
    expect((await openLoan(stranger, [book])).books[0]).toMatchObject({ id: book, available: false });
  });

  it('answers 409 LOAN_RETURNED the second time', async () => {
    const loan = await openLoan(owner);
    await expectStatus(await loanAction(owner, loan.id, 'return'), 200);
    await expectProblem(await loanAction(owner, loan.id, 'return'), 409, 'LOAN_RETURNED');
  });

  it('answers 404 to another member and changes nothing; an admin may return it', async () => {
    const book = await seedBook();
    const loan = await openLoan(owner, [book]);
    await expectProblem(await loanAction(stranger, loan.id, 'return'), 404, 'NOT_FOUND');
    expect(await bookState(book)).toEqual({ readers: 1, on_loan: 1 });
    expect(await expectStatus(await getLoan(owner, loan.id), 200)).toMatchObject({ return_date: null, status: 'active' });
    expect(await expectStatus(await loanAction(admin, loan.id, 'return'), 200)).toMatchObject({ return_date: DAY });
    await expectProblem(await loanAction(admin, 999_999, 'return'), 404, 'NOT_FOUND');
  });
});

describe('POST /loans/{id}/renew', () => {
  let owner: TestUser;
  let stranger: TestUser;
  beforeAll(async () => {
    [owner, stranger] = [await makeUser(), await makeUser()];
  });

  it('moves the deadline on by 14 days twice, then answers 409 RENEWAL_LIMIT_REACHED', async () => {
    const loan = await openLoan(owner, [await seedBook()]);
    const once = await expectStatus(await loanAction(owner, loan.id, 'renew'), 200);
    expect(once).toMatchObject({ deadline: addDays(loan.deadline, 14), renewals: 1, status: 'active' });
    const twice = await expectStatus(await loanAction(owner, loan.id, 'renew'), 200);
    expect(twice).toMatchObject({ deadline: addDays(loan.deadline, 28), renewals: 2 });
    await expectProblem(await loanAction(owner, loan.id, 'renew'), 409, 'RENEWAL_LIMIT_REACHED');
    expect(await expectStatus(await getLoan(owner, loan.id), 200)).toMatchObject({ deadline: twice.deadline, renewals: 2 });
  });

  it.each([
    ['2028-02-20', '2028-03-05'],
    ['2027-02-20', '2027-03-06'],
    ['2099-12-25', '2100-01-08'],
    ['2099-01-31', '2099-02-14'],
  ])('renews a deadline of %s to %s, as addDays does', async (deadline, expected) => {
    const loan = await openLoan(owner);
    await setDeadline(loan.id, deadline);
    expect(addDays(deadline, 14)).toBe(expected);
    expect(await expectStatus(await loanAction(owner, loan.id, 'renew'), 200)).toMatchObject({ deadline: expected });
  });

  it('renews on the deadline day but answers 409 LOAN_OVERDUE the day after', async () => {
    const dueToday = await openLoan(owner);
    await setDeadline(dueToday.id, DAY);
    expect(await expectStatus(await loanAction(owner, dueToday.id, 'renew'), 200)).toMatchObject({ deadline: addDays(DAY, 14) });

    const overdue = await openLoan(owner);
    await setDeadline(overdue.id, addDays(DAY, -1));
    expect(await expectStatus(await getLoan(owner, overdue.id), 200)).toMatchObject({ status: 'overdue' });
    await expectProblem(await loanAction(owner, overdue.id, 'renew'), 409, 'LOAN_OVERDUE');
    expect(await expectStatus(await getLoan(owner, overdue.id), 200)).toMatchObject({ renewals: 0, deadline: addDays(DAY, -1) });
  });

  it('answers 409 LOAN_RETURNED for a returned loan, 404 to another member', async () => {
    const loan = await openLoan(owner);
    await expectProblem(await loanAction(stranger, loan.id, 'renew'), 404, 'NOT_FOUND');
    await expectStatus(await loanAction(owner, loan.id, 'return'), 200);
    await expectProblem(await loanAction(owner, loan.id, 'renew'), 409, 'LOAN_RETURNED');
  });
});

describe('DELETE /loans/{id}', () => {
  let owner: TestUser;
  let admin: TestUser;
  beforeAll(async () => {
    [owner, admin] = [await makeUser(), await makeAdmin()];
  });

  it('is for admins only: 403 even for the owner', async () => {
    const loan = await openLoan(owner);
    await expectProblem(await call('DELETE', `/loans/${loan.id}`, { token: owner.token }), 403, 'FORBIDDEN');
    await expectStatus(await getLoan(owner, loan.id), 200);
  });

  it('deletes the loan and its book rows, freeing the books and lowering their readers', async () => {
    const [active, other] = [await seedBook(), await seedBook()];
    const loan = await openLoan(owner, [active, other]);
    const before = await rowCounts();
    expect(await expectStatus(await call('DELETE', `/loans/${loan.id}`, { token: admin.token }), 200)).toEqual({
      message: expect.any(String),
    });
    expect(await rowCounts()).toEqual({ loans: before!.loans - 1, loan_books: before!.loan_books - 2 });
    expect(await bookState(active)).toEqual({ readers: 0, on_loan: 0 });
    await expectProblem(await getLoan(admin, loan.id), 404, 'NOT_FOUND');
    await expectProblem(await call('DELETE', `/loans/${loan.id}`, { token: admin.token }), 404, 'NOT_FOUND');
  });
});

describe('GET /loans', () => {
  let alice: TestUser;
  let bob: TestUser;
  let admin: TestUser;
  const ids: Record<'active' | 'returned' | 'overdue', number> = { active: 0, returned: 0, overdue: 0 };
  let bobLoan: number;
  beforeAll(async () => {
    [alice, bob, admin] = [await makeUser(), await makeUser(), await makeAdmin()];
    ids.active = (await openLoan(alice, [await seedBook(), await seedBook()])).id;
    ids.returned = (await openLoan(alice, [await seedBook()])).id;
    await expectStatus(await loanAction(alice, ids.returned, 'return'), 200);
    ids.overdue = (await openLoan(alice)).id;
    await setDeadline(ids.overdue, addDays(DAY, -3));
    bobLoan = (await openLoan(bob, [await seedBook()])).id;
  });

  const itemIds = (page: { items: { id: number }[] }) => page.items.map((loan) => loan.id);

  it('gives a member their own loans by id, with books and status, in the paging envelope', async () => {
    const res = await listLoans(alice);
    const page = await expectStatus(res, 200);
    expect(itemIds(page)).toEqual([ids.active, ids.returned, ids.overdue]);
    expect(page).toMatchObject({ page: 1, per_page: 20, total: 3, pages: 1, has_next: false, has_prev: false });
    expect(page.items.map((loan: { status: string }) => loan.status)).toEqual(['active', 'returned', 'overdue']);
    expect(page.items.map((loan: { books: unknown[] }) => loan.books.length)).toEqual([2, 1, 0]);
    expect(page.items[0]).toEqual(await expectStatus(await getLoan(alice, ids.active), 200));
    expect(res.headers.get('X-Total-Count')).toBe('3');
    expect(res.headers.get('Link')).toContain('rel="first"');
  });

  it.each(['active', 'returned', 'overdue'] as const)('filters a member’s loans by status=%s', async (status) => {
    const page = await expectStatus(await listLoans(alice, `?status=${status}`), 200);
    expect(itemIds(page)).toEqual([ids[status]]);
    expect(page.total).toBe(1);
  });

  it('lets a member name themselves but answers 403 for another user_id', async () => {
    expect(itemIds(await expectStatus(await listLoans(alice, `?user_id=${alice.id}`), 200))).toHaveLength(3);
    await expectProblem(await listLoans(alice, `?user_id=${bob.id}`), 403, 'FORBIDDEN');
    expect(itemIds(await expectStatus(await listLoans(bob), 200))).toEqual([bobLoan]);
  });

  it('pages with Link and X-Total-Count; a page past the end is empty', async () => {
    const res = await listLoans(alice, '?per_page=2&page=2');
    const page = await expectStatus(res, 200);
    expect(page).toMatchObject({ page: 2, per_page: 2, total: 3, pages: 2, has_next: false, has_prev: true });
    expect(itemIds(page)).toEqual([ids.overdue]);
    expect(res.headers.get('Link')).toContain('rel="prev"');
    const past = await expectStatus(await listLoans(alice, '?page=9'), 200);
    expect(past).toMatchObject({ items: [], total: 3 });
  });

  it('shows admins every loan, the total from the counter row', async () => {
    const page = await expectStatus(await listLoans(admin, '?per_page=100'), 200);
    const { n } = (await env.DB.prepare('SELECT count(*) AS n FROM loans').first<{ n: number }>())!;
    expect(page.total).toBe(n);
    expect(itemIds(page)).toEqual(expect.arrayContaining([ids.active, ids.returned, ids.overdue, bobLoan]));
    const sorted = [...itemIds(page)].sort((a, b) => a - b);
    expect(itemIds(page)).toEqual(sorted);
  });

  it('filters for admins by user and status, with matching totals', async () => {
    expect(itemIds(await expectStatus(await listLoans(admin, `?user_id=${alice.id}`), 200))).toEqual([
      ids.active,
      ids.returned,
      ids.overdue,
    ]);
    expect(itemIds(await expectStatus(await listLoans(admin, `?user_id=${alice.id}&status=overdue`), 200))).toEqual([ids.overdue]);
    for (const [status, where] of [
      ['returned', 'return_date IS NOT NULL'],
      ['active', `return_date IS NULL AND deadline >= '${DAY}'`],
      ['overdue', `return_date IS NULL AND deadline < '${DAY}'`],
    ]) {
      const { n } = (await env.DB.prepare(`SELECT count(*) AS n FROM loans WHERE ${where}`).first<{ n: number }>())!;
      const page = await expectStatus(await listLoans(admin, `?status=${status}&per_page=100`), 200);
      expect(page.total, status).toBe(n);
      expect(page.items.every((loan: { status: string }) => loan.status === status)).toBe(true);
    }
  });

  it.each(['?status=lost', '?status=', '?user_id=abc', '?user_id=0', '?page=0', '?per_page=101'])('rejects %s with 400', async (query) => {
    await expectProblem(await listLoans(alice, query), 400, 'VALIDATION_FAILED');
  });

  it('needs a token', async () => {
    await expectProblem(await call('GET', '/loans'), 401, 'UNAUTHENTICATED');
  });
});

describe('loans and user accounts', () => {
  it('refuses to delete a user with an active loan; after the return the loan stays with user_id null', async () => {
    const [member, admin] = [await makeUser(), await makeAdmin()];
    const loan = await openLoan(member, [await seedBook()]);
    await expectProblem(await call('DELETE', '/users', { token: member.token }), 409, 'HAS_ACTIVE_LOANS');
    await expectProblem(await call('DELETE', `/users/${member.id}`, { token: admin.token }), 409, 'HAS_ACTIVE_LOANS');
    await expectStatus(await loanAction(member, loan.id, 'return'), 200);
    await expectStatus(await call('DELETE', '/users', { token: member.token }), 200);
    expect(await expectStatus(await getLoan(admin, loan.id), 200)).toMatchObject({ user_id: null, status: 'returned' });
  });

  it('counts an overdue loan as active for deletion', async () => {
    const [member, admin] = [await makeUser(), await makeAdmin()];
    const loan = await openLoan(member);
    await setDeadline(loan.id, addDays(DAY, -30));
    await expectProblem(await call('DELETE', `/users/${member.id}`, { token: admin.token }), 409, 'HAS_ACTIVE_LOANS');
  });
});

describe('popularity cache', () => {
  it('is invalidated by every loan write', async () => {
    const [member, admin] = [await makeUser(), await makeAdmin()];
    const [first, second] = [await seedBook(), await seedBook()];
    let loanId = 0;
    const writes: [string, () => Promise<Response>][] = [
      ['checkout', async () => {
        const res = await checkout(member, { book_ids: [first] });
        loanId = (await res.clone().json<{ id: number }>()).id;
        return res;
      }],
      ['add-book', () => bookAction(member, loanId, 'add-book', second)],
      ['remove-book', () => bookAction(member, loanId, 'remove-book', second)],
      ['renew', () => loanAction(member, loanId, 'renew')],
      ['return', () => loanAction(member, loanId, 'return')],
      ['delete', () => call('DELETE', `/loans/${loanId}`, { token: admin.token })],
    ];
    for (const [name, write] of writes) {
      await env.CACHE.put(POPULARITY_KEY, '[]');
      expect((await write()).status, name).toBeLessThan(300);
      expect(await env.CACHE.get(POPULARITY_KEY), name).toBeNull();
    }
  });
});

describe('cost', () => {
  it('answers reads and patron writes in one D1 round trip (caller checked inside the batch), an admin delete in two', async () => {
    // Refusals publish no cost (Server-Timing is for successes only); the request log has it for every answer.
    const loggedTrips = new Map<string, number>();
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      const entry = typeof line === 'string' && line.startsWith('{') ? JSON.parse(line) : undefined;
      if (entry?.msg === 'request') loggedTrips.set(entry.id, entry.d1_round_trips);
    });
    onTestFinished(() => spy.mockRestore());
    const [member, admin] = [await makeUser(), await makeAdmin()];
    const [first, second] = [await seedBook(), await seedBook()];
    const created = await checkout(member, { book_ids: [first] });
    const { id } = await created.clone().json<{ id: number }>();
    const responses: [string, Response, number][] = [
      ['POST /loans', created, 1],
      ['GET /loans', await listLoans(admin), 1],
      ['GET /loans?status', await listLoans(member, '?status=active'), 1],
      ['GET /loans/{id}', await getLoan(member, id), 1],
      ['GET /loans/{id} of another member', await getLoan(await makeUser(), id), 1],
      ['add-book', await bookAction(member, id, 'add-book', second), 1],
      ['remove-book', await bookAction(member, id, 'remove-book', second), 1],
      ['renew', await loanAction(member, id, 'renew'), 1],
      ['return', await loanAction(member, id, 'return'), 1],
      ['conflict', await loanAction(member, id, 'return'), 1],
      ['DELETE', await call('DELETE', `/loans/${id}`, { token: admin.token }), 2],
    ];
    for (const [name, res, trips] of responses) {
      expect(loggedTrips.get(res.headers.get('X-Request-Id')!), name).toBe(trips);
      if (res.status < 400) expect(res.headers.get('Server-Timing'), name).toContain(`d1_round_trips;desc="${trips}"`);
      else expect(res.headers.get('Server-Timing'), name).toBeNull();
    }
  });

  it('reads with a stale role claim are answered for the stored role, in a second round trip', async () => {
    const [promoted, other, admin] = [await makeUser(), await makeUser(), await makeAdmin()];
    await expectStatus(await checkout(other, {}), 201);
    await env.DB.prepare("UPDATE users SET role = 'admin' WHERE id = ?").bind(promoted.id).run();
    const asAdmin = await listLoans(promoted, `?user_id=${other.id}`);
    expect(asAdmin.headers.get('Server-Timing')).toContain('d1_round_trips;desc="2"');
    expect((await expectStatus(asAdmin, 200)).total).toBe(1);

    await env.DB.prepare("UPDATE users SET role = 'member' WHERE id = ?").bind(admin.id).run();
    await expectProblem(await listLoans(admin, `?user_id=${other.id}`), 403, 'FORBIDDEN');
    expect((await expectStatus(await listLoans(admin), 200)).total).toBe(0);
  });
});

describe('OpenAPI', () => {
  it('documents every loan route with bearer security, parameters and its problems', async () => {
    const doc = await expectStatus(await call('GET', '/openapi.json'), 200);
    const operations = [
      ['/loans', 'post', ['201', '400', '403', '404', '409']],
      ['/loans', 'get', ['200', '400', '403']],
      ['/loans/{id}', 'get', ['200', '404']],
      ['/loans/{id}', 'delete', ['200', '403', '404']],
      ['/loans/{loan_id}/add-book/{book_id}', 'put', ['200', '404', '409']],
      ['/loans/{loan_id}/remove-book/{book_id}', 'put', ['200', '404', '409']],
      ['/loans/{id}/return', 'post', ['200', '404', '409']],
      ['/loans/{id}/renew', 'post', ['200', '404', '409']],
    ] as const;
    for (const [path, method, statuses] of operations) {
      const operation = doc.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation.summary).toEqual(expect.any(String));
      expect(operation.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining([...statuses, '401', '429']));
    }
    const listParams = doc.paths['/loans'].get.parameters.map((p: { name: string }) => p.name);
    expect(listParams).toEqual(expect.arrayContaining(['page', 'per_page', 'status', 'user_id']));
    expect(doc.components.schemas.Loan.properties).toHaveProperty('status');
  });
});

describe('list costs and per-borrower totals', () => {
  const rowsRead = (res: Response) => Number(/d1_rows_read;desc="(\d+)"/.exec(res.headers.get('Server-Timing') ?? '')?.[1]);

  it("keeps each borrower's total in a counter row, through checkouts, deletes and account removal", async () => {
    const [member, admin] = [await makeUser(), await makeAdmin()];
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await openLoan(member)).id);
    expect((await expectStatus(await listLoans(member), 200)).total).toBe(3);
    expect((await expectStatus(await listLoans(admin, `?user_id=${member.id}`), 200)).total).toBe(3);
    await expectStatus(await call('DELETE', `/loans/${ids[0]}`, { token: admin.token }), 200);
    expect((await expectStatus(await listLoans(member, '?status=returned'), 200)).total).toBe(0);
    for (const id of ids.slice(1)) await expectStatus(await loanAction(member, id, 'return'), 200);
    expect((await expectStatus(await listLoans(member, '?status=returned'), 200)).total).toBe(2);
    const before = (await expectStatus(await listLoans(admin), 200)).total;
    await expectStatus(await call('DELETE', '/users', { token: member.token }), 200);
    expect((await expectStatus(await listLoans(admin, `?user_id=${member.id}`), 200)).total).toBe(0);
    expect((await expectStatus(await listLoans(admin), 200)).total).toBe(before);
  });

  it('reads O(page) rows for a long history, and O(open loans) for status pages', async () => {
    const [member, admin] = [await makeUser(), await makeAdmin()];
    // 3,000 returned loans, oldest first, then a few open ones: the worst order for a scan.
    const values = Array.from({ length: 500 }, () => `(${member.id}, '2020-01-01', '2020-01-15', '2020-01-10')`).join(', ');
    const insert = env.DB.prepare(`INSERT INTO loans (user_id, loan_date, deadline, return_date) VALUES ${values}`);
    await env.DB.batch(Array.from({ length: 6 }, () => insert));
    for (let i = 0; i < 3; i++) await openLoan(member);

    const mine = await listLoans(member);
    expect((await mine.clone().json<{ total: number }>()).total).toBe(3003);
    expect(rowsRead(mine)).toBeLessThanOrEqual(20 * 3 + 10); // the page, the page again for its books, the counter
    const active = await listLoans(admin, '?status=active');
    expect(rowsRead(active)).toBeLessThan(500);
    expect(rowsRead(await listLoans(admin, `?user_id=${member.id}&page=2`))).toBeLessThanOrEqual(40 * 3 + 10);
  });
});
