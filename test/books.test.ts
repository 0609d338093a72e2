import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOOK_FIELDS, call, expectProblem, expectStatus, makeAdmin, makeBook, makeUser, seedBook, type TestUser } from './helpers';

let counter = 0;
/** Unique per call, so every test owns its titles (they share this file's database). */
const uid = () => `${Date.now().toString(36)}x${++counter}`;

const bookFields = (overrides: Record<string, unknown> = {}) => ({
  title: `A Book ${uid()}`,
  genre: 'Fiction',
  age_category: 'Adult',
  publish_date: '2001-01-01',
  author: 'Some Author',
  ...overrides,
});

/** A loan written straight into D1 (the loans module's job) on each book's first copy; triggers keep readers and counts. */
async function lend(bookIds: number[], { active = false } = {}) {
  const loan = await env.DB.prepare(
    "INSERT INTO loans (user_id, loan_date, deadline, return_date) VALUES (NULL, '2026-01-01', '2026-01-15', ?) RETURNING id",
  )
    .bind(active ? null : '2026-01-10')
    .first<{ id: number }>();
  await env.DB.batch(
    bookIds.map((book) => env.DB.prepare('INSERT INTO loan_books (loan_id, book_id, copy_id, active) VALUES (?, ?, (SELECT min(id) FROM copies WHERE book_id = ?), ?)')
        .bind(loan!.id, book, book, active ? 1 : 0),
    ),
  );
  return loan!.id;
}

const returnLoan = (loanId: number) =>
  env.DB.batch([
    env.DB.prepare("UPDATE loans SET return_date = '2026-01-10' WHERE id = ?").bind(loanId),
    env.DB.prepare('UPDATE loan_books SET active = 0 WHERE loan_id = ?').bind(loanId),
  ]);

const bookCounter = async () => (await env.DB.prepare("SELECT value FROM counters WHERE name = 'books'").first<number>('value'))!;

// Writes are limited to 60 a minute per user: each group gets its own admin.
let admin: TestUser;
let member: TestUser;
beforeAll(async () => {
  [admin, member] = await Promise.all([makeAdmin(), makeUser()]);
});

describe('POST /books', () => {
  it('creates a book: 201, Location, trimmed fields, available', async () => {
    const title = `  The Dispossessed ${uid()}  `;
    const res = await call('POST', '/books', { token: admin.token, body: bookFields({ title, author: ' Ursula K. Le Guin ' }) });
    const book = await expectStatus(res, 201);
    expect(res.headers.get('Location')).toBe(`/books/${book.id}`);
    expect(book).toEqual({
      id: book.id,
      title: title.trim(),
      genre: 'Fiction',
      age_category: 'Adult',
      publish_date: '2001-01-01',
      author: 'Ursula K. Le Guin',
      isbn: null,
      copies: 1,
      available_copies: 1,
      holds_waiting: 0,
      available: true,
    });
    expect(await expectStatus(await call('GET', `/books/${book.id}`), 200)).toEqual(book);
  });

  it('is for admins: 401 without a token, 403 for a member', async () => {
    const anonymous = await call('POST', '/books', { body: bookFields() });
    expect(anonymous.headers.get('WWW-Authenticate')).toContain('Bearer');
    await expectProblem(anonymous, 401, 'UNAUTHENTICATED');
    await expectProblem(await call('POST', '/books', { token: member.token, body: bookFields() }), 403, 'FORBIDDEN');
    await expectProblem(await call('POST', '/books', { token: 'not.a.token', body: bookFields() }), 401, 'UNAUTHENTICATED');
  });

  it('refuses a title taken in another case or with other spacing: 409 TITLE_TAKEN', async () => {
    const title = `Dune ${uid()}`;
    await makeBook(admin, { title });
    await expectProblem(await call('POST', '/books', { token: admin.token, body: bookFields({ title: title.toUpperCase() }) }), 409, 'TITLE_TAKEN');
    await expectProblem(await call('POST', '/books', { token: admin.token, body: bookFields({ title: ` ${title.toLowerCase()} ` }) }), 409, 'TITLE_TAKEN');
  });

  it('folds case beyond ASCII: Éclair Straße and ÉCLAIR STRASSE are one title (also in NFD)', async () => {
    const suffix = uid();
    await makeBook(admin, { title: `Éclair Straße ${suffix}` });
    for (const title of [`ÉCLAIR STRASSE ${suffix}`, `e\u0301clair straße ${suffix}`]) {
      await expectProblem(await call('POST', '/books', { token: admin.token, body: bookFields({ title }) }), 409, 'TITLE_TAKEN');
    }
  });

  it('keeps raw SQL inserts (seeds, consoles) in the uniqueness check', async () => {
    const title = `Raw Insert ${uid()}`;
    await seedBook({ title });
    await expectProblem(await call('POST', '/books', { token: admin.token, body: bookFields({ title: title.toUpperCase() }) }), 409, 'TITLE_TAKEN');
  });

  it('lets exactly one of two racing creates with the same title win', async () => {
    const title = `Race ${uid()}`;
    const results = await Promise.all([title, title.toUpperCase()].map((t) => call('POST', '/books', { token: admin.token, body: bookFields({ title: t }) })));
    expect(results.map((res) => res.status).sort()).toEqual([201, 409]);
    await expectProblem(results.find((res) => res.status === 409)!, 409, 'TITLE_TAKEN');
  });

  it('requires every field', async () => {
    const problem = await expectProblem(await call('POST', '/books', { token: admin.token, body: {} }), 400, 'VALIDATION_FAILED');
    expect(Object.keys(problem.errors).sort()).toEqual(['age_category', 'author', 'genre', 'publish_date', 'title']);
    expect(problem.errors.title).toEqual(['Required.']);
  });

  describe('field rules', () => {
    let validator: TestUser;
    beforeAll(async () => {
      validator = await makeAdmin();
    });

    it.each([
      ['an empty title', { title: '   ' }, 'title'],
      ['a 201-character title', { title: 'x'.repeat(201) }, 'title'],
      ['a 201-character author', { author: 'x'.repeat(201) }, 'author'],
      ['a 51-character genre', { genre: 'x'.repeat(51) }, 'genre'],
      ['a 51-character age category', { age_category: 'x'.repeat(51) }, 'age_category'],
      ['an empty genre', { genre: '' }, 'genre'],
      ['a control character', { title: 'Bad\u0000Title' }, 'title'],
      ['February 30th', { publish_date: '2023-02-30' }, 'publish_date'],
      ['February 29th of a common year', { publish_date: '2023-02-29' }, 'publish_date'],
      ['a date without padding', { publish_date: '2023-2-3' }, 'publish_date'],
      ['a timestamp', { publish_date: '2023-02-03T00:00:00Z' }, 'publish_date'],
      ['a wrong type', { title: 42 }, 'title'],
      ['an unknown field', { readers: 99 }, 'readers'],
      ['a derived field', { available: false }, 'available'],
      ['an id', { id: 5 }, 'id'],
    ])('rejects %s with 400 on that field', async (_, overrides, field) => {
      const problem = await expectProblem(await call('POST', '/books', { token: validator.token, body: bookFields(overrides) }), 400, 'VALIDATION_FAILED');
      expect(Object.keys(problem.errors)).toEqual([field]);
    });

    it('accepts the bounds: 200-character title and author, 50-character genre, a leap day', async () => {
      const book = await makeBook(validator, {
        title: `${uid()}${'t'.repeat(200)}`.slice(0, 200),
        author: 'a'.repeat(200),
        genre: 'g'.repeat(50),
        age_category: 'c'.repeat(50),
        publish_date: '2024-02-29',
      });
      expect(book.title).toHaveLength(200);
      expect(book.publish_date).toBe('2024-02-29');
    });
  });

  it('answers 415 for a non-JSON body and 400 for malformed JSON', async () => {
    await expectProblem(
      await call('POST', '/books', { token: admin.token, body: 'title=x', headers: { 'Content-Type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await expectProblem(await call('POST', '/books', { token: admin.token, body: '{"title": ' }), 400, 'MALFORMED_JSON');
  });
});

describe('GET /books/{id}', () => {
  it('reads a book for anyone, with `available` following active loans', async () => {
    const id = await seedBook();
    expect(await expectStatus(await call('GET', `/books/${id}`), 200)).toMatchObject({ id, available: true });
    const loan = await lend([id], { active: true });
    expect(await expectStatus(await call('GET', `/books/${id}`, { token: member.token }), 200)).toMatchObject({ id, available: false });
    await returnLoan(loan);
    expect(await expectStatus(await call('GET', `/books/${id}`), 200)).toMatchObject({ id, available: true });
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    await expectProblem(await call('GET', '/books/999999999'), 404, 'NOT_FOUND');
    for (const bad of ['abc', '0', '-1', '1.5', '01', '99999999999999999999']) {
      const problem = await expectProblem(await call('GET', `/books/${bad}`), 400, 'VALIDATION_FAILED');
      expect(problem.errors).toHaveProperty('id');
    }
  });
});

describe('PUT /books/{id}', () => {
  let editor: TestUser;
  beforeAll(async () => {
    editor = await makeAdmin();
  });

  it('replaces every field', async () => {
    const book = await makeBook(editor);
    const replacement = bookFields({ genre: 'Poetry', age_category: 'Children', publish_date: '1999-12-31', author: 'New Author' });
    const updated = await expectStatus(await call('PUT', `/books/${book.id}`, { token: editor.token, body: replacement }), 200);
    expect(updated).toEqual({ id: book.id, ...replacement, isbn: null, copies: 1, available_copies: 1, holds_waiting: 0, available: true });
    expect(await expectStatus(await call('GET', `/books/${book.id}`), 200)).toEqual(updated);
  });

  it('requires all fields', async () => {
    const book = await makeBook(editor);
    const { author: _, ...withoutAuthor } = bookFields();
    const problem = await expectProblem(await call('PUT', `/books/${book.id}`, { token: editor.token, body: withoutAuthor }), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toEqual({ author: ['Required.'] });
  });

  it('keeps titles unique: 409 for another book\'s title, 200 for its own in another case', async () => {
    const [first, second] = [await makeBook(editor), await makeBook(editor)];
    await expectProblem(
      await call('PUT', `/books/${second.id}`, { token: editor.token, body: bookFields({ title: first.title.toLowerCase() }) }),
      409,
      'TITLE_TAKEN',
    );
    const renamed = await expectStatus(
      await call('PUT', `/books/${first.id}`, { token: editor.token, body: bookFields({ title: first.title.toUpperCase() }) }),
      200,
    );
    expect(renamed.title).toBe(first.title.toUpperCase());
  });

  it('answers 404 for an unknown book, 401 and 403 for non-admins', async () => {
    await expectProblem(await call('PUT', '/books/999999999', { token: editor.token, body: bookFields() }), 404, 'NOT_FOUND');
    const book = await makeBook(editor);
    await expectProblem(await call('PUT', `/books/${book.id}`, { body: bookFields() }), 401, 'UNAUTHENTICATED');
    await expectProblem(await call('PUT', `/books/${book.id}`, { token: member.token, body: bookFields() }), 403, 'FORBIDDEN');
  });
});

describe('PATCH /books/{id}', () => {
  let editor: TestUser;
  beforeAll(async () => {
    editor = await makeAdmin();
  });

  it('changes only the fields sent', async () => {
    const book = await makeBook(editor);
    const patched = await expectStatus(await call('PATCH', `/books/${book.id}`, { token: editor.token, body: { genre: ' Horror ' } }), 200);
    expect(patched).toEqual({ ...book, genre: 'Horror' });
  });

  it('refuses an empty patch, unknown fields and invalid values with 400', async () => {
    const book = await makeBook(editor);
    const empty = await expectProblem(await call('PATCH', `/books/${book.id}`, { token: editor.token, body: {} }), 400, 'VALIDATION_FAILED');
    expect(empty.errors).toEqual({ body: ['Send at least one field to change.'] });
    const unknown = await expectProblem(
      await call('PATCH', `/books/${book.id}`, { token: editor.token, body: { genre: 'Horror', on_loan: false } }),
      400,
      'VALIDATION_FAILED',
    );
    expect(unknown.errors).toEqual({ on_loan: ['Unknown field.'] });
    await expectProblem(await call('PATCH', `/books/${book.id}`, { token: editor.token, body: { publish_date: '2023-02-30' } }), 400, 'VALIDATION_FAILED');
    await expectProblem(await call('PATCH', `/books/${book.id}`, { token: editor.token, body: { title: '' } }), 400, 'VALIDATION_FAILED');
    expect(await expectStatus(await call('GET', `/books/${book.id}`), 200)).toEqual(book);
  });

  it('answers 409 for a taken title, 404 for an unknown book, 403 for a member', async () => {
    const [first, second] = [await makeBook(editor), await makeBook(editor)];
    await expectProblem(await call('PATCH', `/books/${second.id}`, { token: editor.token, body: { title: first.title.toUpperCase() } }), 409, 'TITLE_TAKEN');
    await expectProblem(await call('PATCH', '/books/999999999', { token: editor.token, body: { genre: 'X' } }), 404, 'NOT_FOUND');
    await expectProblem(await call('PATCH', `/books/${first.id}`, { token: member.token, body: { genre: 'X' } }), 403, 'FORBIDDEN');
    await expectProblem(await call('PATCH', `/books/${first.id}`, { body: { genre: 'X' } }), 401, 'UNAUTHENTICATED');
  });
});

describe('DELETE /books/{id}', () => {
  let editor: TestUser;
  beforeAll(async () => {
    editor = await makeAdmin();
  });

  it('deletes a book: 200 message, then 404, and the counter follows', async () => {
    const id = await seedBook();
    const before = await bookCounter();
    const body = await expectStatus(await call('DELETE', `/books/${id}`, { token: editor.token }), 200);
    expect(body).toEqual({ message: expect.any(String) });
    expect(await bookCounter()).toBe(before - 1);
    await expectProblem(await call('GET', `/books/${id}`), 404, 'NOT_FOUND');
    await expectProblem(await call('DELETE', `/books/${id}`, { token: editor.token }), 404, 'NOT_FOUND');
  });

  it('refuses while the book is on an active loan (409 BOOK_ON_ACTIVE_LOAN), allows it once returned', async () => {
    const id = await seedBook();
    const loan = await lend([id], { active: true });
    await expectProblem(await call('DELETE', `/books/${id}`, { token: editor.token }), 409, 'BOOK_ON_ACTIVE_LOAN');
    expect(await expectStatus(await call('GET', `/books/${id}`), 200)).toMatchObject({ id, available: false });
    await returnLoan(loan);
    await expectStatus(await call('DELETE', `/books/${id}`, { token: editor.token }), 200);
    // The returned loan stays; it just no longer holds the book.
    expect(await env.DB.prepare('SELECT count(*) AS n FROM loan_books WHERE loan_id = ?').bind(loan).first('n')).toBe(0);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM loans WHERE id = ?').bind(loan).first('n')).toBe(1);
  });

  it('lets exactly one of two racing deletes succeed', async () => {
    const id = await seedBook();
    const results = await Promise.all([1, 2].map(() => call('DELETE', `/books/${id}`, { token: editor.token })));
    expect(results.map((res) => res.status).sort()).toEqual([200, 404]);
  });

  it('is for admins only, and validates the id', async () => {
    const id = await seedBook();
    await expectProblem(await call('DELETE', `/books/${id}`), 401, 'UNAUTHENTICATED');
    await expectProblem(await call('DELETE', `/books/${id}`, { token: member.token }), 403, 'FORBIDDEN');
    await expectProblem(await call('DELETE', '/books/abc', { token: editor.token }), 400, 'VALIDATION_FAILED');
    await expectStatus(await call('GET', `/books/${id}`), 200);
  });
});

describe('GET /books', () => {
  beforeAll(async () => {
    for (let i = 0; i < 7; i++) await seedBook();
  });

  it('answers the page envelope with the counter as total, X-Total-Count and Link', async () => {
    const res = await call('GET', '/books?per_page=3&page=2');
    const page = await expectStatus(res, 200);
    const total = await bookCounter();
    const pages = Math.ceil(total / 3);
    expect(page).toMatchObject({ page: 2, per_page: 3, total, pages, has_next: pages > 2, has_prev: true });
    expect(page.items).toHaveLength(3);
    expect(res.headers.get('X-Total-Count')).toBe(String(total));
    const link = res.headers.get('Link')!;
    expect(link).toContain('</books?page=1&per_page=3>; rel="first"');
    expect(link).toContain('</books?page=1&per_page=3>; rel="prev"');
    expect(link).toContain('</books?page=3&per_page=3>; rel="next"');
    expect(link).toContain(`</books?page=${pages}&per_page=3>; rel="last"`);
    for (const book of page.items) {
      expect(Object.keys(book).sort()).toEqual(BOOK_FIELDS);
    }
  });

  it('orders by id, and consecutive pages neither overlap nor skip', async () => {
    const [one, two] = await Promise.all([1, 2].map(async (n) => (await expectStatus(await call('GET', `/books?per_page=4&page=${n}`), 200)).items));
    const ids = [...one, ...two].map((book: { id: number }) => book.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(8);
    const { results } = await env.DB.prepare('SELECT id FROM books ORDER BY id LIMIT 8').all<{ id: number }>();
    expect(ids).toEqual(results.map((row) => row.id));
  });

  it('defaults to page 1 of 20, and a page past the end is empty', async () => {
    const first = await expectStatus(await call('GET', '/books'), 200);
    expect(first).toMatchObject({ page: 1, per_page: 20, has_prev: false });
    const past = await expectStatus(await call('GET', '/books?page=100000'), 200);
    expect(past).toMatchObject({ items: [], page: 100000, has_next: false, has_prev: true });
  });

  it.each([
    ['page=0', 'page'],
    ['page=-1', 'page'],
    ['page=abc', 'page'],
    ['page=1.5', 'page'],
    ['per_page=0', 'per_page'],
    ['per_page=101', 'per_page'],
    ['per_page=', 'per_page'],
  ])('refuses %s with 400 and errors', async (query, field) => {
    const problem = await expectProblem(await call('GET', `/books?${query}`), 400, 'VALIDATION_FAILED');
    expect(Object.keys(problem.errors)).toEqual([field]);
  });

  it('ignores unknown query parameters', async () => {
    await expectStatus(await call('GET', '/books?sort=title&per_page=2'), 200);
  });
});

describe('GET /books/search', () => {
  const search = async (query: string) => expectStatus(await call('GET', `/books/search?${query}`), 200);
  const titles = (page: { items: { title: string }[] }) => page.items.map((book) => book.title).sort();

  it('matches case-insensitive substrings of title, author and genre, combined with AND', async () => {
    const tag = uid();
    await seedBook({ title: `Quartz Harbour ${tag}`, author: 'Mira Okafor', genre: `Mystery${tag}` });
    await seedBook({ title: `Quartz Meadow ${tag}`, author: 'Lars Novak', genre: `Mystery${tag}` });
    await seedBook({ title: `Velvet Harbour ${tag}`, author: 'Mira Okafor', genre: `Poetry${tag}` });
    expect(titles(await search(`title=QUARTZ%20H&genre=${tag}`))).toEqual([`Quartz Harbour ${tag}`]);
    expect(titles(await search(`title=${tag}&author=okaf`))).toEqual([`Quartz Harbour ${tag}`, `Velvet Harbour ${tag}`]);
    expect(titles(await search(`genre=mystery${tag}`))).toEqual([`Quartz Harbour ${tag}`, `Quartz Meadow ${tag}`]);
    expect(titles(await search(`title=${tag}&author=okafor&genre=poetry`))).toEqual([`Velvet Harbour ${tag}`]);
    expect((await search(`title=${tag}&author=nobody`)).items).toEqual([]);
    // An empty parameter is no criterion.
    expect(titles(await search(`title=harbour%20${tag}&author=&genre=`))).toEqual([`Quartz Harbour ${tag}`, `Velvet Harbour ${tag}`]);
  });

  it('matches terms shorter than three characters too (LIKE), alone or beside indexed terms', async () => {
    const tag = uid();
    await seedBook({ title: `Short Qz ${tag}`, author: 'Jo', genre: `Genre${tag}` });
    await seedBook({ title: `Short Other ${tag}`, author: 'Ann', genre: `Genre${tag}` });
    expect(titles(await search(`genre=${tag}&author=jo`))).toEqual([`Short Qz ${tag}`]);
    expect(titles(await search(`genre=${tag}&title=QZ`))).toEqual([`Short Qz ${tag}`]);
    // Short terms only: a scan, still exact.
    const scan = await search('title=qz&per_page=100');
    expect(titles(scan)).toContain(`Short Qz ${tag}`);
    for (const title of titles(scan)) expect(title.toLowerCase()).toContain('qz');
  });

  it('treats %, _, \\, quotes and full-text operators as plain text', async () => {
    const tag = uid();
    const make = (title: string, author = 'Plain') => seedBook({ title: `${title} ${tag}`, author, genre: `Special${tag}` });
    await make('Sale 100% Off', 'A_B');
    await make('Sale 100X Off', 'AXB');
    await make('snake_case notes', 'Back\\slash');
    await make('snakeXcase notes', 'Backslash');
    await make('The "Quoted" Word');
    await make("O'Brien Returns");
    await make('this OR that');
    await make('this that');
    await make('Star* Power');
    await make('NEAR(this that)');
    const inTag = (query: string) => search(`genre=special${tag}&${query}`);

    expect(titles(await inTag('title=100%25'))).toEqual([`Sale 100% Off ${tag}`]);
    expect(titles(await inTag('title=%25'))).toEqual([`Sale 100% Off ${tag}`]);
    expect(titles(await inTag('title=e_c'))).toEqual([`snake_case notes ${tag}`]);
    expect(titles(await inTag('author=_'))).toEqual([`Sale 100% Off ${tag}`]);
    expect(titles(await inTag('author=%5C'))).toEqual([`snake_case notes ${tag}`]);
    expect(titles(await inTag('author=k%5Cs'))).toEqual([`snake_case notes ${tag}`]);
    expect(titles(await inTag('title=%22quoted%22'))).toEqual([`The "Quoted" Word ${tag}`]);
    expect(titles(await inTag('title=%22'))).toEqual([`The "Quoted" Word ${tag}`]);
    expect(titles(await inTag("title=o'brien"))).toEqual([`O'Brien Returns ${tag}`]);
    expect(titles(await inTag("title='"))).toEqual([`O'Brien Returns ${tag}`]);
    expect(titles(await inTag('title=this%20OR%20that'))).toEqual([`this OR that ${tag}`]);
    expect(titles(await inTag('title=s%20OR%20t'))).toEqual([`this OR that ${tag}`]);
    // A short "OR" is a substring like any other (case-insensitive: "Word" holds it too).
    expect(titles(await inTag('title=OR'))).toEqual([`The "Quoted" Word ${tag}`, `this OR that ${tag}`]);
    expect(titles(await inTag('title=star*'))).toEqual([`Star* Power ${tag}`]);
    expect(titles(await inTag('title=*'))).toEqual([`Star* Power ${tag}`]);
    expect(titles(await inTag('title=NEAR(this'))).toEqual([`NEAR(this that) ${tag}`]);
    // Operator syntax on its own, anywhere in a term, is neither a 500 nor a match-all.
    for (const term of ['NEAR(', 'NEAR(a b', 'AND', 'NOT x', '"', '""', '"a" OR "b"', 'title:x', 'author : "x"', '{title}: x', '^star', 'a*', '(', ')', '-x', '+', '\\%', '%_%']) {
      const page = await inTag(`title=${encodeURIComponent(term)}`);
      for (const title of titles(page)) expect(title.toLowerCase()).toContain(term.toLowerCase());
      await search(`author=${encodeURIComponent(term)}`);
    }
  });

  it('pages its results by id with total, X-Total-Count and Link', async () => {
    const tag = uid();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await seedBook({ title: `Paged ${tag} ${i}` }));
    const res = await call('GET', `/books/search?title=paged%20${tag}&per_page=2&page=2`);
    const page = await expectStatus(res, 200);
    expect(page).toMatchObject({ page: 2, per_page: 2, total: 5, pages: 3, has_next: true, has_prev: true });
    expect(page.items.map((book: { id: number }) => book.id)).toEqual(ids.slice(2, 4));
    expect(res.headers.get('X-Total-Count')).toBe('5');
    expect(res.headers.get('Link')).toContain(`rel="next"`);
    expect(res.headers.get('Link')).toContain(`title=paged+${tag}`);
    const past = await search(`title=paged%20${tag}&page=9`);
    expect(past).toMatchObject({ items: [], total: 5 });
  });

  it('shows availability', async () => {
    const tag = uid();
    const id = await seedBook({ title: `Lent ${tag}` });
    await lend([id], { active: true });
    expect((await search(`title=lent%20${tag}`)).items).toEqual([expect.objectContaining({ id, available: false })]);
  });

  it.each([
    ['no parameter', ''],
    ['only empty parameters', 'title=&author=&genre='],
    ['only blanks', 'title=%20%20'],
    ['only paging', 'page=1&per_page=5'],
  ])('answers 400 for %s', async (_, query) => {
    const problem = await expectProblem(await call('GET', `/books/search?${query}`), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toEqual({ query: ['Give at least one of title, author, genre, isbn.'] });
  });

  it('answers 400 for bad paging or an over-long term', async () => {
    await expectProblem(await call('GET', '/books/search?title=abc&per_page=101'), 400, 'VALIDATION_FAILED');
    await expectProblem(await call('GET', '/books/search?title=abc&page=0'), 400, 'VALIDATION_FAILED');
    const problem = await expectProblem(await call('GET', `/books/search?title=${'x'.repeat(201)}`), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveProperty('title');
  });
});

describe('OpenAPI', () => {
  it('documents every books route, with bearer security on the admin ones', async () => {
    const { paths } = await expectStatus(await call('GET', '/openapi.json'), 200);
    const operations = [
      ['/books', 'get', false],
      ['/books', 'post', true],
      ['/books/search', 'get', false],
      ['/books/popularity', 'get', false],
      ['/books/{id}', 'get', false],
      ['/books/{id}', 'put', true],
      ['/books/{id}', 'patch', true],
      ['/books/{id}', 'delete', true],
    ] as const;
    for (const [path, method, admin] of operations) {
      const operation = paths[path][method];
      expect(operation.summary).toBeTruthy();
      expect(operation.security ?? null).toEqual(admin ? [{ bearerAuth: [] }] : null);
      if (admin) expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    const searchParams = paths['/books/search'].get.parameters.map((p: { name: string }) => p.name);
    expect(searchParams).toEqual(expect.arrayContaining(['title', 'author', 'genre', 'page', 'per_page']));
    expect(paths['/books/popularity'].get.parameters).toEqual([expect.objectContaining({ name: 'limit', in: 'query' })]);
    expect(Object.keys(paths['/books/{id}'].delete.responses)).toContain('409');
  });
});
