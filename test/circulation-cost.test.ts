import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectStatus, makeAdmin, makeUser, type TestUser } from './helpers';

/**
 * Row costs of the circulation writes: each is ONE D1 round trip and reads O(copies touched + the
 * patron's open items + the book's queue), never O(the patron's history) or O(the catalogue).
 * Measured through the app: Server-Timing carries D1's own meta.rows_read summed over the batch
 * (rows visited by triggers included). No timings are asserted.
 *
 * The limits lock today's figures with a small margin. Against the copies issue's budgets
 * (checkout ≤ 10 + 5 per copy, check-in and hold placement ≤ 20 + the queue): hold placement is 2
 * over here (this patron has copies out, so the already-borrowed check reads the book's loan rows)
 * and within at bench scale; checkout and check-in are above, as README "Cost per request" itemises.
 */

const BOOKS = 3_000;
const COPIES_PER_BOOK = 2;
const RETURNED_LOANS = 600; // the patron's history: 2 copies each, 1,200 loan_books rows
const QUEUE = 6; // waiting holds on the books the queue scenarios use
const HISTORY = 40; // returned loans of the copy checked in; closed holds of the patron and of the queued books

/** Rows read in this fixture (the patron has 3 items out), with a few rows' margin. */
const LIMITS = { checkout: 42, checkIn: 53, hold: 31, renew: 24, return: 32, addBook: 51, removeBook: 31 };

const today = new Date().toISOString().slice(0, 10);
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

let admin: TestUser;
let patron: TestUser;
/** Books ≥ FREE_FROM are untouched by the fixture: every copy available, no queue. */
const FREE_FROM = 100;
/** Book whose copies are all out (to `other`'s loans) with QUEUE waiting holds: check-in fills one. */
const QUEUED_FOR_CHECK_IN = 1;
/** Book whose copies are all out with QUEUE waiting holds: the patron joins its queue. */
const QUEUED_FOR_HOLD = 2;
/** The patron's open loans (one copy each, due in a week). */
const openLoans: number[] = [];

async function insertRows(table: string, columns: string, rows: string[]) {
  const statements = [];
  for (let i = 0; i < rows.length; i += 500) {
    statements.push(env.DB.prepare(`INSERT INTO ${table} (${columns}) VALUES ${rows.slice(i, i + 500).join(',')}`));
  }
  await env.DB.batch(statements);
}

/** Loan rows straight into D1 (the triggers keep copies, counters and readers as the app's writes do). */
async function insertLoan(userId: number, items: { book: number; copy: number }[], returned: boolean): Promise<number> {
  const loan = await env.DB.prepare('INSERT INTO loans (user_id, loan_date, deadline, return_date) VALUES (?, ?, ?, ?) RETURNING id')
    .bind(userId, returned ? '2025-01-02' : today, returned ? '2025-01-16' : inDays(7), returned ? '2025-01-10' : null)
    .first<{ id: number }>();
  await insertRows(
    'loan_books',
    'loan_id, book_id, copy_id, active, return_date',
    items.map(({ book, copy }) => `(${loan!.id}, ${book}, ${copy}, ${returned ? 0 : 1}, ${returned ? "'2025-01-10'" : 'NULL'})`),
  );
  return loan!.id;
}

/** Copy ids of book b: the fixture inserts them in book order, so they are (b-1)*2+1 and (b-1)*2+2. */
const copyOf = (book: number, n: 0 | 1) => (book - 1) * COPIES_PER_BOOK + 1 + n;
const barcodeOf = (copy: number) => `C${String(copy).padStart(8, '0')}`;

beforeAll(async () => {
  admin = await makeAdmin();
  patron = await makeUser();
  await insertRows(
    'books',
    'title, genre, age_category, publish_date, author',
    Array.from({ length: BOOKS }, (_, i) => `('Cost Book ${i + 1}', 'Fiction', 'Adult', '2001-01-01', 'Author ${i % 97}')`),
  );
  // The books table was empty, so book ids are 1..BOOKS and copy ids follow them in order.
  await env.DB.prepare(
    `INSERT INTO copies (book_id) SELECT b.id FROM books b JOIN (SELECT value AS n FROM json_each('[1,2]')) ORDER BY b.id`,
  ).run();
  expect(await env.DB.prepare('SELECT max(id) AS m FROM copies').first('m')).toBe(BOOKS * COPIES_PER_BOOK);

  // A long history of returned loans, spread over the catalogue, and two open ones.
  for (let i = 0; i < RETURNED_LOANS; i += 100) {
    const loans = Array.from({ length: 100 }, () => `(${patron.id}, '2025-01-02', '2025-01-16', '2025-01-10')`);
    await insertRows('loans', 'user_id, loan_date, deadline, return_date', loans);
  }
  await env.DB.prepare(
    `INSERT INTO loan_books (loan_id, book_id, copy_id, active, return_date)
     SELECT l.id, 200 + ((l.id * 7 + j.value * 1231) % 2500), (200 + ((l.id * 7 + j.value * 1231) % 2500) - 1) * 2 + 1, 0, '2025-01-10'
     FROM loans l JOIN json_each('[0,1]') j
     WHERE l.user_id = ?`,
  )
    .bind(patron.id)
    .run();
  openLoans.push(await insertLoan(patron.id, [{ book: 10, copy: copyOf(10, 0) }], false));
  openLoans.push(await insertLoan(patron.id, [{ book: 11, copy: copyOf(11, 0) }], false));
  openLoans.push(await insertLoan(patron.id, [{ book: 12, copy: copyOf(12, 0) }], false));

  // Other patrons: one holds every copy of the queued books, others wait in their queues.
  const others = await env.DB.prepare(
    `INSERT INTO users (first_name, last_name, email, password_hash)
     SELECT 'Queue', 'Patron', 'queue' || value || '@example.org', 'x' FROM json_each(?) RETURNING id`,
  )
    .bind(JSON.stringify(Array.from({ length: QUEUE + 2 }, (_, i) => i)))
    .all<{ id: number }>();
  const [holder, holder2, ...waiting] = others.results.map((r) => r.id);
  // Histories that must not be walked: the copy checked in has been lent many times before, and
  // the patron and the queued books have many closed holds.
  for (let i = 0; i < HISTORY; i++) {
    await insertLoan(holder!, [{ book: QUEUED_FOR_CHECK_IN, copy: copyOf(QUEUED_FOR_CHECK_IN, 0) }], true);
  }
  await insertRows(
    'holds',
    'user_id, book_id, status, placed_on, closed_on',
    Array.from({ length: HISTORY }, (_, i) => `(${patron.id}, ${300 + i}, '${i % 2 ? 'fulfilled' : 'cancelled'}', '2025-01-01', '2025-01-02')`),
  );
  for (const book of [QUEUED_FOR_CHECK_IN, QUEUED_FOR_HOLD]) {
    await insertRows(
      'holds',
      'user_id, book_id, status, placed_on, closed_on',
      Array.from({ length: HISTORY }, () => `(${holder2}, ${book}, 'cancelled', '2025-01-01', '2025-01-02')`),
    );
    await insertLoan(holder!, [{ book, copy: copyOf(book, 0) }], false);
    await insertLoan(holder2!, [{ book, copy: copyOf(book, 1) }], false);
    await insertRows(
      'holds',
      'user_id, book_id, status, placed_on',
      waiting.map((id) => `(${id}, ${book}, 'waiting', '${today}')`),
    );
  }
}, 120_000);

function d1Cost(res: Response) {
  const timing = res.headers.get('Server-Timing') ?? '';
  const metric = (name: string) => Number(new RegExp(`${name};desc="(\\d+)"`).exec(timing)?.[1] ?? NaN);
  return { roundTrips: metric('d1_round_trips'), rowsRead: metric('d1_rows_read') };
}

const measurements: string[] = [];
afterAll(() => console.log(`circulation write costs (${BOOKS} books, ${BOOKS * COPIES_PER_BOOK} copies, ${RETURNED_LOANS}-loan history, queue ${QUEUE}):\n${measurements.join('\n')}`));

async function measured(label: string, res: Response, status: number) {
  const body = await expectStatus(res, status);
  const cost = d1Cost(res);
  measurements.push(`  ${label}: ${cost.roundTrips} round trip(s), ${cost.rowsRead} rows read`);
  expect(cost.roundTrips, label).toBe(1);
  return { body, ...cost };
}

describe('circulation writes read O(copies + queue) rows in one round trip', () => {
  it('checkout by barcode, one copy', async () => {
    const { rowsRead } = await measured(
      'POST /loans {barcodes:[1]}',
      await call('POST', '/loans', { token: patron.token, body: { barcodes: [barcodeOf(copyOf(FREE_FROM, 0))] } }),
      201,
    );
    expect(rowsRead).toBeLessThanOrEqual(LIMITS.checkout);
  });

  it('checkout by book_id, one copy', async () => {
    const { rowsRead } = await measured(
      'POST /loans {book_ids:[1]}',
      await call('POST', '/loans', { token: patron.token, body: { book_ids: [FREE_FROM + 1] } }),
      201,
    );
    expect(rowsRead).toBeLessThanOrEqual(LIMITS.checkout);
  });

  it(`check-in filling a hold (queue of ${QUEUE})`, async () => {
    const { body, rowsRead } = await measured(
      `POST /circulation/check-in (fills a hold, queue ${QUEUE})`,
      await call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: barcodeOf(copyOf(QUEUED_FOR_CHECK_IN, 0)) } }),
      200,
    );
    expect(body.hold).toMatchObject({ status: 'ready', book_id: QUEUED_FOR_CHECK_IN });
    expect(rowsRead).toBeLessThanOrEqual(LIMITS.checkIn);
  });

  it(`hold placement joining a queue of ${QUEUE}`, async () => {
    const { body, rowsRead } = await measured(
      `POST /holds (joins a queue of ${QUEUE})`,
      await call('POST', '/holds', { token: patron.token, body: { book_id: QUEUED_FOR_HOLD } }),
      201,
    );
    expect(body).toMatchObject({ status: 'waiting', position: QUEUE + 1 });
    expect(rowsRead).toBeLessThanOrEqual(LIMITS.hold);
  });

  it('renew and return: a few rows per copy, never the history', async () => {
    const renewed = await measured('POST /loans/{id}/renew', await call('POST', `/loans/${openLoans[0]}/renew`, { token: patron.token }), 200);
    expect(renewed.rowsRead).toBeLessThanOrEqual(LIMITS.renew);
    const returned = await measured('POST /loans/{id}/return', await call('POST', `/loans/${openLoans[1]}/return`, { token: patron.token }), 200);
    expect(returned.rowsRead).toBeLessThanOrEqual(LIMITS.return);
  });

  it('add-book and remove-book: a few rows per copy, never the history', async () => {
    const added = await measured(
      'PUT /loans/{id}/add-book/{book}',
      await call('PUT', `/loans/${openLoans[2]}/add-book/${FREE_FROM + 2}`, { token: patron.token }),
      200,
    );
    expect(added.rowsRead).toBeLessThanOrEqual(LIMITS.addBook);
    const removed = await measured(
      'PUT /loans/{id}/remove-book/{book}',
      await call('PUT', `/loans/${openLoans[2]}/remove-book/${FREE_FROM + 2}`, { token: patron.token }),
      200,
    );
    expect(removed.rowsRead).toBeLessThanOrEqual(LIMITS.removeBook);
  });
});
