import { z } from '@hono/zod-openapi';
import { createSchemaFactory } from 'drizzle-zod';
import { loans } from '../../db/schema';
import { barcode, barcodeParam, idParam, queryId } from '../../lib/fields';
import { pageQuery, pageSchema } from '../../lib/paging';
import { bookSchema } from '../books/books.schemas';
import { LOAN_STATUSES, RENEWALS_CEILING } from './loan-dates';

const { createSelectSchema } = createSchemaFactory({ zodInstance: z });

export const MAX_BOOKS_PER_CHECKOUT = 10;

export const loanCopySchema = z
  .object({
    id: z.number().int(),
    barcode: z.string(),
    book_id: z.number().int(),
    return_date: z.string().nullable().openapi({ description: 'The day this copy was checked in; null while it is out.' }),
  })
  .openapi('LoanCopy');

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
    books: z.array(bookSchema).openapi({ description: 'The books of the copies the loan has held, by id.' }),
    copies: z.array(loanCopySchema).openapi({ description: 'Every copy the loan has held; all share its `deadline`.' }),
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
      copies: [],
    },
  });

const positiveId = z
  .number({ error: 'Must be a positive integer.' })
  .int('Must be a positive integer.')
  .positive('Must be a positive integer.')
  .max(Number.MAX_SAFE_INTEGER, 'Must be a positive integer.');

/** Checkout: every field optional; a loan may start empty and gain copies with add-book/add-copy. */
export const checkoutBody = z
  .strictObject({
    book_ids: z
      .array(positiveId)
      .max(MAX_BOOKS_PER_CHECKOUT, `At most ${MAX_BOOKS_PER_CHECKOUT} books per checkout.`)
      .refine((ids) => new Set(ids).size === ids.length, 'Must not contain duplicates.')
      .optional()
      .openapi({ description: 'Distinct book ids: each takes the copy set aside for the borrower’s ready hold, else the available copy with the lowest id.', example: [3, 8] }),
    barcodes: z
      .array(barcode)
      .max(MAX_BOOKS_PER_CHECKOUT, `At most ${MAX_BOOKS_PER_CHECKOUT} barcodes per checkout.`)
      .refine((codes) => new Set(codes).size === codes.length, 'Must not contain duplicates (barcodes ignore case).')
      .optional()
      .openapi({ description: 'Distinct barcodes (case ignored): each takes that copy.', example: ['C00000042'] }),
    user_id: positiveId.optional().openapi({ description: 'Admin only: the borrower. A member may send only their own id.' }),
  })
  .refine((body) => (body.book_ids?.length ?? 0) + (body.barcodes?.length ?? 0) <= MAX_BOOKS_PER_CHECKOUT, {
    message: `At most ${MAX_BOOKS_PER_CHECKOUT} entries in book_ids and barcodes together.`,
    path: ['body'],
  })
  .openapi('Checkout');

export const listLoansQuery = pageQuery.extend({
  status: loanStatusSchema.optional().openapi({ param: { name: 'status', in: 'query' } }),
  user_id: queryId('user_id', 'Only this borrower’s loans. A member may name only themselves.'),
});

export const loanBookParams = z.object({ loan_id: idParam('loan_id'), book_id: idParam('book_id') });
export const loanCopyParams = z.object({ loan_id: idParam('loan_id'), barcode: barcodeParam('barcode') });

export const loanBooksChangeSchema = z
  .object({ message: z.string(), loan: loanSchema, books: z.array(bookSchema) })
  .openapi('LoanBooksChange', { description: 'The loan after the change; `books` repeats its books.' });

export const loanPageSchema = pageSchema(loanSchema, 'LoanPage');
