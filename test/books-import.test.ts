import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem, expectStatus, freshIp, makeAdmin, makeBook, makeUser, type TestUser } from './helpers';

let admin: TestUser;
beforeAll(async () => {
  admin = await makeAdmin();
});

const HEADER = 'title,author,genre,age_category,publish_date,isbn';
/** The export writes every import column, `copies` (each book's copies not withdrawn) included. */
const EXPORT_HEADER = `${HEADER},copies`;
let counter = 0;
/** A title no other test uses. */
const fresh = (label = 'Book') => `${label} ${Date.now().toString(36)}-${++counter}`;

/** Sends the bytes as they are (the helpers' `call` would JSON-encode a Uint8Array). */
const upload = (body: string | Uint8Array, contentType = 'text/csv', token = admin.token) =>
  exports.default.fetch(
    new Request('http://library.test/books/import', {
      method: 'POST',
      headers: { 'Content-Type': contentType, Authorization: `Bearer ${token}`, 'CF-Connecting-IP': freshIp() },
      body,
    }),
  );

async function importCsv(csv: string, contentType = 'text/csv') {
  return expectStatus<{ created: number; skipped: number; failed: { line: number; errors: Record<string, string[]> }[] }>(
    await upload(csv, contentType),
    200,
  );
}

const bookByTitle = (title: string) =>
  env.DB.prepare('SELECT id, title, author, genre, age_category, publish_date, isbn FROM books WHERE title = ?').bind(title).first();

describe('POST /books/import (CSV)', () => {
  it('creates every valid row; columns in any order; ISBN-10 stored as ISBN-13; a re-run creates nothing', async () => {
    const [a, b] = [fresh(), fresh()];
    const csv = `isbn,publish_date,age_category,genre,author,title\n0-06-025492-0,1963-04-09,Children,Picture book,Maurice Sendak,${a}\n,1965-08-01,Adult,Science fiction,Frank Herbert,${b}\n`;
    expect(await importCsv(csv)).toEqual({ created: 2, skipped: 0, failed: [] });
    expect(await bookByTitle(a)).toMatchObject({ author: 'Maurice Sendak', genre: 'Picture book', age_category: 'Children', publish_date: '1963-04-09', isbn: '9780060254926' });
    expect(await bookByTitle(b)).toMatchObject({ isbn: null });
    const book = await expectStatus(await call('GET', '/books/by-isbn/0060254920'), 200);
    expect(book.title).toBe(a);
    expect(await importCsv(csv)).toEqual({ created: 0, skipped: 2, failed: [] });
  });

  it('reads quotes, commas and doubled quotes in fields (RFC 4180)', async () => {
    const title = fresh('Hello, "World"');
    const csv = `${HEADER}\r\n"${title.replaceAll('"', '""')}","Smith, Jane",Essays,Adult,2001-01-01,\r\n`;
    expect(await importCsv(csv)).toEqual({ created: 1, skipped: 0, failed: [] });
    expect(await bookByTitle(title)).toMatchObject({ author: 'Smith, Jane' });
  });

  it('reports a row with a line break inside a quoted field at the line it starts on, and counts lines after it right', async () => {
    const [multi, after, bad] = [fresh(), fresh(), fresh()];
    for (const eol of ['\n', '\r\n']) {
      const csv = [
        HEADER, // 1
        `"${multi}${eol}second line${eol}third line",A,G,Adult,2001-01-01,`, // 2-4
        `${after}${eol === '\n' ? '' : ' '},A,G,Adult,2001-01-01,`, // 5
        `${bad},A,G,Adult,2001-02-30,`, // 6: not a real date
      ].join(eol);
      const result = await importCsv(csv);
      expect(result.failed).toEqual([
        { line: 2, errors: { title: [expect.stringMatching(/control/)] } },
        { line: 6, errors: { publish_date: [expect.any(String)] } },
      ]);
    }
    expect(await bookByTitle(after)).toBeTruthy();
  });

  it('accepts a UTF-8 BOM and non-ASCII text', async () => {
    const title = fresh('Éclair à la française');
    const bytes = new TextEncoder().encode(`\uFEFF${HEADER}\n${title},Zoë Müller,Cuisine,Adult,2001-01-01,\n`);
    expect(bytes.slice(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]));
    expect(await expectStatus(await upload(bytes), 200)).toEqual({ created: 1, skipped: 0, failed: [] });
    expect(await bookByTitle(title)).toMatchObject({ author: 'Zoë Müller' });
  });

  it('ignores blank lines (empty or spaces only), counting them for line numbers', async () => {
    const [a, b] = [fresh(), fresh()];
    const csv = `\n${HEADER}\n\n${a},A,G,Adult,2001-01-01,\n   \n\n${b},A,G,Adult,not-a-date,\n\n`;
    const result = await importCsv(csv);
    expect(result).toEqual({ created: 1, skipped: 0, failed: [{ line: 7, errors: { publish_date: [expect.any(String)] } }] });
  });

  it('reports invalid rows by line, like POST /books, and creates the rest', async () => {
    const ok = fresh();
    const csv = [
      HEADER,
      `,A,G,Adult,2001-01-01,`, // 2: empty title
      `${fresh()},A,G,Adult,2001-01-01,0306406153`, // 3: wrong check digit
      `${ok},A,G,Adult,2001-01-01,9780306406157`, // 4
      `${fresh()},${'x'.repeat(201)},G,Adult,2001-01-01,`, // 5: author too long
      `${fresh()},A,G,Adult`, // 6: too few fields
      `${fresh()},A,G,Adult,2001-01-01,,extra`, // 7: too many fields
      `${fresh()},A,"G"x,Adult,2001-01-01,`, // 8: text after a closing quote: the parser reads on to the end
      `${fresh()},A,G,Adult,2001-01-01,`, // 9: not read
    ].join('\n');
    const result = await importCsv(csv);
    expect(result.created).toBe(1);
    expect(result.failed.map((f) => [f.line, Object.keys(f.errors)])).toEqual([
      [2, ['title']],
      [3, ['isbn']],
      [5, ['author']],
      [6, ['row']],
      [7, ['row']],
      [8, ['row']],
    ]);
    expect(result.failed[3]!.errors.row).toEqual(['This row has 4 fields; the header has 6.']);
    expect(result.failed[5]!.errors.row![0]).toMatch(/rows after this one were not read/);
  });

  it('reports a quote that is never closed at the line its row starts on', async () => {
    const ok = fresh();
    const result = await importCsv(`${HEADER}\n${ok},A,G,Adult,2001-01-01,\n"${fresh()},A,G,Adult,2001-01-01,\nmore,A,G,Adult,2001-01-01,\n`);
    expect(result).toEqual({ created: 1, skipped: 0, failed: [{ line: 3, errors: { row: [expect.stringMatching(/never closed/)] } }] });
  });

  it('skips rows whose title or ISBN exists already or appeared earlier in the file', async () => {
    const existing = await makeBook(admin, { isbn: '978-0-441-47812-5' });
    const [a, b, c] = [fresh(), fresh(), fresh()];
    const csv = [
      HEADER,
      `${existing.title.toUpperCase()},A,G,Adult,2001-01-01,`, // title exists (another case)
      `${a},A,G,Adult,2001-01-01,0441478123`, // ISBN exists (ISBN-10 form)
      `${b},A,G,Adult,2001-01-01,080442957X`,
      `${b.toLowerCase()},A,G,Adult,2001-01-01,`, // same title as the row above
      `${c},A,G,Adult,2001-01-01,9780804429573`, // same ISBN as two rows above
      `${b},A,G,Adult,bad,`, // invalid rows fail, whatever their title
    ].join('\n');
    expect(await importCsv(csv)).toEqual({ created: 1, skipped: 4, failed: [{ line: 7, errors: { publish_date: [expect.any(String)] } }] });
    expect(await bookByTitle(b)).toMatchObject({ isbn: '9780804429573' });
    expect(await bookByTitle(c)).toBeNull();
  });

  it('answers 400 for an empty file, a missing header, an unknown, repeated or missing column', async () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['\n\n  \n', /empty/],
      [`${fresh()},A,G,Adult,2001-01-01,`, /Unknown column/], // the header row is missing
      [`${HEADER},copies_in_basement\n`, /Unknown column "copies_in_basement"/],
      ['title,author,genre,age_category,publish_date,title\n', /appears twice/],
      ['title,author,genre,publish_date\nX,A,G,2001-01-01\n', /age_category is missing/],
    ];
    for (const [csv, message] of cases) {
      const problem = await expectProblem(await upload(csv), 400, 'VALIDATION_FAILED');
      expect(Object.values(problem.errors).flat().join(' '), csv).toMatch(message);
    }
  });

  it('accepts header names in any case with surrounding spaces', async () => {
    const title = fresh();
    expect(await importCsv(` Title ,AUTHOR,Genre,Age_Category,Publish_Date\n${title},A,G,Adult,2001-01-01\n`)).toMatchObject({ created: 1 });
  });

  it('answers 413 above 10,000 rows, before writing anything', async () => {
    const before = await env.DB.prepare('SELECT count(*) AS n FROM books').first<{ n: number }>();
    const rows = Array.from({ length: 10_001 }, (_, i) => `Too many ${i},A,G,Adult,2001-01-01,`);
    await expectProblem(await upload(`${HEADER}\n${rows.join('\n')}\n`), 413, 'PAYLOAD_TOO_LARGE');
    expect(await env.DB.prepare('SELECT count(*) AS n FROM books').first()).toEqual(before);
  });

  it('answers 413 above 5 MiB (this route alone lifts the 64 KiB limit)', async () => {
    const big = `${HEADER}\n${'x'.repeat(5 * 1024 * 1024)}`;
    await expectProblem(await upload(big), 413, 'PAYLOAD_TOO_LARGE');
    // 100 KiB is fine here, while a JSON body that size is refused elsewhere.
    const rows = Array.from({ length: 1_000 }, (_, i) => `${fresh(`Medium file ${i} ${'m'.repeat(60)}`)},A,G,Adult,2001-01-01,`);
    const csv = `${HEADER}\n${rows.join('\n')}\n`;
    expect(csv.length).toBeGreaterThan(64 * 1024);
    expect(await importCsv(csv)).toMatchObject({ created: 1_000, failed: [] });
    await expectProblem(await call('POST', '/books', { token: admin.token, body: { title: 'x'.repeat(70_000) } }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('commits in chunks of at most 1,000 rows, one statement each (Server-Timing counts them)', async () => {
    const rows = Array.from({ length: 2_500 }, (_, i) => `${fresh(`Chunked ${i}`)},A,G,Adult,2001-01-01,`);
    const res = await upload(`${HEADER}\n${rows.join('\n')}\n`);
    expect(await expectStatus(res, 200)).toEqual({ created: 2_500, skipped: 0, failed: [] });
    // The caller check, then three chunks (1,000 + 1,000 + 500).
    expect(res.headers.get('Server-Timing')).toContain('d1_round_trips;desc="4"');
  });

  it('reads a bounded number of rows per book and per copy (regression: copies were made by reading a 1–50 sequence per book)', async () => {
    const rowsRead = (res: Response) => Number(/d1_rows_read;desc="(\d+)"/.exec(res.headers.get('Server-Timing') ?? '')?.[1]);
    const rows = Array.from({ length: 500 }, (_, i) => `${fresh(`Costed ${i}`)},A,G,Adult,2001-01-01,,${i % 2 ? 1 : 3}`);
    const csv = `${EXPORT_HEADER}\n${rows.join('\n')}\n`;
    const first = await upload(csv);
    expect(await expectStatus(first, 200)).toMatchObject({ created: 500 });
    // 1,000 copies: each book's insert and event, each copy's insert, event and counts; a few rows each.
    expect(rowsRead(first)).toBeLessThanOrEqual(500 * 8 + 1_000 * 16);
    const again = await upload(csv);
    expect(await expectStatus(again, 200)).toMatchObject({ created: 0, skipped: 500 });
    // A repeat reads the unique-index probes of its books, and nothing per copy.
    expect(rowsRead(again)).toBeLessThanOrEqual(500 * 8);
  });

  it('answers 415 for other media types or charsets, 400 for bytes that are not UTF-8', async () => {
    for (const type of ['application/json', 'text/plain', 'text/csv; charset=iso-8859-1']) {
      await expectProblem(await upload(`${HEADER}\n`, type), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    expect(await importCsv(`${HEADER}\n`, 'text/csv; charset=UTF-8')).toEqual({ created: 0, skipped: 0, failed: [] });
    const latin1 = new Uint8Array([...new TextEncoder().encode(`${HEADER}\nCaf`), 0xe9, ...new TextEncoder().encode(',A,G,Adult,2001-01-01,\n')]);
    const problem = await expectProblem(await upload(latin1), 400, 'VALIDATION_FAILED');
    expect(problem.errors.body).toEqual(['The file is not valid UTF-8.']);
  });

  it('is for admins only (401, 403), and GET is 405', async () => {
    const member = await makeUser();
    await expectProblem(await upload(`${HEADER}\n`, 'text/csv', member.token), 403, 'FORBIDDEN');
    await expectProblem(await call('POST', '/books/import', { body: `${HEADER}\n`, headers: { 'Content-Type': 'text/csv' } }), 401, 'UNAUTHENTICATED');
    const res = await call('GET', '/books/import', { token: admin.token });
    await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('Allow')).toBe('POST');
  });
});

describe('POST /books/import (NDJSON)', () => {
  it('creates one book per line; reports bad lines by number; skips repeats', async () => {
    const [a, b] = [fresh(), fresh()];
    const book = (title: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ title, author: 'A', genre: 'G', age_category: 'Adult', publish_date: '2001-01-01', ...extra });
    const ndjson = [
      book(a, { isbn: '979-10-90636-07-1' }), // 1
      '', // 2
      book(b, { isbn: null }), // 3
      '{"title": "broken"', // 4
      '[1, 2]', // 5
      book(fresh(), { on_loan: true }), // 6: unknown field
      book(a.toUpperCase()), // 7: repeat
      book(fresh(), { publish_date: '2001-13-01' }), // 8
    ].join('\r\n');
    const result = await importCsv(ndjson, 'application/x-ndjson');
    expect(result.created).toBe(2);
    expect(result.skipped).toBe(1);
    expect(result.failed.map((f) => [f.line, Object.keys(f.errors)])).toEqual([
      [4, ['row']],
      [5, ['row']],
      [6, ['on_loan']],
      [8, ['publish_date']],
    ]);
    expect(await bookByTitle(a)).toMatchObject({ isbn: '9791090636071' });
  });
});

describe('GET /books/export', () => {
  it('streams the catalogue as CSV with the import columns; export → import round-trips', async () => {
    await env.DB.prepare('DELETE FROM books').run();
    const tricky = [
      ['Hello, "quoted" world', 'Smith, Jane'],
      ['=HYPERLINK("http://evil.example")', '+Sum'],
      ['-minus first', '@at first'],
      ["'Salem's Lot", 'Stephen King'],
      ["''Doubled apostrophe", 'Some One'],
      ["'=already guarded", "'@twice"],
      ['Ünïcödé 📚 title', 'Zoë'],
    ];
    // The tricky ones through POST /books (JSON), so they are stored exactly as written here.
    for (const [i, [title, author]] of tricky.entries()) await makeBook(admin, { title, author, genre: 'G', publish_date: `2001-01-0${i + 1}` });
    // Enough books to cross the import's 1,000-row chunks and the export's 500-row pages.
    const rows = Array.from({ length: 1_203 }, (_, i) => `Round trip ${i},Author ${i % 7},Genre ${i % 3},Adult,2002-03-04,${i === 5 ? '0-8044-2957-X' : ''}`);
    const first = await importCsv(`${HEADER}\n${rows.join('\n')}\n`);
    expect(first).toEqual({ created: rows.length, skipped: 0, failed: [] });
    const total = rows.length + tricky.length;
    const original = (await env.DB.prepare('SELECT title, author, genre, age_category, publish_date, isbn FROM books ORDER BY id').all()).results;
    expect(original.slice(0, tricky.length).map((b) => [b.title, b.author])).toEqual(tricky);

    const res = await call('GET', '/books/export', { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('Content-Disposition')).toBe('attachment; filename="books.csv"');
    const csv = await res.text();
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(EXPORT_HEADER);
    expect(lines).toHaveLength(total + 2); // header, rows, and the empty string after the last CRLF
    // Quoting and the formula guard.
    expect(lines[1]).toBe('"Hello, ""quoted"" world","Smith, Jane",G,Adult,2001-01-01,,1');
    expect(lines[2]).toBe(`"'=HYPERLINK(""http://evil.example"")",'+Sum,G,Adult,2001-01-02,,1`);
    expect(lines[3]).toBe("'-minus first,'@at first,G,Adult,2001-01-03,,1");
    expect(lines[4]).toBe("'Salem's Lot,Stephen King,G,Adult,2001-01-04,,1");
    expect(lines[6]).toBe("''=already guarded,''@twice,G,Adult,2001-01-06,,1");
    expect(csv).toContain('Round trip 5,Author 5,Genre 2,Adult,2002-03-04,9780804429573,1\r\n');

    // Re-importing it into the same catalogue creates nothing; into an empty one, the same books.
    expect(await importCsv(csv)).toEqual({ created: 0, skipped: total, failed: [] });
    await env.DB.prepare('DELETE FROM books').run();
    expect(await importCsv(csv)).toEqual({ created: total, skipped: 0, failed: [] });
    const again = (await env.DB.prepare('SELECT title, author, genre, age_category, publish_date, isbn FROM books ORDER BY id').all()).results;
    expect(again).toEqual(original);
    // Every imported book has its copy (the default, one), with an assigned barcode.
    expect(await env.DB.prepare("SELECT count(*) AS n FROM books WHERE copies <> 1 OR available_copies <> 1").first('n')).toBe(0);
  });

  it('creates `copies` copies per row (default 1, 0 allowed), refuses a bad count per row, and at most 10,000 copies in all', async () => {
    const [a, b, c, d] = [fresh(), fresh(), fresh(), fresh()];
    const csv = `${HEADER},copies\n${a},A,G,Adult,2001-01-01,,3\n${b},A,G,Adult,2001-01-01,,\n${c},A,G,Adult,2001-01-01,,0\n${d},A,G,Adult,2001-01-01,,x\n`;
    const result = await importCsv(csv);
    expect(result).toMatchObject({ created: 3, skipped: 0, failed: [{ line: 5, errors: { copies: expect.any(Array) } }] });
    const counts = await env.DB.prepare('SELECT title, copies FROM books WHERE title IN (?, ?, ?) ORDER BY id').bind(a, b, c).all();
    expect(counts.results).toEqual([
      { title: a, copies: 3 },
      { title: b, copies: 1 },
      { title: c, copies: 0 },
    ]);
    const barcodes = await env.DB.prepare('SELECT count(*) AS n FROM copies c JOIN books b ON b.id = c.book_id WHERE b.title = ? AND c.barcode GLOB ?').bind(a, 'C[0-9]*').first('n');
    expect(barcodes).toBe(3);
    const many = Array.from({ length: 201 }, () => `${fresh()},A,G,Adult,2001-01-01,,50`);
    await expectProblem(await upload(`${HEADER},copies\n${many.join('\n')}\n`), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('exports an empty catalogue as the header alone', async () => {
    await env.DB.prepare('DELETE FROM books').run();
    const res = await call('GET', '/books/export', { token: admin.token });
    expect(await res.text()).toBe(`${EXPORT_HEADER}\r\n`);
  });

  it('is for admins only', async () => {
    const member = await makeUser();
    await expectProblem(await call('GET', '/books/export', { token: member.token }), 403, 'FORBIDDEN');
    await expectProblem(await call('GET', '/books/export'), 401, 'UNAUTHENTICATED');
    const res = await call('POST', '/books/export', { token: admin.token });
    await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
  });
});
