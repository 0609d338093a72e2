import type { SQLWrapper } from 'drizzle-orm';
import type { Context } from 'hono';
import { clockNow } from '../../db/circulation-context';
import type { AppEnv } from '../../env';
import { authorizeCaller, callerProbe, type CallerRow } from '../../lib/caller';
import { idempotent } from '../../lib/idempotency';
import type { TokenClaims } from '../../lib/token';
import { today } from '../../lib/fields';
import { pageWindow, toPage } from '../../lib/paging';
import { forbidden } from '../../lib/problem';
import type { AppRouteHandler } from '../../lib/types';
import { batchAsCaller, callerToken } from '../../middleware/auth';
import { type Book, type BookRecord, toBook } from '../books/books.queries';
import { invalidatePopularity } from '../books/popularity.cache';
import type { LoanRow } from '../../db/schema';
import type { LoanEntry } from './copy-choice';
import { loanStatus } from './loan-dates';
import * as queries from './loans.queries';
import type * as routes from './loans.routes';
import * as writes from './loans.writes';

/** The wire shape: the row, its status on `day`, its books (each once, by id) and its copies. */
export const toLoan = ({ loan, items }: queries.LoanWithItems, day: string) => {
  const books = new Map<number, Book>();
  for (const item of items) {
    const { loan_id: _l, copy_id: _c, barcode: _b, copy_return_date: _r, ...book } = item;
    if (!books.has(book.id)) books.set(book.id, toBook(book satisfies BookRecord));
  }
  return {
    ...loan,
    status: loanStatus(loan, day),
    books: [...books.values()],
    copies: items.map((item) => ({ id: item.copy_id, barcode: item.barcode ?? '', book_id: item.id, return_date: item.copy_return_date })),
  };
};

/**
 * How a repeated Idempotency-Key is answered: the loan as it is now (one more round trip reading the
 * record, the caller and the loan together), 404 once it has been deleted.
 */
const replayLoan = (c: Context<AppEnv>, caller: TokenClaims, withLocation: boolean) =>
  [
    (loanId: SQLWrapper) => [callerProbe(c.var.db, caller), writes.selectLoanFor(c.var.db, caller, loanId), queries.selectItemsOf(c.var.db, loanId)] as const,
    ([callerRow, loanRows, items]: [CallerRow[], LoanRow[], queries.LoanItem[]]) => {
      authorizeCaller(callerRow, caller);
      const loan = toLoan(queries.foundLoan([loanRows, items]), today());
      return { body: loan, location: withLocation ? `/loans/${loan.id}` : undefined };
    },
  ] as const;

const bookChange = (message: string, result: queries.LoanWithItems, day: string) => {
  const loan = toLoan(result, day);
  return { message, loan, books: loan.books };
};

export const createLoan: AppRouteHandler<typeof routes.createLoan> = (c) => {
  const caller = callerToken(c);
  return idempotent(
    c,
    async (key) => {
      const { book_ids = [], barcodes = [], user_id } = c.req.valid('json') ?? {};
      const userId = user_id ?? caller.id;
      const entries: LoanEntry[] = [...book_ids.map((id) => ({ book_id: id })), ...barcodes.map((code) => ({ barcode: code }))];
      const clock = clockNow();
      const result = await writes.checkout(c.var.db, caller, { userId, entries, clock }, key);
      await invalidatePopularity(c);
      c.header('Location', `/loans/${result.loan.id}`);
      return c.json(toLoan(result, clock.today), 201);
    },
    ...replayLoan(c, caller, true),
  );
};

export const listLoans: AppRouteHandler<typeof routes.listLoans> = async (c) => {
  const { status, user_id, ...paging } = c.req.valid('query');
  const day = today();
  // Members are always filtered to themselves; admins only when they ask.
  const [caller, results] = await batchAsCaller(c, (viewer) =>
    queries.listLoanQueries(c.var.db, { userId: viewer.role === 'admin' ? user_id : viewer.id, status }, day, pageWindow(paging)),
  );
  if (caller.role !== 'admin' && user_id !== undefined && user_id !== caller.id) {
    throw forbidden('Members can list only their own loans.');
  }
  const { loans, total } = queries.listedLoans(results);
  return c.json(
    toPage(
      c,
      loans.map((loan) => toLoan(loan, day)),
      total,
      paging,
      { status, user_id },
    ),
    200,
  );
};

export const getLoan: AppRouteHandler<typeof routes.getLoan> = async (c) => {
  const { id } = c.req.valid('param');
  const [, results] = await batchAsCaller(c, (viewer) => queries.findLoanQueries(c.var.db, viewer, id));
  return c.json(toLoan(queries.foundLoan(results), today()), 200);
};

export const addBook: AppRouteHandler<typeof routes.addBook> = async (c) => {
  const { loan_id, book_id } = c.req.valid('param');
  const clock = clockNow();
  const result = await writes.addToLoan(c.var.db, callerToken(c), loan_id, { book_id }, clock);
  await invalidatePopularity(c);
  return c.json(bookChange(`Book ${book_id} was added to loan ${loan_id}.`, result, clock.today), 200);
};

export const addCopy: AppRouteHandler<typeof routes.addCopy> = async (c) => {
  const { loan_id, barcode } = c.req.valid('param');
  const clock = clockNow();
  const result = await writes.addToLoan(c.var.db, callerToken(c), loan_id, { barcode }, clock);
  await invalidatePopularity(c);
  return c.json(bookChange(`Copy ${barcode} was added to loan ${loan_id}.`, result, clock.today), 200);
};

export const removeBook: AppRouteHandler<typeof routes.removeBook> = async (c) => {
  const { loan_id, book_id } = c.req.valid('param');
  const clock = clockNow();
  const removed = await writes.removeBook(c.var.db, callerToken(c), loan_id, book_id, clock);
  await invalidatePopularity(c);
  return c.json(bookChange(`Book ${book_id} was removed from loan ${loan_id}.`, removed, clock.today), 200);
};

export const returnLoan: AppRouteHandler<typeof routes.returnLoan> = (c) => {
  const caller = callerToken(c);
  return idempotent(
    c,
    async (key) => {
      const clock = clockNow();
      const result = await writes.returnLoan(c.var.db, caller, c.req.valid('param').id, clock, key);
      await invalidatePopularity(c);
      return c.json(toLoan(result, clock.today), 200);
    },
    ...replayLoan(c, caller, false),
  );
};

export const renewLoan: AppRouteHandler<typeof routes.renewLoan> = (c) => {
  const caller = callerToken(c);
  return idempotent(
    c,
    async (key) => {
      const clock = clockNow();
      const result = await writes.renewLoan(c.var.db, caller, c.req.valid('param').id, clock, key);
      // Renewing changes no reader count; invalidated anyway so that every loan write does.
      await invalidatePopularity(c);
      return c.json(toLoan(result, clock.today), 200);
    },
    ...replayLoan(c, caller, false),
  );
};

export const deleteLoan: AppRouteHandler<typeof routes.deleteLoan> = async (c) => {
  const { id } = c.req.valid('param');
  await writes.deleteLoan(c.var.db, id, clockNow(), c.var.user.id);
  await invalidatePopularity(c);
  return c.json({ message: `Loan ${id} has been deleted.` }, 200);
};
