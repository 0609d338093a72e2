import { and, eq, exists, gte, inArray, isNull, lt, notExists, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { keyWhen, nothingChanged, rawAll, rawRun } from '../../db/raw';
import { type Clock, setCirculationContext } from '../../db/circulation-context';
import { isUniqueViolation } from '../../db/errors';
import { books, loanBooks, type LoanRow, loans, policy, users } from '../../db/schema';
import { refused } from '../../lib/blockers';
import { patronBlockers, patronBlockProbe, patronNotBlocked } from '../../lib/blocks';
import { authorizeCaller, callerIs, callerProbe } from '../../lib/caller';
import { actingAt, recordEvent, recordEvents } from '../../lib/events';
import { type Idempotency, idempotentBatch } from '../../lib/idempotency';
import type { TokenClaims } from '../../lib/token';
import { policyDays, policyValue } from '../../lib/policy';
import { chargeFines, lateItems } from '../accounts/fines';
import { ApiError, type Blocker, forbidden, notFound } from '../../lib/problem';
import { allEntriesLendable, diagnoseEntries, entryBlockers, type LoanEntry, missingEntry, resolvedEntries } from './copy-choice';
import { foundLoan, loanColumns, type LoanWithItems, selectItemsOf } from './loans.queries';

/**
 * Every loan write is ONE db.batch(): D1 runs a batch atomically and serialises it with every other
 * write, but offers no interactive transaction. So each write is conditional SQL that does nothing
 * when a precondition fails, followed by probe SELECTs in the same batch that say which one it was.
 * The batch starts with the circulation context, which the triggers (copy status, holds, readers,
 * a loan ending with its last copy) read. The partial unique indexes on loan_books stay the last
 * word on "a copy is out on at most one loan": should a write get past its guard, they abort it.
 *
 * Authorization rides in the same SQL (one round trip): every write is conditional on the token's
 * account being current (callerIs), and on owning the loan or being, as stored now, an admin; the
 * caller probe in the batch explains a refusal in the contract's order (401, 403, 404, 409).
 */

/**
 * The loan is visible to the token's caller when the account is current and owns it or is, as
 * stored now, an admin. `id` may be a subquery (an idempotent replay names the loan by its record).
 */
export const visibleLoanTo = (caller: TokenClaims, id: number | SQLWrapper): SQL =>
  and(
    typeof id === 'number' ? eq(loans.id, id) : inArray(loans.id, id),
    callerIs(caller),
    or(eq(loans.user_id, caller.id), callerIs(caller, 'admin')),
  )!;

export const selectLoanFor = (db: Database, caller: TokenClaims, id: number | SQLWrapper) =>
  db.select(loanColumns).from(loans).where(visibleLoanTo(caller, id));

const loanReturned = (): Blocker => ({ code: 'LOAN_RETURNED', detail: 'The loan has already been returned.' });

/** A batch inserting loan rows lost a race it could not see coming: the copy went to another writer. */
async function guardedByActiveIndex<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isUniqueViolation(err, 'loan_books.copy_id') || isUniqueViolation(err, 'loan_books.loan_id')) {
      throw new ApiError(409, 'BOOK_UNAVAILABLE', 'A requested copy was just taken by another request.');
    }
    throw err;
  }
}

export interface Checkout {
  userId: number;
  entries: LoanEntry[];
  clock: Clock;
}

/**
 * Opens a loan holding a copy for each entry, or writes nothing, in ONE round trip with the caller
 * checked in the INSERT: 401 stale token, 403 a member naming another borrower, 404 unknown user,
 * book or barcode, 409 with blockers (the contract's order).
 */
export async function checkout(
  db: Database,
  caller: TokenClaims,
  { userId, entries, clock }: Checkout,
  idempotency?: Idempotency,
): Promise<LoanWithItems> {
  const borrower = sql`${userId}`;
  // The policy's loan period as it is when the loan opens (its row `p` is read inside the statement).
  const deadline = sql`date(${clock.today}, '+' || p.loan_days || ' days')`;
  // A patron borrowing for themselves is the row `u` the INSERT reads: its token version is checked there.
  const mayLoanFor = userId === caller.id ? sql`u.token_version = ${caller.version}` : callerIs(caller, 'admin');
  const adding = { copies: entries.length };
  const [, [loan], , items, diagnoses, [user], [blocks], [callerRow]] = await guardedByActiveIndex(
    idempotentBatch(db, idempotency, [
      setCirculationContext(db, clock, caller.id),
      // RETURNING the loan as the answer shows it (the loan rows' triggers below do not change it).
      rawAll<LoanRow>(db, sql`WITH ${resolvedEntries(entries, borrower)}
        INSERT INTO loans (user_id, loan_date, deadline, renewals)
        SELECT u.id, ${clock.today}, ${deadline}, 0 FROM users u JOIN policy p ON p.id = 1
        WHERE u.id = ${userId} AND ${mayLoanFor} AND ${allEntriesLendable(entries.length, borrower)}
          AND ${patronNotBlocked(borrower, clock.today, adding, undefined, { policy: 'p', user: 'u' })}
        RETURNING id, user_id, loan_date, deadline, return_date, renewals`),
      // changes() counts what the loan insert just before did (1 row or none; trigger writes are not
      // counted); the new loan is the newest row, since AUTOINCREMENT ids only grow and the batch runs alone.
      rawRun(db, sql`WITH ${resolvedEntries(entries, borrower)}
        INSERT INTO loan_books (loan_id, book_id, copy_id, active)
        SELECT (SELECT max(id) FROM loans), book_id, copy_id, 1 FROM resolved WHERE changes() = 1 ORDER BY pos`),
      selectItemsOf(db, sql`(SELECT max(id) FROM loans)`, true),
      diagnoseEntries(db, entries, borrower),
      // The borrower, for a refusal's 404 only: a NULL key (nothing read) once the loan's rows went in.
      db.select({ id: users.id }).from(users).where(eq(users.id, keyWhen(nothingChanged, userId))),
      // Only when nothing was written (changes() = 0 after the last insert): a refusal explains itself.
      patronBlockProbe(db, borrower, clock.today, undefined, nothingChanged),
      callerProbe(db, caller, nothingChanged),
    ], { after: 1, status: 201, resourceId: 'inserted' }),
  );

  if (loan) return { loan, items };
  const stored = authorizeCaller(callerRow, caller);
  if (userId !== caller.id && stored.role !== 'admin') throw forbidden('Only an admin can open a loan for another user.');
  if (!user) throw notFound('User');
  const missing = missingEntry(diagnoses);
  if (missing) throw notFound(missing);
  const blockers = [...entryBlockers(diagnoses), ...(blocks ? patronBlockers(blocks, adding) : [])];
  if (blockers.length) throw refused(blockers);
  // Every probe passed, yet nothing was written: only a vanished borrower is left.
  throw notFound('User');
}

/** Adds a copy to an open loan, chosen by book or by barcode: 404 loan, book or barcode; 409 with blockers. */
export async function addToLoan(db: Database, caller: TokenClaims, loanId: number, entry: LoanEntry, clock: Clock): Promise<LoanWithItems> {
  const borrower = sql`(SELECT user_id FROM loans WHERE id = ${loanId})`;
  const visible = sql`${callerIs(caller)} AND (l.user_id = ${caller.id} OR ${callerIs(caller, 'admin')})`;
  const [, added, , loanRows, items, diagnoses, [blocks], [callerRow]] = await guardedByActiveIndex(
    db.batch([
      setCirculationContext(db, clock, caller.id),
      rawAll<{ id: number }>(db, sql`WITH ${resolvedEntries([entry], borrower)}
        INSERT INTO loan_books (loan_id, book_id, copy_id, active)
        SELECT l.id, r.book_id, r.copy_id, 1 FROM loans l JOIN resolved r
        WHERE l.id = ${loanId} AND ${visible} AND l.return_date IS NULL AND ${allEntriesLendable(1, borrower)}
          AND ${patronNotBlocked(borrower, clock.today, { copies: 1 })}
        RETURNING id`),
      // The row just inserted (the newest: the batch runs alone), read once, only when it went in.
      recordEvents(
        db,
        actingAt(caller.id, clock),
        'loan.copy_added',
        sql`SELECT l.user_id AS user_id, lb.book_id AS book_id, lb.copy_id AS copy_id, lb.loan_id AS loan_id, NULL AS hold_id
            FROM loan_books lb JOIN loans l ON l.id = lb.loan_id WHERE lb.id = ${keyWhen(sql`changes() > 0`, sql`(SELECT max(id) FROM loan_books)`)}`,
      ),
      selectLoanFor(db, caller, loanId),
      selectItemsOf(db, loanId),
      diagnoseEntries(db, [entry], borrower, loanId),
      patronBlockProbe(db, borrower, clock.today, undefined, nothingChanged),
      callerProbe(db, caller, nothingChanged),
    ]),
  );

  if (added.length > 0) return foundLoan([loanRows, items]);
  authorizeCaller(callerRow, caller);
  const result = foundLoan([loanRows, items]);
  const missing = missingEntry(diagnoses);
  if (missing) throw notFound(missing);
  if (result.loan.return_date !== null) throw refused([loanReturned()]);
  throw refused([...entryBlockers(diagnoses), ...(blocks ? patronBlockers(blocks, { copies: 1 }) : [])]);
}

/** Takes a book's copy off an open loan (it goes back to the shelf or the queue): 404, 409. */
export async function removeBook(db: Database, caller: TokenClaims, loanId: number, bookId: number, clock: Clock): Promise<LoanWithItems> {
  const openVisibleLoan = db
    .select({ id: loans.id })
    .from(loans)
    .where(and(visibleLoanTo(caller, loanId), isNull(loans.return_date)));
  const removable = and(eq(loanBooks.loan_id, loanId), eq(loanBooks.book_id, bookId), eq(loanBooks.active, true), exists(openVisibleLoan));
  const [, , , , removed, loanRows, [book], itemsNow, [callerRow]] = await db.batch([
    setCirculationContext(db, clock, caller.id),
    // Past the deadline, the copy released is fined as a check-in would be (the same rows the DELETE takes).
    ...chargeFines(
      db,
      actingAt(caller.id, clock),
      clock.today,
      lateItems(sql`lb.loan_id = ${loanId} AND lb.book_id = ${bookId} AND ${exists(openVisibleLoan)}`, clock.today),
    ),
    // Written from the row about to go (its copy is named nowhere else), under the DELETE's own condition.
    recordEvents(
      db,
      actingAt(caller.id, clock),
      'loan.copy_removed',
      sql`SELECT (SELECT user_id FROM loans WHERE id = ${loanId}) AS user_id, book_id, copy_id, loan_id, NULL AS hold_id
          FROM ${loanBooks} WHERE ${removable}`,
    ),
    db.delete(loanBooks).where(removable).returning({ book_id: loanBooks.book_id }),
    selectLoanFor(db, caller, loanId),
    db.select({ id: books.id }).from(books).where(eq(books.id, bookId)),
    selectItemsOf(db, loanId),
    callerProbe(db, caller, nothingChanged),
  ]);

  if (!removed.length) authorizeCaller(callerRow, caller);
  const result = foundLoan([loanRows, itemsNow]);
  if (removed.length) return result;
  if (!book) throw notFound(`Book ${bookId}`);
  if (result.loan.return_date !== null) throw refused([loanReturned()]);
  if (result.items.some((item) => item.id === bookId)) {
    throw refused([{ code: 'COPY_NOT_ON_LOAN', detail: `The copy of book ${bookId} on this loan has already been checked in.`, book_id: bookId }]);
  }
  throw new ApiError(409, 'BOOK_NOT_ON_LOAN', `Book ${bookId} is not on this loan.`);
}

/** Sets the return date and checks in every copy still out, in the same batch: 404, 409 already returned. */
export async function returnLoan(
  db: Database,
  caller: TokenClaims,
  id: number,
  clock: Clock,
  idempotency?: Idempotency,
): Promise<LoanWithItems> {
  // The caller's loan, returned today: the copies follow the loan only then (a returned loan has
  // none out; should one be, it is not closed for a caller who may not see the loan).
  const returnedToday = db
    .select({ id: loans.id })
    .from(loans)
    .where(and(visibleLoanTo(caller, id), eq(loans.return_date, clock.today)));
  const [, returned, [callerRow], , , , loanRows, items] = await idempotentBatch(db, idempotency, [
    setCirculationContext(db, clock, caller.id),
    db
      .update(loans)
      .set({ return_date: clock.today })
      .where(and(visibleLoanTo(caller, id), isNull(loans.return_date)))
      .returning({ id: loans.id }),
    // Only when the loan was not returned now: the refusal's explanation.
    callerProbe(db, caller, nothingChanged),
    // Late copies of the loan just returned (none when it was not): one fine each, before they close.
    ...chargeFines(db, actingAt(caller.id, clock), clock.today, lateItems(sql`lb.loan_id = ${id} AND l.return_date = ${clock.today}`, clock.today)),
    // The triggers put each copy back on the shelf or on the first waiting hold.
    db
      .update(loanBooks)
      .set({ active: false, return_date: clock.today })
      .where(and(eq(loanBooks.loan_id, id), eq(loanBooks.active, true), exists(returnedToday))),
    selectLoanFor(db, caller, id),
    selectItemsOf(db, id),
  ], { after: 1, status: 200, resourceId: id });

  if (!returned.length) authorizeCaller(callerRow, caller);
  const result = foundLoan([loanRows, items]);
  if (!returned.length) throw refused([loanReturned()]);
  return result;
}

/**
 * Moves the deadline on by the renewal period. The conditions sit in the UPDATE itself, so racing
 * renewals are serialised by D1 and cannot pass the limit: 404; 409 returned, overdue, limit, or
 * HOLD_PENDING while another patron waits for a book whose copy is out on this loan and none is free
 * (the book's trigger-kept counts answer that without reading the queue).
 */
export async function renewLoan(
  db: Database,
  caller: TokenClaims,
  id: number,
  clock: Clock,
  idempotency?: Idempotency,
): Promise<LoanWithItems> {
  const { today } = clock;
  // `loanKey` is the loan's id, or for the refusal's probe an id that is NULL (nothing read) once the renewal succeeded.
  const pendingHolds = (columns: { book_id: typeof loanBooks.book_id }, loanKey: SQL | number = id) =>
    db
      .select(columns)
      .from(loanBooks)
      .innerJoin(books, eq(books.id, loanBooks.book_id))
      .where(and(eq(loanBooks.loan_id, loanKey), eq(loanBooks.active, true), sql`${books.holds_waiting} > 0`, eq(books.available_copies, 0)));
  const onRefusal = (key: number) => keyWhen(nothingChanged, key);
  const borrower = sql`(SELECT user_id FROM loans WHERE id = ${id})`;
  const [renewed, , loanRows, items, pending, [limit], [blocks], [callerRow]] = await idempotentBatch(db, idempotency, [
    db
      .update(loans)
      .set({
        // SQLite's date() does the same UTC calendar arithmetic as addDays().
        deadline: sql`date(${loans.deadline}, ${policyDays('renewal_days')})`,
        renewals: sql`${loans.renewals} + 1`,
      })
      .where(
        and(
          visibleLoanTo(caller, id),
          isNull(loans.return_date),
          gte(loans.deadline, today),
          lt(loans.renewals, policyValue('max_renewals')),
          notExists(pendingHolds({ book_id: loanBooks.book_id })),
          patronNotBlocked(borrower, today),
        ),
      )
      .returning({ id: loans.id }),
    recordEvent(db, actingAt(caller.id, clock), 'loan.renewed', { user_id: borrower, loan_id: id }),
    selectLoanFor(db, caller, id),
    selectItemsOf(db, id),
    // The refusal's probes: changes() = 0 after the renewal (and its event) wrote nothing.
    pendingHolds({ book_id: loanBooks.book_id }, onRefusal(id)),
    db.select({ max_renewals: policy.max_renewals }).from(policy).where(eq(policy.id, onRefusal(1))),
    patronBlockProbe(db, borrower, today, undefined, nothingChanged),
    callerProbe(db, caller, nothingChanged),
  ], { after: 0, status: 200, resourceId: id });

  if (!renewed.length) authorizeCaller(callerRow, caller);
  const result = foundLoan([loanRows, items]);
  const { loan } = result;
  if (renewed.length) return result;
  const blockers: Blocker[] = [];
  if (loan.return_date !== null) blockers.push(loanReturned());
  else if (loan.deadline < today) blockers.push({ code: 'LOAN_OVERDUE', detail: `The loan was due on ${loan.deadline}; return it instead.` });
  if (loan.return_date === null && loan.renewals >= (limit?.max_renewals ?? 0)) {
    blockers.push({ code: 'RENEWAL_LIMIT_REACHED', detail: `The loan has been renewed ${loan.renewals} times, the policy's limit (max_renewals).` });
  }
  for (const { book_id } of pending) {
    blockers.push({ code: 'HOLD_PENDING', detail: `Another patron is waiting for book ${book_id} and no copy is free.`, book_id });
  }
  if (blocks) blockers.push(...patronBlockers(blocks));
  throw refused(blockers);
}

/** Deletes a loan; its rows cascade and their trigger puts copies still out back (shelf or queue). */
export async function deleteLoan(db: Database, id: number, clock: Clock, actorId: number): Promise<void> {
  const [, deleted] = await db.batch([
    setCirculationContext(db, clock, actorId),
    db.delete(loans).where(eq(loans.id, id)).returning({ id: loans.id }),
  ]);
  if (!deleted.length) throw notFound('Loan');
}
