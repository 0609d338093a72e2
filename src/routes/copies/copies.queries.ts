import { and, asc, count, eq, inArray, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { type Clock, setCirculationContext } from '../../db/circulation-context';
import { isUniqueViolation } from '../../db/errors';
import { rawAll } from '../../db/raw';
import { books, copies, type CopyRow, loanBooks } from '../../db/schema';
import { matchesColumn, preconditionFailed } from '../../lib/conditional';
import { actingAt, recordEvents } from '../../lib/events';
import { type Idempotency, idempotentBatch } from '../../lib/idempotency';
import { ApiError, notFound } from '../../lib/problem';
import { chargeFines, lateItems } from '../accounts/fines';
import type { CopyPatch } from './copies.schemas';

export const copyColumns = {
  id: copies.id,
  book_id: copies.book_id,
  barcode: copies.barcode,
  location: copies.location,
  status: copies.status,
  version: copies.version,
};
export type CopyRecord = CopyRow;

/** The wire shape; `version` is the ETag, not a field. The barcode is never null once the insert's trigger ran. */
export const toCopy = ({ version: _, barcode, ...copy }: CopyRecord) => ({ ...copy, barcode: barcode ?? '' });

export const barcodeTaken = () => new ApiError(409, 'BARCODE_TAKEN', 'Another copy has this barcode (barcodes are unique, ignoring case).');
export const copyOnLoan = (detail: string) => new ApiError(409, 'COPY_ON_LOAN', detail);

/** One copy by id, or by the id a subquery yields (an idempotent replay). */
export const findCopy = (db: Database, id: number | SQLWrapper) =>
  db.select(copyColumns).from(copies).where(typeof id === 'number' ? eq(copies.id, id) : inArray(copies.id, id));
export const findCopyByBarcode = (db: Database, barcode: string) => db.select(copyColumns).from(copies).where(eq(copies.barcode, barcode));

/**
 * A new copy of a book, in one batch: the insert names the book (no book, no row), the barcode
 * trigger assigns `C` + id when none is given, and the hold trigger sets it aside at once for the
 * first waiting hold, if any. The newest copy is this one: the batch runs alone.
 */
export async function createCopy(
  db: Database,
  bookId: number,
  { barcode, location }: { barcode?: string; location?: string | null },
  clock: Clock,
  actorId: number,
  idempotency?: Idempotency,
): Promise<CopyRecord> {
  try {
    const [, inserted, [copy]] = await idempotentBatch(
      db,
      idempotency,
      [
        setCirculationContext(db, clock, actorId),
        rawAll<{ id: number }>(
          db,
          sql`INSERT INTO copies (book_id, barcode, location) SELECT id, ${barcode ?? null}, ${location ?? null} FROM books WHERE id = ${bookId} RETURNING id`,
        ),
        db.select(copyColumns).from(copies).where(eq(copies.id, sql`(SELECT max(id) FROM copies)`)),
      ],
      { after: 1, status: 201, resourceId: 'inserted' },
    );
    if (!inserted.length || !copy) throw notFound('Book');
    return copy;
  } catch (err) {
    if (isUniqueViolation(err, 'copies.barcode')) throw barcodeTaken();
    throw err;
  }
}

/** A page of a book's copies by id, its total, and whether the book exists: one batch. */
export const bookCopiesQueries = (db: Database, bookId: number, { limit, offset }: { limit: number; offset: number }) =>
  [
    db.select({ id: books.id }).from(books).where(eq(books.id, bookId)),
    db.select(copyColumns).from(copies).where(eq(copies.book_id, bookId)).orderBy(asc(copies.id)).limit(limit).offset(offset),
    db.select({ value: count() }).from(copies).where(eq(copies.book_id, bookId)),
  ] as const;

/**
 * Changes location and/or status in one conditional UPDATE: status is refused for a copy on the
 * hold shelf, and `available`/`withdrawn` for one that is out. `lost` for a copy that is out also
 * closes it on its loan, as a check-in would (its status is set first, so the copy-back trigger
 * leaves it lost and gives it to nobody; the loan ends if that was its last copy out). Setting a
 * copy back to `available` lets the trigger hand it to the first waiting hold.
 */
export async function patchCopy(db: Database, id: number, patch: CopyPatch, clock: Clock, actorId: number, matches?: SQL): Promise<CopyRecord> {
  const newStatus = patch.status ?? null;
  const allowed = sql`(${newStatus} IS NULL OR (${copies.status} <> 'on_hold_shelf' AND (${copies.status} <> 'on_loan' OR ${newStatus} = 'lost')))`;
  const updatable = and(eq(copies.id, id), allowed, matches);
  const [, [before], , updated, , , , [copy]] = await db.batch([
    setCirculationContext(db, clock, actorId),
    db.select({ matches: matchesColumn(matches) }).from(copies).where(eq(copies.id, id)),
    // Before the UPDATE, under its condition, so that it precedes what the change sets off (a hold made ready).
    recordEvents(db, actingAt(actorId, clock), 'copy.updated', sql`SELECT NULL AS user_id, ${copies.book_id} AS book_id, ${copies.id} AS copy_id,
      NULL AS loan_id, NULL AS hold_id FROM ${copies} WHERE ${updatable}`),
    db
      .update(copies)
      .set({
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.location !== undefined ? { location: patch.location } : {}),
        version: sql`${copies.version} + 1`,
      })
      .where(updatable)
      .returning({ id: copies.id }),
    // A copy out marked lost closes on its loan as a check-in would: fined when late.
    ...chargeFines(
      db,
      actingAt(actorId, clock),
      clock.today,
      lateItems(sql`lb.copy_id = ${id} AND ${newStatus} = 'lost' AND (SELECT status FROM copies WHERE id = ${id}) = 'lost'`, clock.today),
    ),
    db
      .update(loanBooks)
      .set({ active: false, return_date: clock.today })
      .where(
        and(
          eq(loanBooks.copy_id, id),
          eq(loanBooks.active, true),
          sql`${newStatus} = 'lost'`,
          sql`(SELECT ${copies.status} FROM ${copies} WHERE ${copies.id} = ${id}) = 'lost'`,
        ),
      ),
    findCopy(db, id),
  ]);
  if (!copy || !before) throw notFound('Copy');
  if (updated.length) return copy;
  if (!before.matches) throw preconditionFailed();
  throw copyOnLoan(
    copy.status === 'on_hold_shelf'
      ? 'The copy is on the hold shelf for a ready hold; its status cannot change until the hold closes.'
      : 'The copy is out on a loan; check it in first (or mark it lost).',
  );
}

/** Deletes a copy unless it is out or on the hold shelf: 404, 409 COPY_ON_LOAN. */
export async function deleteCopy(db: Database, id: number, clock: Clock, actorId: number, matches?: SQL): Promise<void> {
  const [, [copy], deleted] = await db.batch([
    setCirculationContext(db, clock, actorId),
    db.select({ matches: matchesColumn(matches) }).from(copies).where(eq(copies.id, id)),
    db
      .delete(copies)
      .where(and(eq(copies.id, id), sql`${copies.status} NOT IN ('on_loan', 'on_hold_shelf')`, matches))
      .returning({ id: copies.id }),
  ]);
  if (deleted.length) return;
  if (!copy) throw notFound('Copy');
  if (!copy.matches) throw preconditionFailed();
  throw copyOnLoan('The copy is out on a loan or on the hold shelf; delete it once it is back.');
}
