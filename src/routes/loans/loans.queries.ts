import { and, asc, count, eq, gte, inArray, isNotNull, isNull, lt, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { books, copies, counters, loanBooks, loans, type LoanRow, type Role } from '../../db/schema';
import { notFound } from '../../lib/problem';
import { bookColumns, type BookRecord } from '../books/books.queries';
import type { LoanStatus } from './loan-dates';

/**
 * Reading loans: one loan or a page of them, each with the copies it has held (and their books).
 * The writes are in loans.writes.ts.
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

/** One copy a loan has held, with its book: `return_date` null while it is out. */
export type LoanItem = BookRecord & { loan_id: number; copy_id: number; barcode: string | null; copy_return_date: string | null };

export interface LoanWithItems {
  loan: LoanRow;
  items: LoanItem[];
}

export const loanNotFound = () => notFound('Loan');

/** Another member's loan matches nothing, so it answers 404 exactly like a missing one. */
export const visibleLoan = (viewer: Viewer, id: number): SQL =>
  viewer.role === 'admin' ? eq(loans.id, id) : and(eq(loans.id, id), eq(loans.user_id, viewer.id))!;

export const selectLoan = (db: Database, viewer: Viewer, id: number) => db.select(loanColumns).from(loans).where(visibleLoan(viewer, id));

/**
 * The copies (with books) of one loan, or of every loan a subquery names, by loan, book, then row.
 * `oneLoan`: the subquery is a scalar one naming a single loan, compared with `=` (an IN list would
 * first be materialised, one more row read).
 */
export const selectItemsOf = (db: Database, loanIds: number | SQLWrapper, oneLoan = false) =>
  db
    .select({
      loan_id: loanBooks.loan_id,
      copy_id: loanBooks.copy_id,
      barcode: copies.barcode,
      copy_return_date: loanBooks.return_date,
      ...bookColumns,
    })
    .from(loanBooks)
    .innerJoin(books, eq(books.id, loanBooks.book_id))
    .innerJoin(copies, eq(copies.id, loanBooks.copy_id))
    .where(typeof loanIds === 'number' || oneLoan ? eq(loanBooks.loan_id, loanIds as number) : inArray(loanBooks.loan_id, loanIds))
    .orderBy(asc(loanBooks.loan_id), asc(loanBooks.book_id), asc(loanBooks.id));

/** One loan and its copies, as a viewer may see it; run inside the caller's batch. */
export const findLoanQueries = (db: Database, viewer: Viewer, id: number) => [selectLoan(db, viewer, id), selectItemsOf(db, id)] as const;

/** A loan the viewer may see with its copies, or 404: how every single-loan answer is read. */
export function foundLoan([[loan], items]: [LoanRow[], LoanItem[]]): LoanWithItems {
  if (!loan) throw loanNotFound();
  return { loan, items };
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

/** One page of loans (by id), their copies and the total: three statements for one batch. */
export function listLoanQueries(db: Database, filters: LoanFilters, today: string, { limit, offset }: { limit: number; offset: number }) {
  const where = loanFilter(filters, today);
  const pageIds = db.select({ id: loans.id }).from(loans).where(where).orderBy(asc(loans.id)).limit(limit).offset(offset);
  return [
    db.select(loanColumns).from(loans).where(where).orderBy(asc(loans.id)).limit(limit).offset(offset),
    selectItemsOf(db, pageIds),
    loanTotal(db, filters, where),
  ] as const;
}

export function listedLoans([rows, pageItems, [total]]: [LoanRow[], LoanItem[], { value: number }[]]): {
  loans: LoanWithItems[];
  total: number;
} {
  const itemsByLoan = new Map<number, LoanItem[]>();
  for (const item of pageItems) {
    const held = itemsByLoan.get(item.loan_id) ?? [];
    held.push(item);
    itemsByLoan.set(item.loan_id, held);
  }
  return {
    loans: rows.map((loan) => ({ loan, items: itemsByLoan.get(loan.id) ?? [] })),
    total: total?.value ?? 0,
  };
}
