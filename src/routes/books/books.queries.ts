import { and, asc, desc, eq, gt, inArray, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { isUniqueViolation } from '../../db/errors';
import { books, counters, type BookRow } from '../../db/schema';
import { matchesColumn, preconditionFailed } from '../../lib/conditional';
import { type Idempotency, idempotentBatch } from '../../lib/idempotency';
import { ApiError, notFound } from '../../lib/problem';
import type { BookChanges, BookInput } from './books.schemas';
import { titleKey } from '../../lib/title-key';

/** The columns a Book needs; `on_loan` is kept by triggers, so `available` costs no extra read. */
export const bookColumns = {
  id: books.id,
  title: books.title,
  genre: books.genre,
  age_category: books.age_category,
  publish_date: books.publish_date,
  author: books.author,
  isbn: books.isbn,
  on_loan: books.on_loan,
};

export type BookRecord = Pick<BookRow, keyof typeof bookColumns>;
export type Book = Omit<BookRecord, 'on_loan'> & { available: boolean };

export const toBook = ({ on_loan, ...book }: BookRecord): Book => ({ ...book, available: !on_loan });

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

export const insertBookStatement = (db: Database, input: BookInput) =>
  db.insert(books).values({ ...input, title_key: titleKey(input.title) }).returning(versionedBookColumns);

/** Creates a book, recording the Idempotency-Key (if any) in the same batch. */
export async function insertBook(db: Database, input: BookInput, idempotency?: Idempotency): Promise<VersionedBook> {
  const [[row]] = await orTitleTaken(
    idempotentBatch(db, idempotency, [insertBookStatement(db, input)], { after: 0, status: 201, resourceId: 'inserted' }),
  );
  return row!;
}

/**
 * Applies `changes` (all fields for PUT, some for PATCH) and raises the version, only while the book
 * is at a version If-Match names (`matches`): 404 no such book, 412 another version.
 */
export async function updateBook(db: Database, id: number, changes: BookChanges, matches?: SQL): Promise<VersionedBook> {
  const keyed = changes.title === undefined ? changes : { ...changes, title_key: titleKey(changes.title) };
  const [[row], [probe]] = await orTitleTaken(
    db.batch([
      db
        .update(books)
        .set({ ...keyed, version: sql`${books.version} + 1` })
        .where(and(eq(books.id, id), matches))
        .returning(versionedBookColumns),
      db.select({ version: books.version }).from(books).where(eq(books.id, id)),
    ]),
  );
  if (row) return row;
  if (!probe) throw notFound('Book');
  throw preconditionFailed();
}

/**
 * Deletes a book unless it is on an active loan (or If-Match names another version), in one atomic
 * batch: the probe and the conditional DELETE see the same state, so a concurrent checkout cannot
 * slip in between. Returned loans simply lose the book (loan_books rows cascade). 404, 412, then 409.
 */
export async function deleteBook(db: Database, id: number, matches?: SQL): Promise<void> {
  const [probe, deleted] = await db.batch([
    db.select({ on_loan: books.on_loan, matches: matchesColumn(matches) }).from(books).where(eq(books.id, id)),
    db.delete(books).where(and(eq(books.id, id), eq(books.on_loan, false), matches)).returning({ id: books.id }),
  ]);
  if (deleted.length) return;
  if (!probe[0]) throw notFound('Book');
  if (!probe[0].matches) throw preconditionFailed();
  if (probe[0].on_loan) throw new ApiError(409, 'BOOK_ON_ACTIVE_LOAN', 'The book is on an active loan; delete it once it is returned.');
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
