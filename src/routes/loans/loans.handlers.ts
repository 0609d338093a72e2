import { eventContext } from '../../lib/events';
import { today } from '../../lib/fields';
import { pageWindow, toPage } from '../../lib/paging';
import { forbidden } from '../../lib/problem';
import type { AppRouteHandler } from '../../lib/types';
import { batchAsCaller } from '../../middleware/auth';
import { toBook } from '../books/books.queries';
import { invalidatePopularity } from '../books/popularity.cache';
import { loanStatus } from './loan-dates';
import * as queries from './loans.queries';
import type * as routes from './loans.routes';

/** The wire shape: the row, its status on `day`, its books with `available`. */
const toLoan = ({ loan, books }: queries.LoanWithBooks, day: string) => ({
  ...loan,
  status: loanStatus(loan, day),
  books: books.map(toBook),
});

const bookChange = (message: string, result: queries.LoanWithBooks, day: string) => {
  const loan = toLoan(result, day);
  return { message, loan, books: loan.books };
};

export const createLoan: AppRouteHandler<typeof routes.createLoan> = async (c) => {
  const { book_ids: bookIds = [], user_id } = c.req.valid('json');
  const caller = c.var.user;
  const userId = user_id ?? caller.id;
  if (userId !== caller.id && caller.role !== 'admin') throw forbidden('Only an admin can open a loan for another user.');
  const day = today();
  const result = await queries.checkout(c.var.db, { userId, bookIds, loanDate: day });
  await invalidatePopularity(c);
  c.header('Location', `/loans/${result.loan.id}`);
  return c.json(toLoan(result, day), 201);
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
  const result = await queries.addBook(c.var.db, c.var.user, loan_id, book_id);
  await invalidatePopularity(c);
  return c.json(bookChange(`Book ${book_id} was added to loan ${loan_id}.`, result, today()), 200);
};

export const removeBook: AppRouteHandler<typeof routes.removeBook> = async (c) => {
  const { loan_id, book_id } = c.req.valid('param');
  const result = await queries.removeBook(c.var.db, c.var.user, loan_id, book_id);
  await invalidatePopularity(c);
  return c.json(bookChange(`Book ${book_id} was removed from loan ${loan_id}.`, result, today()), 200);
};

export const returnLoan: AppRouteHandler<typeof routes.returnLoan> = async (c) => {
  const day = today();
  const result = await queries.returnLoan(c.var.db, c.var.user, c.req.valid('param').id, day, eventContext(c));
  await invalidatePopularity(c);
  return c.json(toLoan(result, day), 200);
};

export const renewLoan: AppRouteHandler<typeof routes.renewLoan> = async (c) => {
  const day = today();
  const result = await queries.renewLoan(c.var.db, c.var.user, c.req.valid('param').id, day);
  // Renewing changes no reader count; invalidated anyway so that every loan write does.
  await invalidatePopularity(c);
  return c.json(toLoan(result, day), 200);
};

export const deleteLoan: AppRouteHandler<typeof routes.deleteLoan> = async (c) => {
  const { id } = c.req.valid('param');
  await queries.deleteLoan(c.var.db, id);
  await invalidatePopularity(c);
  return c.json({ message: `Loan ${id} has been deleted.` }, 200);
};
