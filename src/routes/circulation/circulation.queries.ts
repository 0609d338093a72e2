import { and, desc, eq, inArray, sql, type SQLWrapper } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { type Clock, setCirculationContext } from '../../db/circulation-context';
import { keyWhen, nothingChanged } from '../../db/raw';
import { copies, holds, loanBooks, loans } from '../../db/schema';
import { authorizeCaller, callerIs, callerProbe } from '../../lib/caller';
import { actingAt, recordEvents } from '../../lib/events';
import { type Idempotency, idempotentBatch } from '../../lib/idempotency';
import { ApiError, notFound } from '../../lib/problem';
import { chargeFines, lateItems } from '../accounts/fines';
import type { TokenClaims } from '../../lib/token';
import { copyColumns, type CopyRecord } from '../copies/copies.queries';
import { type HoldRecord, selectHolds } from '../holds/holds.queries';
import { loanColumns, type LoanWithItems, selectItemsOf } from '../loans/loans.queries';

export interface CheckIn {
  copy: CopyRecord;
  loan: LoanWithItems | null;
  hold: HoldRecord | null;
}

const copyIdOf = (barcode: string) => sql`(SELECT ${copies.id} FROM ${copies} WHERE ${copies.barcode} = ${barcode})`;

/** The copy's newest loan row's loan: the one just closed, when the check-in closed one. */
const lastLoanOf = (barcode: string) =>
  sql`(SELECT ${loanBooks.loan_id} FROM ${loanBooks} WHERE ${loanBooks.copy_id} = ${copyIdOf(barcode)} ORDER BY ${loanBooks.id} DESC LIMIT 1)`;

/**
 * The copy, a loan with its copies and the ready hold the copy fills, as they are now: the
 * check-in's own probes (the loan the copy was last on), and what a replayed Idempotency-Key
 * answers (`loan`: the loan its record names, none for a lost copy found).
 */
export const checkInView = (db: Database, barcode: string, loan?: SQLWrapper) => {
  const copyId = copyIdOf(barcode);
  const loanId = loan ?? lastLoanOf(barcode);
  return [
    db.select(copyColumns).from(copies).where(eq(copies.barcode, barcode)),
    db.select(loanColumns).from(loans).where(loan ? inArray(loans.id, loan) : eq(loans.id, loanId)),
    selectItemsOf(db, loanId, !loan),
    selectHolds(db)
      .where(and(eq(holds.copy_id, copyId), eq(holds.status, 'ready')))
      .orderBy(desc(holds.id))
      .limit(1),
  ] as const;
};

/**
 * The returns desk, in one batch: a copy out on a loan is checked in (its row closed with today's
 * date); the triggers then put it on the first waiting hold of its book (hold shelf) or the shelf,
 * and end the loan when no copy of it is left out. A `lost` copy is marked found the same way.
 * The probes read the copy, the loan it was on and the hold it now fills, as they are after the write.
 *
 * One round trip with the caller checked inside the writes (an admin, as stored now). An
 * Idempotency-Key records either way a check-in succeeds: a lost copy found (no loan), or a copy
 * back from a loan (the record names the loan).
 */
export async function checkIn(db: Database, caller: TokenClaims, barcode: string, clock: Clock, idempotency?: Idempotency): Promise<CheckIn> {
  const copyId = copyIdOf(barcode);
  const isAdmin = callerIs(caller, 'admin');
  const acting = actingAt(caller.id, clock);
  const lostCopy = and(eq(copies.barcode, barcode), eq(copies.status, 'lost'), isAdmin);
  const [, , found, , , closed, [copy], [loan], items, [hold], [callerRow]] = await idempotentBatch(
    db,
    idempotency,
    [
      setCirculationContext(db, clock, caller.id),
      // A copy out on a loan is recorded as checked in by the loan rows' trigger; a lost one found,
      // here: before its UPDATE, under its condition, so that it precedes the hold the copy fills.
      recordEvents(db, acting, 'copy.checked_in', sql`SELECT NULL AS user_id, ${copies.book_id} AS book_id, ${copies.id} AS copy_id,
        NULL AS loan_id, NULL AS hold_id FROM ${copies} WHERE ${lostCopy}`),
      // Only when the event above was written (it carries the conditions): a copy that is not lost
      // is then not looked up a second time.
      db
        .update(copies)
        .set({ status: 'available', version: sql`${copies.version} + 1` })
        .where(and(eq(copies.barcode, keyWhen(sql`changes() > 0`, barcode)), eq(copies.status, 'lost')))
        .returning({ id: copies.id }),
      // The copy's fine when it comes back late: the same row the UPDATE below closes.
      ...chargeFines(db, acting, clock.today, lateItems(sql`lb.copy_id = ${copyId} AND ${isAdmin}`, clock.today)),
      db
        .update(loanBooks)
        .set({ active: false, return_date: clock.today })
        .where(and(eq(loanBooks.copy_id, copyId), eq(loanBooks.active, true), isAdmin))
        .returning({ loan_id: loanBooks.loan_id }),
      ...checkInView(db, barcode),
      // Read when no copy row was closed: a refusal, or a lost copy found (its own update above).
      callerProbe(db, caller, nothingChanged),
    ],
    [
      { after: 2, status: 200, resourceId: null },
      { after: 5, status: 200, resourceId: lastLoanOf(barcode) },
    ],
  );
  if (!found.length && !closed.length) authorizeCaller(callerRow, caller, 'admin');
  if (!copy) throw notFound(`Copy with barcode ${barcode}`);
  if (!found.length && !closed.length) {
    throw new ApiError(409, 'COPY_NOT_ON_LOAN', `Copy ${barcode} is not out on a loan (it is ${copy.status.replaceAll('_', ' ')}).`);
  }
  return { copy, loan: closed.length && loan ? { loan, items } : null, hold: hold ?? null };
}
