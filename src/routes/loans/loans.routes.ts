import { createRoute } from '@hono/zod-openapi';
import { idParams, messageSchema } from '../../lib/fields';
import { AUTH_PROBLEMS, BODY_PROBLEMS, bearer, json, problems, noBody, pagedJson } from '../../lib/openapi';
import { idempotencyKeyHeader, replayedResponseHeader } from '../../lib/idempotency';
import { requireToken, requireUser } from '../../middleware/auth';
import { checkoutBody, listLoansQuery, loanBookParams, loanBooksChangeSchema, loanPageSchema, loanSchema } from './loans.schemas';

const tags = ['Loans'];
const admin = requireUser('admin');
/** Reads authorise the caller inside their own batch (one D1 round trip): see batchAsCaller. */
const memberRead = requireToken();
/** Patron and desk writes authorise inside the write's own SQL (one D1 round trip): see lib/caller.ts. */
const member = requireToken();

const PRIVACY = 'Members reach only their own loans; another member’s loan answers 404, as if it did not exist.';

export const createLoan = createRoute({
  method: 'post',
  path: '/loans',
  tags,
  summary: 'Check out books',
  description:
    'Opens a loan dated today (UTC) and due 14 days later, for the caller or, for an admin, for `user_id`. ' +
    'A member may send only their own `user_id` (403 otherwise). The body may be omitted or `book_ids` empty: ' +
    'the loan then starts empty and gains books with add-book. All or nothing: an unknown user or book is 404, ' +
    'a book on another active loan is 409 BOOK_UNAVAILABLE, and neither leaves anything written. ' +
    'When requests race for a book, exactly one wins.',
  security: bearer,
  middleware: [member] as const,
  request: { body: { required: false, content: { 'application/json': { schema: checkoutBody } } }, headers: idempotencyKeyHeader },
  responses: {
    201: {
      ...json(loanSchema, 'The new loan; `Location` names it'),
      headers: { Location: { schema: { type: 'string' } }, ...replayedResponseHeader },
    },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 422], 'BOOK_UNAVAILABLE'),
  },
});

export const listLoans = createRoute({
  method: 'get',
  path: '/loans',
  tags,
  summary: 'List loans',
  description:
    'A page of loans by id, each with its books. Members see their own loans; naming another `user_id` is 403. ' +
    'Admins see every loan, or one borrower’s with `user_id`. `status` filters by the derived status.',
  security: bearer,
  middleware: [memberRead] as const,
  request: { query: listLoansQuery },
  responses: { 200: pagedJson(loanPageSchema, 'A page of loans, by id'), ...problems([...AUTH_PROBLEMS, 400, 403]) },
});

export const getLoan = createRoute({
  method: 'get',
  path: '/loans/{id}',
  tags,
  summary: 'Read a loan',
  description: PRIVACY,
  security: bearer,
  middleware: [memberRead] as const,
  request: { params: idParams },
  responses: { 200: json(loanSchema, 'The loan'), ...problems([...AUTH_PROBLEMS, 400, 404]) },
});

export const addBook = createRoute({
  method: 'put',
  path: '/loans/{loan_id}/add-book/{book_id}',
  tags,
  summary: 'Add a book to a loan',
  description: `Adds an available book to a loan that is not returned. ${PRIVACY}`,
  security: bearer,
  middleware: [member] as const,
  request: { body: noBody, params: loanBookParams },
  responses: {
    200: json(loanBooksChangeSchema, 'The loan with the book added'),
    ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 404, 409], 'BOOK_ALREADY_ON_LOAN, BOOK_UNAVAILABLE or LOAN_RETURNED'),
  },
});

export const removeBook = createRoute({
  method: 'put',
  path: '/loans/{loan_id}/remove-book/{book_id}',
  tags,
  summary: 'Remove a book from a loan',
  description: `Takes a book off a loan that is not returned; it no longer counts as a reader of the book. ${PRIVACY}`,
  security: bearer,
  middleware: [member] as const,
  request: { body: noBody, params: loanBookParams },
  responses: {
    200: json(loanBooksChangeSchema, 'The loan with the book removed'),
    ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 404, 409], 'BOOK_NOT_ON_LOAN or LOAN_RETURNED'),
  },
});

export const returnLoan = createRoute({
  method: 'post',
  path: '/loans/{id}/return',
  tags,
  summary: 'Return a loan',
  description: `Sets \`return_date\` to today (UTC) and makes the loan’s books available again. ${PRIVACY}`,
  security: bearer,
  middleware: [member] as const,
  request: { body: noBody, params: idParams, headers: idempotencyKeyHeader },
  responses: {
    200: { ...json(loanSchema, 'The returned loan'), headers: replayedResponseHeader },
    ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 404, 409, 422], 'LOAN_RETURNED'),
  },
});

export const renewLoan = createRoute({
  method: 'post',
  path: '/loans/{id}/renew',
  tags,
  summary: 'Renew a loan',
  description: `Moves the deadline on by 14 days, at most twice per loan, and not once the loan is overdue. ${PRIVACY}`,
  security: bearer,
  middleware: [member] as const,
  request: { body: noBody, params: idParams, headers: idempotencyKeyHeader },
  responses: {
    200: { ...json(loanSchema, 'The renewed loan'), headers: replayedResponseHeader },
    ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 404, 409, 422], 'LOAN_RETURNED, LOAN_OVERDUE or RENEWAL_LIMIT_REACHED'),
  },
});

export const deleteLoan = createRoute({
  method: 'delete',
  path: '/loans/{id}',
  tags,
  summary: 'Delete a loan (admin)',
  description: 'Removes the loan and its book list; its books become available and lose it as a reader.',
  security: bearer,
  middleware: [admin] as const,
  request: { body: noBody, params: idParams },
  responses: { 200: json(messageSchema, 'Deleted'), ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 403, 404]) },
});
