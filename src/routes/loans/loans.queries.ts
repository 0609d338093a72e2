import { and, asc, count, eq, exists, gte, inArray, isNotNull, isNull, lt, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { isUniqueViolation } from '../../db/errors';
import { books, counters, loanBooks, loans, users, type LoanRow, type Role } from '../../db/schema';
import { authorizeCaller, callerIs, callerProbe } from '../../lib/caller';
import { type Idempotency, idempotentBatch } from '../../lib/idempotency';
import { ApiError, forbidden, notFound } from '../../lib/problem';
import type { TokenClaims } from '../../lib/token';
import { bookColumns, type BookRecord } from '../books/books.queries';
import { LOAN_PERIOD_DAYS, MAX_RENEWALS, type LoanStatus } from './loan-dates';

/**
 * Every loan write is ONE db.batch(): D1 runs a batch atomically (a failing statement rolls the
 * whole batch back) and serialises it with every other write, but offers no interactive
 * transaction. So each write is conditional SQL that does nothing when a precondition fails,
 * followed by probe SELECTs in the same batch that say which precondition it was. The partial
 * unique index on loan_books(book_id) WHERE active = 1 stays the last word on "one active loan
 * per book": should a conditional insert ever get past its guard, the index aborts the batch.
 */

/** Who is asking: admins see every loan, members only their own. */
export interface Viewer {
  id: number;
  role: Role;
}

export const loanColumns = {
  id: loans.id,
  user_id: loans.user_id,
  loan_date: loans.loan_date,
  deadline: loans.deadline,
  return_date: loans.return_date,
  renewals: loans.renewals,
};

export interface LoanWithBooks {
  loan: LoanRow;
  books: BookRecord[];
}

const loanNotFound = () => notFound('Loan');
const bookNotFound = (id: number) => notFound(`Book ${id}`);
const loanReturned = () => new ApiError(409, 'LOAN_RETURNED', 'The loan has already been returned.');
const bookUnavailable = (id?: number) =>
  new ApiError(409, 'BOOK_UNAVAILABLE', `${id === undefined ? 'A requested book' : `Book ${id}`} is on another active loan.`);

/** Another member's loan matches nothing, so it answers 404 exactly like a missing one. */
const visibleLoan = (viewer: Viewer, id: number): SQL =>
  viewer.role === 'admin' ? eq(loans.id, id) : and(eq(loans.id, id), eq(loans.user_id, viewer.id))!;

const selectLoan = (db: Database, viewer: Viewer, id: number) => db.select(loanColumns).from(loans).where(visibleLoan(viewer, id));

/**
 * Writes authorise inside their own SQL (one round trip): the loan is visible to the token's caller
 * when the account is current (callerIs) and owns it or is, as stored now, an admin. `id` may be a
 * subquery (an idempotent replay names the loan through its record).
 */
const visibleLoanTo = (caller: TokenClaims, id: number | SQLWrapper): SQL =>
  and(
    typeof id === 'number' ? eq(loans.id, id) : inArray(loans.id, id),
    callerIs(caller),
    or(eq(loans.user_id, caller.id), callerIs(caller, 'admin')),
  )!;

export const selectLoanFor = (db: Database, caller: TokenClaims, id: number | SQLWrapper) =>
  db.select(loanColumns).from(loans).where(visibleLoanTo(caller, id));

const selectBook = (db: Database, id: number) => db.select({ id: books.id }).from(books).where(eq(books.id, id));

/** The books of one loan, or of every loan a subquery names, by loan then book id. */
export const selectBooksOf = (db: Database, loanIds: number | SQLWrapper) =>
  db
    .select({ loan_id: loanBooks.loan_id, ...bookColumns })
    .from(loanBooks)
    .innerJoin(books, eq(books.id, loanBooks.book_id))
    .where(typeof loanIds === 'number' ? eq(loanBooks.loan_id, loanIds) : inArray(loanBooks.loan_id, loanIds))
    .orderBy(asc(loanBooks.loan_id), asc(books.id));

const withoutLoanId = ({ loan_id: _, ...book }: BookRecord & { loan_id: number }): BookRecord => book;

/** Runs a batch that inserts loan_books rows; the one-active-loan index firing means a racing writer won. */
async function guardedByActiveIndex<T>(work: Promise<T>, bookId?: number): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isUniqueViolation(err, 'loan_books.book_id')) throw bookUnavailable(bookId);
    throw err;
  }
}

export interface Checkout {
  userId: number;
  bookIds: number[];
  loanDate: string;
  deadline: string;
}

/**
 * Opens a loan holding `bookIds`, or writes nothing, in ONE round trip with the caller checked in
 * the INSERT: 401 stale token, 403 a member naming another borrower, 404 unknown user or book,
 * 409 a book on loan (the contract's order).
 */
export async function checkout(
  db: Database,
  caller: TokenClaims,
  { userId, bookIds, loanDate, deadline }: Checkout,
  idempotency?: Idempotency,
): Promise<LoanWithBooks> {
  const ids = JSON.stringify(bookIds);
  const requested = sql`(SELECT value FROM json_each(${ids}))`;
  // Ids are distinct (validation), so "as many available books as ids" means every one exists and is free.
  const allAvailable = sql`(SELECT count(*) FROM ${books} WHERE ${books.id} IN ${requested} AND ${books.on_loan} = 0) = json_array_length(${ids})`;
  const mayLoanFor = userId === caller.id ? callerIs(caller) : callerIs(caller, 'admin');

  const [[callerRow], created, , requestedBooks] = await guardedByActiveIndex(
    idempotentBatch(
      db,
      idempotency,
      [
        callerProbe(db, caller),
        db
          .insert(loans)
          .select((qb) =>
            qb
              .select({
                id: sql`NULL`.as('id'),
                user_id: users.id,
                loan_date: sql`${loanDate}`.as('loan_date'),
                deadline: sql`${deadline}`.as('deadline'),
                return_date: sql`NULL`.as('return_date'),
                renewals: sql`0`.as('renewals'),
              })
              .from(users)
              .where(and(eq(users.id, userId), mayLoanFor, allAvailable)),
          )
          .returning(loanColumns),
        // changes() = 1 exactly when the loan insert just before took place (an Idempotency-Key's
        // settle statement, placed between them, keeps that answer). The new loan is the newest row,
        // since AUTOINCREMENT ids only grow and the batch runs alone. (Not last_insert_rowid(): it
        // moves on to each loan_books row whenever SQLite streams the SELECT.)
        db.insert(loanBooks).select((qb) =>
          qb
            .select({
              loan_id: sql`(SELECT max(${loans.id}) FROM ${loans})`.as('loan_id'),
              book_id: sql`value`.as('book_id'),
              active: sql`1`.as('active'),
            })
            .from(sql`json_each(${ids})`)
            .where(sql`changes() = 1`),
        ),
        // After the inserts: the loan's books (now unavailable) on success, the reason on failure.
        db.select(bookColumns).from(books).where(inArray(books.id, requested)).orderBy(asc(books.id)),
      ],
      { after: 1, status: 201, resourceId: 'inserted' },
    ),
  );

  const [loan] = created;
  if (loan) return { loan, books: requestedBooks };
  const stored = authorizeCaller(callerRow, caller);
  if (userId !== caller.id && stored.role !== 'admin') throw forbidden('Only an admin can open a loan for another user.');
  const found = new Set(requestedBooks.map((book) => book.id));
  const missing = bookIds.find((id) => !found.has(id));
  if (missing !== undefined) throw bookNotFound(missing);
  const taken = requestedBooks.find((book) => book.on_loan);
  if (taken) throw bookUnavailable(taken.id);
  // Every book was there and free, so the guard failed on the borrower.
  throw notFound('User');
}

/** Adds a book to an open loan: 404 loan or book, 409 returned, already on it, or on another loan. */
export async function addBook(db: Database, caller: TokenClaims, loanId: number, bookId: number): Promise<LoanWithBooks> {
  const [[callerRow], added, loanRows, [book], loanBooksNow] = await guardedByActiveIndex(
    db.batch([
      callerProbe(db, caller),
      db
        .insert(loanBooks)
        .select((qb) =>
          qb
            .select({ loan_id: loans.id, book_id: books.id, active: sql`1`.as('active') })
            .from(loans)
            .innerJoin(books, eq(books.id, bookId))
            .where(and(visibleLoanTo(caller, loanId), isNull(loans.return_date), eq(books.on_loan, false))),
        )
        .returning({ book_id: loanBooks.book_id }),
      selectLoanFor(db, caller, loanId),
      selectBook(db, bookId),
      selectBooksOf(db, loanId),
    ]),
    bookId,
  );

  if (!added.length) authorizeCaller(callerRow, caller);
  const result = foundLoan([loanRows, loanBooksNow]);
  if (added.length) return result;
  if (!book) throw bookNotFound(bookId);
  if (result.loan.return_date !== null) throw loanReturned();
  if (result.books.some((held) => held.id === bookId)) {
    throw new ApiError(409, 'BOOK_ALREADY_ON_LOAN', `Book ${bookId} is already on this loan.`);
  }
  throw bookUnavailable(bookId);
}

/** Takes a book off an open loan (its readers count drops with the row): 404, 409 returned or not on it. */
export async function removeBook(db: Database, caller: TokenClaims, loanId: number, bookId: number): Promise<LoanWithBooks> {
  const openVisibleLoan = db
    .select({ id: loans.id })
    .from(loans)
    .where(and(visibleLoanTo(caller, loanId), isNull(loans.return_date)));
  const [[callerRow], removed, loanRows, [book], loanBooksNow] = await db.batch([
    callerProbe(db, caller),
    db
      .delete(loanBooks)
      .where(and(eq(loanBooks.loan_id, loanId), eq(loanBooks.book_id, bookId), exists(openVisibleLoan)))
      .returning({ book_id: loanBooks.book_id }),
    selectLoanFor(db, caller, loanId),
    selectBook(db, bookId),
    selectBooksOf(db, loanId),
  ]);

  if (!removed.length) authorizeCaller(callerRow, caller);
  const result = foundLoan([loanRows, loanBooksNow]);
  if (removed.length) return result;
  if (!book) throw bookNotFound(bookId);
  if (result.loan.return_date !== null) throw loanReturned();
  throw new ApiError(409, 'BOOK_NOT_ON_LOAN', `Book ${bookId} is not on this loan.`);
}

/** Sets the return date and frees the loan's books in the same batch: 404, 409 already returned. */
export async function returnLoan(
  db: Database,
  caller: TokenClaims,
  id: number,
  today: string,
  idempotency?: Idempotency,
): Promise<LoanWithBooks> {
  const returnedLoan = db
    .select({ id: loans.id })
    .from(loans)
    .where(and(eq(loans.id, id), isNotNull(loans.return_date)));
  const [[callerRow], returned, , loanRows, loanBooksNow] = await idempotentBatch(
    db,
    idempotency,
    [
    callerProbe(db, caller),
    db
      .update(loans)
      .set({ return_date: today })
      .where(and(visibleLoanTo(caller, id), isNull(loans.return_date)))
      .returning({ id: loans.id }),
    // A returned loan holds no active book, so this changes rows only if the update above just
    // returned the loan; the triggers then mark the books available.
    db
      .update(loanBooks)
      .set({ active: false })
      .where(and(eq(loanBooks.loan_id, id), eq(loanBooks.active, true), exists(returnedLoan))),
    selectLoanFor(db, caller, id),
    selectBooksOf(db, id),
    ],
    { after: 1, status: 200, resourceId: id },
  );

  if (!returned.length) authorizeCaller(callerRow, caller);
  const result = foundLoan([loanRows, loanBooksNow]);
  if (!returned.length) throw loanReturned();
  return result;
}

/**
 * Moves the deadline on by a loan period. The conditions sit in the UPDATE itself, so racing
 * renewals are serialised by D1 and cannot pass MAX_RENEWALS: 404, 409 returned, overdue, limit.
 */
export async function renewLoan(
  db: Database,
  caller: TokenClaims,
  id: number,
  today: string,
  idempotency?: Idempotency,
): Promise<LoanWithBooks> {
  const [[callerRow], renewed, loanRows, loanBooksNow] = await idempotentBatch(
    db,
    idempotency,
    [
    callerProbe(db, caller),
    db
      .update(loans)
      .set({
        // SQLite's date() does the same UTC calendar arithmetic as addDays().
        deadline: sql`date(${loans.deadline}, ${`+${LOAN_PERIOD_DAYS} days`})`,
        renewals: sql`${loans.renewals} + 1`,
      })
      .where(
        and(visibleLoanTo(caller, id), isNull(loans.return_date), gte(loans.deadline, today), lt(loans.renewals, MAX_RENEWALS)),
      )
      .returning({ id: loans.id }),
    selectLoanFor(db, caller, id),
    selectBooksOf(db, id),
    ],
    { after: 1, status: 200, resourceId: id },
  );

  if (!renewed.length) authorizeCaller(callerRow, caller);
  const result = foundLoan([loanRows, loanBooksNow]);
  const { loan } = result;
  if (renewed.length) return result;
  if (loan.return_date !== null) throw loanReturned();
  if (loan.deadline < today) throw new ApiError(409, 'LOAN_OVERDUE', `The loan was due on ${loan.deadline}; return it instead.`);
  throw new ApiError(409, 'RENEWAL_LIMIT_REACHED', `A loan can be renewed at most ${MAX_RENEWALS} times.`);
}

/** Deletes a loan; loan_books rows cascade and their delete trigger lowers each book's readers. */
export async function deleteLoan(db: Database, id: number): Promise<void> {
  const deleted = await db.delete(loans).where(eq(loans.id, id)).returning({ id: loans.id });
  if (!deleted.length) throw loanNotFound();
}

/** One loan and its books, as a viewer may see it; run inside the caller's batch (batchAsCaller). */
export const findLoanQueries = (db: Database, viewer: Viewer, id: number) => [selectLoan(db, viewer, id), selectBooksOf(db, id)] as const;

/** A loan the viewer may see with its books, or 404: how every single-loan answer is read. */
export function foundLoan([[loan], loanBooksNow]: [LoanRow[], (BookRecord & { loan_id: number })[]]): LoanWithBooks {
  if (!loan) throw loanNotFound();
  return { loan, books: loanBooksNow.map(withoutLoanId) };
}

export interface LoanFilters {
  userId?: number;
  status?: LoanStatus;
}

const STATUS_CONDITIONS: Record<LoanStatus, (today: string) => SQL | undefined> = {
  returned: () => isNotNull(loans.return_date),
  active: (today) => and(isNull(loans.return_date), gte(loans.deadline, today)),
  overdue: (today) => and(isNull(loans.return_date), lt(loans.deadline, today)),
};

const loanFilter = ({ userId, status }: LoanFilters, today: string) =>
  and(userId === undefined ? undefined : eq(loans.user_id, userId), status ? STATUS_CONDITIONS[status](today) : undefined);

/**
 * A page's total without scanning loans. Counter rows kept by triggers count all loans ('loans')
 * and each borrower's ('loans:user:<id>'); `returned` is that counter minus the open loans.
 * Active or overdue totals count their rows: across all borrowers through the partial index on
 * open loans (O(open loans)), for one borrower through loans_user_idx (O(their loans)).
 */
function loanTotal(db: Database, { userId, status }: LoanFilters, where: SQL | undefined) {
  const counterName = userId === undefined ? 'loans' : `loans:user:${userId}`;
  if (status === undefined) return db.select({ value: counters.value }).from(counters).where(eq(counters.name, counterName));
  if (status === 'returned') {
    const open = db.$count(loans, and(isNull(loans.return_date), userId === undefined ? undefined : eq(loans.user_id, userId)));
    return db.select({ value: sql<number>`${counters.value} - ${open}` }).from(counters).where(eq(counters.name, counterName));
  }
  return db.select({ value: count() }).from(loans).where(where);
}

/** One page of loans (by id), their books and the total: three statements for one batch. */
export function listLoanQueries(db: Database, filters: LoanFilters, today: string, { limit, offset }: { limit: number; offset: number }) {
  const where = loanFilter(filters, today);
  const pageIds = db.select({ id: loans.id }).from(loans).where(where).orderBy(asc(loans.id)).limit(limit).offset(offset);
  return [
    db.select(loanColumns).from(loans).where(where).orderBy(asc(loans.id)).limit(limit).offset(offset),
    selectBooksOf(db, pageIds),
    loanTotal(db, filters, where),
  ] as const;
}

export function listedLoans([rows, pageBooks, [total]]: [LoanRow[], (BookRecord & { loan_id: number })[], { value: number }[]]): {
  loans: LoanWithBooks[];
  total: number;
} {
  const booksByLoan = new Map<number, BookRecord[]>();
  for (const row of pageBooks) {
    const held = booksByLoan.get(row.loan_id) ?? [];
    held.push(withoutLoanId(row));
    booksByLoan.set(row.loan_id, held);
  }
  return {
    loans: rows.map((loan) => ({ loan, books: booksByLoan.get(loan.id) ?? [] })),
    total: total?.value ?? 0,
  };
}
