import { z } from '@hono/zod-openapi';
import { createSchemaFactory } from 'drizzle-zod';
import { loans } from '../../db/schema';
import { idParam, queryId } from '../../lib/fields';
import { pageQuery, pageSchema } from '../../lib/paging';
import { bookSchema } from '../books/books.schemas';
import { LOAN_STATUSES, RENEWALS_CEILING } from './loan-dates';

const { createSelectSchema } = createSchemaFactory({ zodInstance: z });

export const MAX_BOOKS_PER_CHECKOUT = 10;

export const loanStatusSchema = z.enum(LOAN_STATUSES).openapi({
  description: '`returned` once it has a `return_date`; otherwise `overdue` after its `deadline`, else `active`.',
});

/** A loan as the API shows it: the table's columns, the derived status and its books. */
export const loanSchema = createSelectSchema(loans, {
  renewals: () => z.number().int().min(0).max(RENEWALS_CEILING),
})
  .extend({
    user_id: z.number().int().nullable().openapi({ description: 'Null once the borrower’s account is deleted.' }),
    status: loanStatusSchema,
    books: z.array(bookSchema),
  })
  .openapi('Loan', {
    example: {
      id: 12,
      user_id: 7,
      loan_date: '2026-01-31',
      deadline: '2026-02-14',
      return_date: null,
      renewals: 0,
      status: 'active',
      books: [],
    },
  });

const positiveId = z
  .number({ error: 'Must be a positive integer.' })
  .int('Must be a positive integer.')
  .positive('Must be a positive integer.')
  .max(Number.MAX_SAFE_INTEGER, 'Must be a positive integer.');

/** Checkout: both fields optional; a loan may start empty and gain books with add-book. */
export const checkoutBody = z
  .strictObject({
    book_ids: z
      .array(positiveId)
      .max(MAX_BOOKS_PER_CHECKOUT, `At most ${MAX_BOOKS_PER_CHECKOUT} books per checkout.`)
      .refine((ids) => new Set(ids).size === ids.length, 'Must not contain duplicates.')
      .optional()
      .openapi({ description: `Up to ${MAX_BOOKS_PER_CHECKOUT} distinct book ids, each available.`, example: [3, 8] }),
    user_id: positiveId.optional().openapi({ description: 'Admin only: the borrower. A member may send only their own id.' }),
  })
  .openapi('Checkout');

export const listLoansQuery = pageQuery.extend({
  status: loanStatusSchema.optional().openapi({ param: { name: 'status', in: 'query' } }),
  user_id: queryId('user_id', 'Only this borrower’s loans. A member may name only themselves.'),
});

export const loanBookParams = z.object({ loan_id: idParam('loan_id'), book_id: idParam('book_id') });

export const loanBooksChangeSchema = z
  .object({ message: z.string(), loan: loanSchema, books: z.array(bookSchema) })
  .openapi('LoanBooksChange', { description: 'The loan after the change; `books` repeats its books.' });

export const loanPageSchema = pageSchema(loanSchema, 'LoanPage');
