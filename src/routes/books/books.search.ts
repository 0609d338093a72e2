import { and, asc, count, eq, sql, type SQL } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { Database } from '../../db/client';
import { books } from '../../db/schema';
import { bookColumns } from './books.queries';
import type { SearchCriteria } from './books.schemas';

/**
 * The FTS5 table of migrations/0001 (external content = books, trigram tokenizer), declared here
 * only to build queries: drizzle-kit reads src/db/schema.ts alone, so it never tries to create it.
 */
const booksFts = sqliteTable('books_fts', {
  rowid: integer('rowid').notNull(),
  title: text('title'),
  author: text('author'),
  genre: text('genre'),
});

const FIELDS = ['title', 'author', 'genre'] as const;
type Field = (typeof FIELDS)[number];

/** The trigram tokenizer indexes 3-character windows; a shorter term cannot be looked up in it. */
export const TRIGRAM_LENGTH = 3;

/** An FTS5 string literal: inside double quotes operators, `*`, `:`, `^` and NEAR are plain text. */
export const ftsPhrase = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** A LIKE pattern matching `text` as a substring, with LIKE's own wildcards escaped (ESCAPE '\'). */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

const codePoints = (text: string) => [...text].length;

/**
 * A page of books matching every given criterion, and the matching count, as two statements for
 * one `db.batch()`. Terms of 3+ characters go to the trigram index as column-filtered phrases:
 * D1 counts one row per index match, so the cost is matches (count) + 2 × the rows up to the page's
 * end (index row + books row). Shorter terms become an escaped LIKE over the rows the index matched,
 * or, when no term is long enough, over the whole table: a scan, about the catalogue's size for the
 * count plus what the page walks (10,049 rows at 10,000 books). LIKE folds ASCII case only.
 */
export function searchBooks(db: Database, criteria: SearchCriteria, { limit, offset }: { limit: number; offset: number }) {
  const terms = FIELDS.flatMap((field) => (criteria[field] === undefined ? [] : [[field, criteria[field]] as [Field, string]]));
  const indexed = terms.filter(([, term]) => codePoints(term) >= TRIGRAM_LENGTH);
  const filters: SQL[] = terms
    .filter(([, term]) => codePoints(term) < TRIGRAM_LENGTH)
    .map(([field, term]) => sql`${books[field]} LIKE ${likePattern(term)} ESCAPE '\\'`);
  // An exact ISBN goes through its unique index; with no long text term it is the whole plan.
  if (criteria.isbn !== undefined) filters.unshift(eq(books.isbn, criteria.isbn));

  if (indexed.length === 0) {
    const where = and(...filters);
    return [
      db.select(bookColumns).from(books).where(where).orderBy(asc(books.id)).limit(limit).offset(offset),
      db.select({ value: count() }).from(books).where(where),
    ] as const;
  }

  // One bound MATCH string, e.g. `title : "dune" AND genre : "sci""fi"`: the user's text never
  // reaches the FTS query parser outside a quoted phrase.
  const match = sql`${booksFts} MATCH ${indexed.map(([field, term]) => `${field} : ${ftsPhrase(term)}`).join(' AND ')}`;
  const where = and(match, ...filters);
  return [
    // FTS5 yields rowids in ascending order, so ORDER BY rowid needs no sort.
    db
      .select(bookColumns)
      .from(booksFts)
      .innerJoin(books, eq(books.id, booksFts.rowid))
      .where(where)
      .orderBy(asc(booksFts.rowid))
      .limit(limit)
      .offset(offset),
    // Without LIKE filters the count never leaves the index: it reads exactly the matches.
    filters.length
      ? db.select({ value: count() }).from(booksFts).innerJoin(books, eq(books.id, booksFts.rowid)).where(where)
      : db.select({ value: count() }).from(booksFts).where(match),
  ] as const;
}
