import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POPULARITY_KEY } from '../src/routes/books/popularity.cache';
import { call, expectStatus } from './helpers';

/**
 * Cost budgets at a real catalogue size, measured through the app: the db middleware reports
 * D1's own meta.rows_read and the number of D1 calls in Server-Timing. No timings are asserted.
 */

const BOOKS = 10_000;
const RETURNED_LOANS = 9_800;
const ACTIVE_LOANS = 200;
const BOOKS_PER_LOAN = 5; // 10,000 loans × 5 = 50,000 loan_books rows
const ADJECTIVES = ['Silent', 'Crimson', 'Hidden', 'Last', 'Broken', 'Golden', 'Distant', 'Winter', 'Secret', 'Burning', 'Quiet', 'Iron', 'Paper', 'Velvet', 'Hollow', 'Northern', 'Sunken', 'Glass', 'Wild', 'Final'];
const NOUNS = ['Garden', 'River', 'Empire', 'Letter', 'Harbour', 'Mirror', 'Orchard', 'Lantern', 'Tower', 'Voyage', 'Kingdom', 'Archive', 'Compass', 'Meadow', 'Citadel', 'Island', 'Signal', 'Feather', 'Bridge', 'Forest'];
const PLACES = ['Avalon', 'Carthage', 'Lisbon', 'Kyoto', 'Oslo', 'Lima', 'Tangier', 'Quebec', 'Odessa', 'Nairobi', 'Hobart', 'Zanzibar', 'Bergen', 'Cusco', 'Valletta'];
const FIRST = ['Ada', 'Bram', 'Clara', 'Dmitri', 'Elif', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Lars', 'Mira', 'Nils', 'Olga', 'Pavel'];
const LAST = ['Okafor', 'Lindqvist', 'Moreau', 'Tanaka', 'Novak', 'Haddad', 'Ferreira', 'Kowalski', 'Byrne', 'Castillo', 'Ivanova', 'Mensah'];
const GENRES = ['Fantasy', 'Science fiction', 'Mystery', 'Romance', 'History', 'Biography', 'Poetry', 'Horror', 'Travel', 'Cookery'];
const AGES = ['Children', 'Young adult', 'Adult'];

const pick = <T>(list: T[], n: number) => list[n % list.length]!;
const bookTitle = (i: number) => `${pick(ADJECTIVES, i)} ${pick(NOUNS, Math.floor(i / 20))} of ${pick(PLACES, Math.floor(i / 7))} ${i}`;

/** Multi-row INSERTs of generated (quote-free) literals, a few hundred rows a statement, one batch. */
async function insertRows(table: string, columns: string, rows: string[]) {
  const statements = [];
  for (let i = 0; i < rows.length; i += 500) {
    statements.push(env.DB.prepare(`INSERT INTO ${table} (${columns}) VALUES ${rows.slice(i, i + 500).join(',')}`));
  }
  await env.DB.batch(statements);
}

/** Deterministic, skewed towards low ids, so readers vary from book to book. */
function* skewedBooks(loan: number) {
  let state = loan * 2_654_435_761;
  const chosen = new Set<number>();
  while (chosen.size < BOOKS_PER_LOAN) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const book = 1 + Math.floor(9_000 * (state / 2 ** 31) ** 3); // books 1..9000
    if (!chosen.has(book)) chosen.add(book), yield book;
  }
}

async function seedCatalogue() {
  const books = Array.from({ length: BOOKS }, (_, n) => {
    const i = n + 1;
    const author = `${pick(FIRST, i)} ${pick(LAST, Math.floor(i / 16))}`;
    return `('${bookTitle(i)}','${pick(GENRES, i)}','${pick(AGES, i)}','${1950 + (i % 70)}-0${1 + (i % 9)}-1${i % 10}','${author}')`;
  });
  await insertRows('books', 'title, genre, age_category, publish_date, author', books);
  // One copy per book, with the book's id (the table is empty), as the copies migration gives existing books.
  await env.DB.prepare("INSERT INTO copies (id, book_id, barcode) SELECT id, id, 'C' || printf('%08d', id) FROM books").run();

  const loans: string[] = [];
  const loanBooks: string[] = [];
  for (let loan = 1; loan <= RETURNED_LOANS + ACTIVE_LOANS; loan++) {
    const active = loan > RETURNED_LOANS;
    loans.push(active ? `(${loan}, NULL, '2026-01-02', '2026-01-16', NULL)` : `(${loan}, NULL, '2025-01-02', '2025-01-16', '2025-01-10')`);
    // Active loans hold distinct books 9001..10000 (one active loan per book); returned ones, skewed picks.
    const held = active
      ? Array.from({ length: BOOKS_PER_LOAN }, (_, j) => 9_001 + (loan - RETURNED_LOANS - 1) * BOOKS_PER_LOAN + j)
      : [...skewedBooks(loan)];
    for (const book of held) loanBooks.push(`(${loan}, ${book}, ${book}, ${active ? 1 : 0})`);
  }
  await insertRows('loans', 'id, user_id, loan_date, deadline, return_date', loans);
  await insertRows('loan_books', 'loan_id, book_id, copy_id, active', loanBooks);
}

/** What the request cost in D1, from the Server-Timing header the db middleware sets. */
function d1Cost(res: Response) {
  const timing = res.headers.get('Server-Timing') ?? '';
  const metric = (name: string) => Number(new RegExp(`${name};desc="(\\d+)"`).exec(timing)?.[1] ?? NaN);
  return { roundTrips: metric('d1_round_trips'), rowsRead: metric('d1_rows_read') };
}

/** Every measured request, printed once at the end: the figures the README and bench quote. */
const measurements: string[] = [];

async function measured(path: string) {
  const res = await call('GET', path);
  const cost = d1Cost(res);
  const cache = res.headers.get('X-Cache');
  measurements.push(`${path}${cache ? ` (${cache})` : ''}: ${cost.roundTrips} round trip(s), ${cost.rowsRead} rows read`);
  return { ...cost, body: await expectStatus(res, 200), res };
}

beforeAll(async () => {
  await seedCatalogue();
}, 120_000);

afterAll(() => console.info(`D1 cost at ${BOOKS} books / 50,000 loan_books rows:\n  ${measurements.join('\n  ')}`));

describe('the seeded catalogue', () => {
  it('has 10,000 books, 50,000 loan_books rows, and few books on loan', async () => {
    const counts = await env.DB.prepare(
      "SELECT (SELECT value FROM counters WHERE name = 'books') AS books, (SELECT count(*) FROM loan_books) AS loan_books, (SELECT count(*) FROM books WHERE available_copies = 0) AS on_loan",
    ).first<{ books: number; loan_books: number; on_loan: number }>();
    expect(counts).toEqual({ books: BOOKS, loan_books: RETURNED_LOANS * BOOKS_PER_LOAN + ACTIVE_LOANS * BOOKS_PER_LOAN, on_loan: 1_000 });
  });
});

describe('GET /books', () => {
  it('first page: one round trip, at most per_page + 5 rows read', async () => {
    for (const perPage of [20, 100]) {
      const { roundTrips, rowsRead, body } = await measured(`/books?per_page=${perPage}`);
      expect(body.items).toHaveLength(perPage);
      expect(body.total).toBe(BOOKS);
      expect(roundTrips).toBe(1);
      expect(rowsRead).toBeLessThanOrEqual(perPage + 5);
    }
  });

  it('page k reads at most k × per_page + 5 rows', async () => {
    for (const [page, perPage] of [[2, 20], [10, 50], [100, 100]] as const) {
      const { roundTrips, rowsRead, body } = await measured(`/books?page=${page}&per_page=${perPage}`);
      expect(body.items[0].id).toBe((page - 1) * perPage + 1);
      expect(roundTrips).toBe(1);
      expect(rowsRead).toBeLessThanOrEqual(page * perPage + 5);
    }
  });

  it('a page past the end reads a few rows, not the catalogue', async () => {
    const { roundTrips, rowsRead, body } = await measured('/books?page=1000000&per_page=100');
    expect(body.items).toEqual([]);
    expect(roundTrips).toBe(1);
    expect(rowsRead).toBeLessThanOrEqual(5);
  });
});

describe('GET /books/{id}', () => {
  it('one round trip, at most 5 rows read', async () => {
    const { roundTrips, rowsRead, body } = await measured('/books/7777');
    expect(body).toMatchObject({ id: 7777, title: bookTitle(7777), available: true });
    expect(roundTrips).toBe(1);
    expect(rowsRead).toBeLessThanOrEqual(5);
  });
});

describe('GET /books/search', () => {
  const countWhere = async (where: string, ...binds: string[]) =>
    (await env.DB.prepare(`SELECT count(*) AS n FROM books WHERE ${where}`).bind(...binds).first<{ n: number }>())!.n;

  // The count reads exactly the index's matches (FTS5 reports one row per match); the page reads each
  // of its books twice (the index row, then the books row). So a search costs matches + 2 × page rows:
  // more than "matches + 5" whenever the page holds more than two books, and independent of catalogue size.
  it('a title search reads matches + 2 × the page, in one round trip', async () => {
    // "Lantern of Kyoto" is a few dozen books out of 10,000.
    const matches = await countWhere("title LIKE '%lantern of kyoto%'");
    expect(matches).toBeGreaterThan(20);
    expect(matches).toBeLessThan(100);
    const { roundTrips, rowsRead, body } = await measured('/books/search?title=lantern%20of%20kyoto&per_page=20');
    expect(body.total).toBe(matches);
    expect(body.items).toHaveLength(20);
    expect(roundTrips).toBe(1);
    expect(rowsRead).toBeLessThanOrEqual(matches + 2 * body.items.length + 5);
  });

  it('a title + author search reads matches + 2 × the page', async () => {
    const matches = await countWhere("title LIKE '%golden%' AND author LIKE '%okafor%'");
    expect(matches).toBeGreaterThan(0);
    const { roundTrips, rowsRead, body } = await measured('/books/search?title=golden&author=okafor');
    expect(body.total).toBe(matches);
    expect(roundTrips).toBe(1);
    expect(rowsRead).toBeLessThanOrEqual(matches + 2 * body.items.length + 5);
  });

  it('a short term beside a long one filters only the indexed candidates, never the catalogue', async () => {
    const candidates = await countWhere("title LIKE '%lantern of kyoto%'");
    const matches = await countWhere("title LIKE '%lantern of kyoto%' AND genre LIKE '%y%'");
    const { roundTrips, rowsRead, body } = await measured('/books/search?title=lantern%20of%20kyoto&genre=y');
    expect(body.total).toBe(matches);
    expect(roundTrips).toBe(1);
    // Count and page each read, per candidate, its index row and its books row (to test the LIKE).
    expect(rowsRead).toBeLessThanOrEqual(4 * candidates + 5);
  });

  it('only short terms scan the catalogue: about 2 × the books (page + count), still one round trip', async () => {
    const { roundTrips, rowsRead, body } = await measured('/books/search?genre=ry');
    expect(body.total).toBe(await countWhere("genre LIKE '%ry%'"));
    expect(roundTrips).toBe(1);
    expect(rowsRead).toBeLessThanOrEqual(2 * BOOKS + 5);
  });
});

describe('GET /books/popularity', () => {
  it('MISS reads about 50 rows through the (readers DESC, id) index in one round trip; HIT reads none', async () => {
    await env.CACHE.delete(POPULARITY_KEY);
    const miss = await measured('/books/popularity?limit=50');
    expect(miss.res.headers.get('X-Cache')).toBe('MISS');
    expect(miss.roundTrips).toBe(1);
    expect(miss.rowsRead).toBeLessThanOrEqual(50 + 5);

    const { results: expected } = await env.DB.prepare(
      'SELECT book_id AS id, count(*) AS readers FROM loan_books GROUP BY book_id ORDER BY readers DESC, book_id LIMIT 50',
    ).all<{ id: number; readers: number }>();
    expect(miss.body.map((entry: any) => ({ id: entry.book.id, readers: entry.readers }))).toEqual(expected);

    await expect.poll(() => env.CACHE.get(POPULARITY_KEY)).not.toBeNull();
    const hit = await measured('/books/popularity?limit=50');
    expect(hit.res.headers.get('X-Cache')).toBe('HIT');
    expect(hit.body).toEqual(miss.body);
    expect(hit.roundTrips).toBe(0);
    expect(hit.rowsRead).toBe(0);
  });
});
