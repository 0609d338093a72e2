import { and, asc, desc, eq, gt, inArray, notExists, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { rawRun } from '../../db/raw';
import { type Clock, setCirculationContext } from '../../db/circulation-context';
import { isUniqueViolation } from '../../db/errors';
import { books, copies, counters, holds, type BookRow } from '../../db/schema';
import { type EventContext, recordEvent } from '../../lib/events';
import { matchesColumn, preconditionFailed } from '../../lib/conditional';
import { type Idempotency, idempotentBatch } from '../../lib/idempotency';
import { ApiError, notFound } from '../../lib/problem';
import type { BookChanges, BookCreateInput } from './books.schemas';
import { titleKey } from '../../lib/title-key';

/** The columns a Book needs; the counts are kept by triggers, so they cost no extra read. */
export const bookColumns = {
  id: books.id,
  title: books.title,
  genre: books.genre,
  age_category: books.age_category,
  publish_date: books.publish_date,
  author: books.author,
  isbn: books.isbn,
  copies: books.copies,
  available_copies: books.available_copies,
  holds_waiting: books.holds_waiting,
};

export type BookRecord = Pick<BookRow, keyof typeof bookColumns>;
export type Book = BookRecord & { available: boolean };

export const toBook = (book: BookRecord): Book => ({ ...book, available: book.available_copies > 0 });

export const titleTaken = () => new ApiError(409, 'TITLE_TAKEN', 'A book with this title already exists (titles are unique, ignoring case).');

export { titleKey };

export const isbnTaken = () => new ApiError(409, 'ISBN_TAKEN', 'A book with this ISBN already exists.');

async function orTitleTaken<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (isUniqueViolation(err, 'books.title_key')) throw titleTaken();
    if (isUniqueViolation(err, 'books.isbn')) throw isbnTaken();
    throw err;
  }
}

/** `total` for the unfiltered list: the trigger-kept counter, one row instead of a table scan. */
export const bookCount = (db: Database) => db.select({ value: counters.value }).from(counters).where(eq(counters.name, 'books'));

/**
 * One page by id; OFFSET makes page k read k × per_page rows of the rowid b-tree. A page past the
 * end must not walk the catalogue to find nothing, so its LIMIT drops to 0 when the counter says
 * the offset is beyond the last book (SQLite evaluates a LIMIT expression once, before the scan).
 */
export const bookPage = (db: Database, { limit, offset }: { limit: number; offset: number }) => {
  const pastTheEnd = sql`(SELECT ${counters.value} FROM ${counters} WHERE ${counters.name} = 'books') <= ${offset}`;
  const guardedLimit = sql`CASE WHEN ${pastTheEnd} THEN 0 ELSE ${limit} END`;
  // Drizzle types LIMIT as a number, but writes whatever SQL it is given.
  return db.select(bookColumns).from(books).orderBy(asc(books.id)).limit(guardedLimit as unknown as number).offset(offset);
};

/** A book's columns and its ETag version. */
export const versionedBookColumns = { ...bookColumns, version: books.version };
export type VersionedBook = BookRecord & { version: number };

/** One book by id, or by the id a subquery yields (an idempotent replay). */
export const findBook = (db: Database, id: number | SQLWrapper) =>
  db.select(versionedBookColumns).from(books).where(typeof id === 'number' ? eq(books.id, id) : inArray(books.id, id));

/** `isbn` is an ISBN-13 (validation converts); one probe of the unique index. */
export const findBookByIsbn = (db: Database, isbn: string) => db.select(versionedBookColumns).from(books).where(eq(books.isbn, isbn));

/**
 * A new book with `copies` copies (assigned barcodes) and its `book.created` event, in one atomic
 * batch that also records the Idempotency-Key (if any): settled right after the book's insert,
 * whose row id it keeps; the event follows the settle (which keeps changes()).
 */
export async function insertBook(
  db: Database,
  context: EventContext,
  { copies: copyCount = 1, ...input }: BookCreateInput,
  clock: Clock,
  actorId: number,
  idempotency?: Idempotency,
): Promise<VersionedBook> {
  const key = titleKey(input.title);
  const newBookId = sql`(SELECT ${books.id} FROM ${books} WHERE ${books.title_key} = ${key})`;
  const [, , , , [row]] = await orTitleTaken(
    idempotentBatch(
      db,
      idempotency,
      [
        setCirculationContext(db, clock, actorId),
        db.insert(books).values({ ...input, title_key: key }),
        recordEvent(db, context, 'book.created', { book_id: newBookId }),
        // n rows from a counting CTE; the barcode trigger assigns `C` + each copy's id.
        rawRun(db, sql`WITH RECURSIVE n(i) AS (SELECT 1 WHERE ${copyCount} > 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${copyCount})
          INSERT INTO ${copies} (book_id) SELECT ${newBookId} FROM n`),
        db.select(versionedBookColumns).from(books).where(eq(books.title_key, key)),
      ],
      { after: 1, status: 201, resourceId: 'inserted' },
    ),
  );
  return row!;
}

/**
 * Applies `changes` (all fields for PUT, some for PATCH) and raises the version, only while the book
 * is at a version If-Match names (`matches`), with its `book.updated` event: 404 no such book, 412
 * another version.
 */
export async function updateBook(db: Database, context: EventContext, id: number, changes: BookChanges, matches?: SQL): Promise<VersionedBook> {
  const keyed = changes.title === undefined ? changes : { ...changes, title_key: titleKey(changes.title) };
  const [[row], , [probe]] = await orTitleTaken(
    db.batch([
      db
        .update(books)
        .set({ ...keyed, version: sql`${books.version} + 1` })
        .where(and(eq(books.id, id), matches))
        .returning(versionedBookColumns),
      recordEvent(db, context, 'book.updated', { book_id: id }),
      db.select({ version: books.version }).from(books).where(eq(books.id, id)),
    ]),
  );
  if (row) return row;
  if (!probe) throw notFound('Book');
  throw preconditionFailed();
}

/**
/**
 * Deletes a book unless a copy of it is out or on the hold shelf (or If-Match names another
 * version), in one atomic batch: the probe and the conditional writes see the same state, so a
 * concurrent checkout cannot slip in between. Its copies go with it (cascade), returned loans lose
 * it, and its waiting holds are cancelled. 404, 412, then 409.
 */
export async function deleteBook(db: Database, context: EventContext, id: number, clock: Clock, actorId: number, matches?: SQL): Promise<void> {
  const copyInUse = db
    .select({ id: copies.id })
    .from(copies)
    .where(and(eq(copies.book_id, id), inArray(copies.status, ['on_loan', 'on_hold_shelf'])));
  const deletable = and(notExists(copyInUse), sql`EXISTS (SELECT 1 FROM ${books} WHERE ${books.id} = ${id} AND ${matches ?? sql`1`})`);
  const [, probe, , deleted] = await db.batch([
    setCirculationContext(db, clock, actorId),
    db.select({ id: books.id, in_use: sql<number>`EXISTS ${copyInUse}`, matches: matchesColumn(matches) }).from(books).where(eq(books.id, id)),
    db
      .update(holds)
      .set({ status: 'cancelled', closed_on: clock.today })
      .where(and(eq(holds.book_id, id), eq(holds.status, 'waiting'), deletable)),
    db.delete(books).where(and(eq(books.id, id), deletable)).returning({ id: books.id }),
    recordEvent(db, context, 'book.deleted', { book_id: id }),
  ]);
  if (deleted.length) return;
  if (!probe[0]) throw notFound('Book');
  if (!probe[0].matches) throw preconditionFailed();
  if (probe[0].in_use) {
    throw new ApiError(409, 'BOOK_ON_ACTIVE_LOAN', 'A copy of the book is out on a loan or on the hold shelf; delete it once it is back.');
  }
  throw notFound('Book');
}

/** The most-read books, walked along the (readers DESC, id) index: reads about `limit` rows. */
export const mostRead = (db: Database, limit: number) =>
  db
    .select({ ...bookColumns, readers: books.readers })
    .from(books)
    .where(gt(books.readers, 0))
    .orderBy(desc(books.readers), asc(books.id))
    .limit(limit);
