import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem, expectStatus, makeAdmin, makeBook, makeUser, type TestUser } from './helpers';

let admin: TestUser;
let member: TestUser;
beforeAll(async () => {
  [admin, member] = await Promise.all([makeAdmin(), makeUser()]);
});

let n = 0;
const code = (prefix = 'BC') => `${prefix}-${Date.now().toString(36)}-${++n}`.toUpperCase();
const addCopy = (bookId: number, body: unknown = {}, token = admin.token) => call('POST', `/books/${bookId}/copies`, { token, body });
const bookCounts = async (id: number) => {
  const book = await expectStatus(await call('GET', `/books/${id}`), 200);
  return { copies: book.copies, available_copies: book.available_copies, holds_waiting: book.holds_waiting, available: book.available };
};

describe('POST /books with copies', () => {
  it('creates `copies` copies with assigned barcodes in the same write (default 1)', async () => {
    const book = await makeBook(admin, { copies: 3 });
    expect(book).toMatchObject({ copies: 3, available_copies: 3, holds_waiting: 0, available: true });
    const page = await expectStatus(await call('GET', `/books/${book.id}/copies`), 200);
    expect(page.total).toBe(3);
    for (const copy of page.items) {
      expect(copy).toEqual({ id: copy.id, book_id: book.id, barcode: `C${String(copy.id).padStart(8, '0')}`, location: null, status: 'available' });
    }
    expect(await makeBook(admin)).toMatchObject({ copies: 1, available_copies: 1 });
    const none = await makeBook(admin, { copies: 0 });
    expect(none).toMatchObject({ copies: 0, available_copies: 0, available: false });
  });

  it.each([[51], [-1], [1.5], ['2']])('refuses copies = %j with 400', async (copies) => {
    const problem = await expectProblem(
      await call('POST', '/books', {
        token: admin.token,
        body: { title: `T ${code()}`, genre: 'G', age_category: 'A', publish_date: '2000-01-01', author: 'A', copies },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expect(problem.errors).toHaveProperty(['copies']);
  });

  it('refuses copies in PUT and PATCH /books', async () => {
    const book = await makeBook(admin);
    const fields = { title: book.title, genre: 'G', age_category: 'A', publish_date: '2000-01-01', author: 'A' };
    await expectProblem(await call('PUT', `/books/${book.id}`, { token: admin.token, body: { ...fields, copies: 2 } }), 400, 'VALIDATION_FAILED');
    await expectProblem(await call('PATCH', `/books/${book.id}`, { token: admin.token, body: { copies: 2 } }), 400, 'VALIDATION_FAILED');
  });
});

describe('POST /books/{id}/copies and reads', () => {
  it('stores the barcode upper-case, finds it ignoring case, and refuses it again in any case (409 BARCODE_TAKEN)', async () => {
    const book = await makeBook(admin, { copies: 0 });
    const barcode = code('lib');
    const res = await addCopy(book.id, { barcode: barcode.toLowerCase(), location: '  Shelf B3 ' });
    const copy = await expectStatus(res, 201);
    expect(res.headers.get('Location')).toBe(`/copies/${copy.id}`);
    expect(res.headers.get('ETag')).toMatch(/^"\d+"$/);
    expect(copy).toEqual({ id: copy.id, book_id: book.id, barcode, location: 'Shelf B3', status: 'available' });
    expect(await expectStatus(await call('GET', `/copies/by-barcode/${barcode.toLowerCase()}`), 200)).toEqual(copy);
    expect(await expectStatus(await call('GET', `/copies/${copy.id}`), 200)).toEqual(copy);
    await expectProblem(await addCopy(book.id, { barcode: barcode.toLowerCase() }), 409, 'BARCODE_TAKEN');
    expect(await bookCounts(book.id)).toEqual({ copies: 1, available_copies: 1, holds_waiting: 0, available: true });
  });

  it('assigns C + id when the barcode is omitted, and refuses that reserved form from clients in either case', async () => {
    const book = await makeBook(admin, { copies: 0 });
    const copy = await expectStatus(await addCopy(book.id), 201);
    expect(copy.barcode).toBe(`C${String(copy.id).padStart(8, '0')}`);
    for (const barcode of ['C12345678', 'c12345678']) {
      const problem = await expectProblem(await addCopy(book.id, { barcode }), 400, 'VALIDATION_FAILED');
      expect(problem.errors).toHaveProperty(['barcode']);
    }
    for (const barcode of ['', 'has space', 'x'.repeat(33), 'ünï', 'a_b']) {
      await expectProblem(await addCopy(book.id, { barcode }), 400, 'VALIDATION_FAILED');
    }
    await expectProblem(await addCopy(book.id, { status: 'lost' }), 400, 'VALIDATION_FAILED');
    await expectProblem(await addCopy(book.id, { location: 'x'.repeat(101) }), 400, 'VALIDATION_FAILED');
  });

  it('answers 404 for an unknown book or copy, 400 for a malformed barcode, 403 for members', async () => {
    await expectProblem(await addCopy(999_999), 404, 'NOT_FOUND');
    await expectProblem(await call('GET', '/books/999999/copies'), 404, 'NOT_FOUND');
    await expectProblem(await call('GET', '/copies/999999'), 404, 'NOT_FOUND');
    await expectProblem(await call('GET', '/copies/by-barcode/NOPE-404'), 404, 'NOT_FOUND');
    await expectProblem(await call('GET', '/copies/by-barcode/bad%20code'), 400, 'VALIDATION_FAILED');
    await expectProblem(await call('GET', '/copies/abc'), 400, 'VALIDATION_FAILED');
    const book = await makeBook(admin);
    await expectProblem(await addCopy(book.id, {}, member.token), 403, 'FORBIDDEN');
    await expectProblem(await call('PATCH', `/copies/1`, { token: member.token, body: { location: 'x' } }), 403, 'FORBIDDEN');
    await expectProblem(await call('DELETE', `/copies/1`, { token: member.token }), 403, 'FORBIDDEN');
  });

  it('pages a book’s copies by id', async () => {
    const book = await makeBook(admin, { copies: 5 });
    const page = await expectStatus(await call('GET', `/books/${book.id}/copies?per_page=2&page=2`), 200);
    expect(page).toMatchObject({ page: 2, per_page: 2, total: 5, pages: 3, has_next: true, has_prev: true });
    expect(page.items[0].id).toBeLessThan(page.items[1].id);
  });
});

describe('PATCH and DELETE /copies/{id}', () => {
  const patch = (id: number, body: unknown) => call('PATCH', `/copies/${id}`, { token: admin.token, body });

  it('changes location, withdraws and restores a copy, keeping the book’s counts and raising the ETag', async () => {
    const book = await makeBook(admin, { copies: 2 });
    const [copy] = (await expectStatus(await call('GET', `/books/${book.id}/copies`), 200)).items;
    const before = (await call('GET', `/copies/${copy.id}`)).headers.get('ETag');
    const res = await patch(copy.id, { location: 'Stack 9' });
    expect(await expectStatus(res, 200)).toMatchObject({ location: 'Stack 9', status: 'available' });
    expect(res.headers.get('ETag')).not.toBe(before);
    await expectStatus(await patch(copy.id, { status: 'withdrawn' }), 200);
    expect(await bookCounts(book.id)).toEqual({ copies: 1, available_copies: 1, holds_waiting: 0, available: true });
    await expectStatus(await patch(copy.id, { status: 'lost' }), 200);
    expect(await bookCounts(book.id)).toEqual({ copies: 2, available_copies: 1, holds_waiting: 0, available: true });
    expect(await expectStatus(await patch(copy.id, { status: 'available', location: null }), 200)).toMatchObject({ status: 'available', location: null });
    expect(await bookCounts(book.id)).toEqual({ copies: 2, available_copies: 2, holds_waiting: 0, available: true });
    await expectProblem(await patch(copy.id, {}), 400, 'VALIDATION_FAILED');
    await expectProblem(await patch(copy.id, { status: 'on_loan' }), 400, 'VALIDATION_FAILED');
    await expectProblem(await patch(999_999, { location: 'x' }), 404, 'NOT_FOUND');
  });

  it('refuses available/withdrawn for a copy that is out; lost checks it in on its loan, which ends', async () => {
    const book = await makeBook(admin, { copies: 1 });
    const [copy] = (await expectStatus(await call('GET', `/books/${book.id}/copies`), 200)).items;
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: { barcodes: [copy.barcode] } }), 201);
    await expectProblem(await patch(copy.id, { status: 'available' }), 409, 'COPY_ON_LOAN');
    await expectProblem(await patch(copy.id, { status: 'withdrawn' }), 409, 'COPY_ON_LOAN');
    await expectProblem(await call('DELETE', `/copies/${copy.id}`, { token: admin.token }), 409, 'COPY_ON_LOAN');
    await expectProblem(await call('DELETE', `/books/${book.id}`, { token: admin.token }), 409, 'BOOK_ON_ACTIVE_LOAN');
    expect(await expectStatus(await patch(copy.id, { location: 'Desk' }), 200)).toMatchObject({ status: 'on_loan', location: 'Desk' });
    expect(await expectStatus(await patch(copy.id, { status: 'lost' }), 200)).toMatchObject({ status: 'lost' });
    const after = await expectStatus(await call('GET', `/loans/${loan.id}`, { token: member.token }), 200);
    const day = new Date().toISOString().slice(0, 10);
    expect(after).toMatchObject({ return_date: day, status: 'returned', copies: [{ id: copy.id, return_date: day }] });
    expect(await bookCounts(book.id)).toEqual({ copies: 1, available_copies: 0, holds_waiting: 0, available: false });
    // Checking in a lost copy marks it found, with no loan.
    const found = await expectStatus(await call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: copy.barcode } }), 200);
    expect(found).toMatchObject({ copy: { id: copy.id, status: 'available' }, loan: null, hold: null });
  });

  it('deletes a copy on the shelf; a book whose copies are all in goes with them', async () => {
    const book = await makeBook(admin, { copies: 2 });
    const [first] = (await expectStatus(await call('GET', `/books/${book.id}/copies`), 200)).items;
    expect(await expectStatus(await call('DELETE', `/copies/${first.id}`, { token: admin.token }), 200)).toEqual({ message: `Copy ${first.id} has been deleted.` });
    await expectProblem(await call('DELETE', `/copies/${first.id}`, { token: admin.token }), 404, 'NOT_FOUND');
    expect(await bookCounts(book.id)).toMatchObject({ copies: 1, available_copies: 1 });
    await expectStatus(await call('DELETE', `/books/${book.id}`, { token: admin.token }), 200);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM copies WHERE book_id = ?').bind(book.id).first('n')).toBe(0);
  });
});
