import { beforeAll, describe, expect, it } from 'vitest';
import { toIsbn13 } from '../src/lib/isbn';
import { call, expectProblem, expectStatus, makeAdmin, makeBook, makeUser, type TestUser } from './helpers';

describe('toIsbn13 (checksums and conversion)', () => {
  it.each([
    ['0306406152', '9780306406157'],
    ['0-306-40615-2', '9780306406157'],
    ['0 306 40615 2', '9780306406157'],
    ['080442957X', '9780804429573'], // X check digit
    ['0-8044-2957-x', '9780804429573'], // lower-case x
    ['043942089X', '9780439420891'],
    ['9780306406157', '9780306406157'],
    ['978-0-306-40615-7', '9780306406157'],
    ['979-10-90636-07-1', '9791090636071'],
    ['  978 0 306 40615 7 ', '9780306406157'], // trimmed
  ])('accepts %s as %s', (input, isbn13) => {
    expect(toIsbn13(input)).toEqual({ isbn: isbn13 });
  });

  it.each([
    ['0306406153', /ISBN-10 check digit/], // wrong ISBN-10 check digit
    ['080442957Y', /digits/],
    ['0804429575', /ISBN-10 check digit/], // X replaced by a digit
    ['9780306406158', /ISBN-13 check digit/], // wrong ISBN-13 check digit
    ['9770306406155', /978 or 979/], // not a book prefix
    ['97803064061', /10 or 13/], // 11 digits
    ['978030640615X', /10 or 13/], // X is only an ISBN-10 check digit
    ['978--0306406157', /digits/], // doubled separator
    ['-9780306406157', /digits/], // leading separator
    ['978_0306406157', /digits/],
    ['', /digits/],
    ['9'.repeat(40), /at most/],
  ])('rejects %s', (input, message) => {
    const result = toIsbn13(input);
    expect(result).toHaveProperty('error');
    expect((result as { error: string }).error).toMatch(message);
  });
});

describe('isbn on books', () => {
  let admin: TestUser;
  beforeAll(async () => {
    admin = await makeAdmin();
  });

  it('is optional, stored and shown as ISBN-13 when given as ISBN-10', async () => {
    expect((await makeBook(admin)).isbn).toBeNull();
    const book = await makeBook(admin, { isbn: '0-06-025492-0' });
    expect(book.isbn).toBe('9780060254926');
    expect(await expectStatus(await call('GET', `/books/${book.id}`), 200)).toMatchObject({ isbn: '9780060254926' });
  });

  it('is unique across forms: 409 ISBN_TAKEN', async () => {
    await makeBook(admin, { isbn: '978-0-441-47812-5' });
    await expectProblem(await call('POST', '/books', { token: admin.token, body: bookBody({ isbn: '0441478123' }) }), 409, 'ISBN_TAKEN');
    const other = await makeBook(admin);
    await expectProblem(await call('PATCH', `/books/${other.id}`, { token: admin.token, body: { isbn: '9780441478125' } }), 409, 'ISBN_TAKEN');
  });

  it('rejects a malformed ISBN or a wrong check digit with 400 on isbn', async () => {
    for (const isbn of ['0306406153', '123', 'ISBN 9780306406157', 9780306406157]) {
      const problem = await expectProblem(await call('POST', '/books', { token: admin.token, body: bookBody({ isbn }) }), 400, 'VALIDATION_FAILED');
      expect(problem.errors).toHaveProperty('isbn');
    }
  });

  it('PUT leaves an omitted isbn unchanged and clears it with null; PATCH likewise', async () => {
    const book = await makeBook(admin, { isbn: '0-306-40615-2' });
    const { id } = book;
    const fields = { title: book.title, author: book.author, genre: book.genre, age_category: book.age_category, publish_date: book.publish_date };
    const kept = await expectStatus(await call('PUT', `/books/${id}`, { token: admin.token, body: { ...fields, genre: 'Reference' } }), 200);
    expect(kept).toMatchObject({ genre: 'Reference', isbn: '9780306406157' });
    const cleared = await expectStatus(await call('PUT', `/books/${id}`, { token: admin.token, body: { ...fields, isbn: null } }), 200);
    expect(cleared.isbn).toBeNull();
    const set = await expectStatus(await call('PATCH', `/books/${id}`, { token: admin.token, body: { isbn: '9780306406157' } }), 200);
    expect(set.isbn).toBe('9780306406157');
    expect((await expectStatus(await call('PATCH', `/books/${id}`, { token: admin.token, body: { genre: 'X' } }), 200)).isbn).toBe('9780306406157');
    // Two books without an ISBN never collide.
    expect((await expectStatus(await call('PATCH', `/books/${id}`, { token: admin.token, body: { isbn: null } }), 200)).isbn).toBeNull();
    await makeBook(admin);
  });
});

describe('GET /books/by-isbn/{isbn}', () => {
  it('finds a book by either form; 404 unknown; 400 malformed; anyone may read', async () => {
    const admin = await makeAdmin();
    const book = await makeBook(admin, { isbn: '080442957X' });
    for (const form of ['080442957X', '0-8044-2957-x', '9780804429573', '978-0-8044-2957-3', '978%200%208044%202957%203']) {
      expect(await expectStatus(await call('GET', `/books/by-isbn/${form}`), 200)).toEqual(book);
    }
    await expectProblem(await call('GET', '/books/by-isbn/9780306406157'), 404, 'NOT_FOUND');
    const problem = await expectProblem(await call('GET', '/books/by-isbn/9780804429574'), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveProperty('isbn');
    await expectProblem(await call('GET', '/books/by-isbn/abc'), 400, 'VALIDATION_FAILED');
    const member = await makeUser();
    await expectStatus(await call('GET', '/books/by-isbn/9780804429573', { token: member.token }), 200);
    const res = await call('DELETE', '/books/by-isbn/9780804429573', { token: admin.token });
    await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('Allow')).toBe('GET, HEAD');
  });
});

describe('GET /books/search?isbn=', () => {
  it('matches exactly, in either form, combined with the other criteria (AND)', async () => {
    const admin = await makeAdmin();
    const book = await makeBook(admin, { isbn: '043942089X', title: 'Harry Potter and the Search Test', author: 'Searchable Author' });
    await makeBook(admin, { title: 'Harry Potter and the Other Search Test', author: 'Searchable Author' });
    const ids = async (query: string) => (await expectStatus(await call('GET', `/books/search?${query}`), 200)).items.map((b: { id: number }) => b.id);
    expect(await ids('isbn=043942089X')).toEqual([book.id]);
    expect(await ids('isbn=978-0-439-42089-1')).toEqual([book.id]);
    expect(await ids('isbn=9780439420891&title=harry')).toEqual([book.id]);
    expect(await ids('isbn=9780439420891&author=se')).toEqual([book.id]); // a short term (LIKE) beside it
    expect(await ids('isbn=9780439420891&title=other')).toEqual([]);
    expect(await ids('isbn=9780306406157')).toEqual([]);
    expect((await ids('isbn=&title=search%20test')).length).toBe(2); // empty isbn = no criterion
    const page = await expectStatus(await call('GET', '/books/search?isbn=9780439420891'), 200);
    expect(page).toMatchObject({ total: 1, page: 1 });
    const problem = await expectProblem(await call('GET', '/books/search?isbn=9780439420892'), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveProperty('isbn');
  });
});

let counter = 0;
function bookBody(fields: Record<string, unknown>) {
  return { title: `ISBN test ${Date.now().toString(36)} ${++counter}`, genre: 'Fiction', age_category: 'Adult', publish_date: '2001-01-01', author: 'A', ...fields };
}
