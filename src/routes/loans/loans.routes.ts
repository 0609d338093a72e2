import { createRoute } from '@hono/zod-openapi';
import { idParams, messageSchema } from '../../lib/fields';
import { AUTH_PROBLEMS, BODY_PROBLEMS, bearer, json, problems, noBody, pagedJson } from '../../lib/openapi';
import { idempotencyKeyHeader, replayedResponseHeader } from '../../lib/idempotency';
import { requireToken, requireUser } from '../../middleware/auth';
import { checkoutBody, listLoansQuery, loanBookParams, loanCopyParams, loanBooksChangeSchema, loanPageSchema, loanSchema } from './loans.schemas';

const tags = ['Loans'];
/** Patron and desk writes authorise inside the write's own SQL (one D1 round trip): see lib/caller.ts. */
const member = requireToken();
const admin = requireUser('admin');
/** Reads authorise the caller inside their own batch (one D1 round trip): see batchAsCaller. */
const memberRead = requireToken();

const PRIVACY = 'Members reach only their own loans; another member’s loan answers 404, as if it did not exist.';

export const createLoan = createRoute({
  method: 'post',
  path: '/loans',
  tags,
  summary: 'Check out copies',
  description:
    "Opens a loan dated today (UTC) and due the policy's `loan_days` later (14 by default), for the caller or, for an admin, for `user_id`. " +
    'A member may send only their own `user_id` (403 otherwise). Up to 10 entries in `book_ids` and `barcodes` ' +
    'together. A `book_ids` entry takes the copy set aside for the borrower’s ready hold, else the available ' +
    'copy with the lowest id; a `barcodes` entry takes that copy. Borrowing a copy fulfils the borrower’s open ' +
    'hold on its book. The body may be omitted or empty: the loan then starts empty. All or nothing: an unknown ' +
    'user, book or barcode is 404; otherwise a 409 names the first reason in the order of refusals and lists ' +
    'every one in `blockers` (BOOK_ALREADY_ON_LOAN: two copies of one book; ALREADY_BORROWED: the borrower has ' +
    'a copy of it out; NO_LENDABLE_COPIES; BOOK_UNAVAILABLE: no copy free for this borrower; COPY_UNAVAILABLE: ' +
    'that copy is out, on the hold shelf for someone else, lost or withdrawn), then the patron blocks ' +
    '(FINES_OVER_LIMIT, OVERDUE_COPIES, LOAN_LIMIT_REACHED, under the policy; `GET /circulation/eligibility` answers ' +
    'the same without writing). When requests race for copies, ' +
    'each copy goes to exactly one of them.',
  security: bearer,
  middleware: [member] as const,
  request: { body: { required: false, content: { 'application/json': { schema: checkoutBody } } }, headers: idempotencyKeyHeader },
  responses: {
    201: {
      ...json(loanSchema, 'The new loan; `Location` names it'),
      headers: { Location: { schema: { type: 'string' } }, ...replayedResponseHeader },
    },
    ...problems(
      [...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 422],
      'BOOK_ALREADY_ON_LOAN, ALREADY_BORROWED, NO_LENDABLE_COPIES, BOOK_UNAVAILABLE or COPY_UNAVAILABLE, with `blockers`',
    ),
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
  description:
    'Adds a copy of the book to a loan that is not returned, chosen as `book_ids` in a checkout does; it shares ' +
    `the loan’s deadline. ${PRIVACY}`,
  security: bearer,
  middleware: [member] as const,
  request: { body: noBody, params: loanBookParams },
  responses: {
    200: json(loanBooksChangeSchema, 'The loan with the copy added'),
    ...problems(
      [...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 404, 409],
      'LOAN_RETURNED, BOOK_ALREADY_ON_LOAN, ALREADY_BORROWED, NO_LENDABLE_COPIES or BOOK_UNAVAILABLE, with `blockers`',
    ),
  },
});

export const addCopy = createRoute({
  method: 'put',
  path: '/loans/{loan_id}/add-copy/{barcode}',
  tags,
  summary: 'Add a copy to a loan by barcode',
  description: `Adds that copy (barcode case ignored) to a loan that is not returned; it shares the loan’s deadline. ${PRIVACY}`,
  security: bearer,
  middleware: [member] as const,
  request: { body: noBody, params: loanCopyParams },
  responses: {
    200: json(loanBooksChangeSchema, 'The loan with the copy added'),
    ...problems(
      [...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 404, 409],
      'LOAN_RETURNED, BOOK_ALREADY_ON_LOAN, ALREADY_BORROWED or COPY_UNAVAILABLE, with `blockers`',
    ),
  },
});

export const removeBook = createRoute({
  method: 'put',
  path: '/loans/{loan_id}/remove-book/{book_id}',
  tags,
  summary: 'Remove a book from a loan',
  description:
    'Releases the book’s copy from a loan that is not returned (it goes to the first waiting hold, else the shelf); ' +
    'the loan no longer counts as a reader of the book. When that leaves the loan with checked-in copies and none ' +
    `out, the loan ends today. ${PRIVACY}`,
  security: bearer,
  middleware: [member] as const,
  request: { body: noBody, params: loanBookParams },
  responses: {
    200: json(loanBooksChangeSchema, 'The loan with the book removed'),
    ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 404, 409], 'LOAN_RETURNED, BOOK_NOT_ON_LOAN or COPY_NOT_ON_LOAN (already checked in)'),
  },
});

export const returnLoan = createRoute({
  method: 'post',
  path: '/loans/{id}/return',
  tags,
  summary: 'Return a loan',
  description:
    'Ends the loan: `return_date` today (UTC), and every copy still out on it is checked in (each goes to the ' +
    `first waiting hold on its book, else the shelf). ${PRIVACY}`,
  security: bearer,
  middleware: [member] as const,
  request: { body: noBody, params: idParams, headers: idempotencyKeyHeader },
  responses: { 200: { ...json(loanSchema, 'The returned loan'), headers: replayedResponseHeader }, ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 404, 409, 422], 'LOAN_RETURNED') },
});

export const renewLoan = createRoute({
  method: 'post',
  path: '/loans/{id}/renew',
  tags,
  summary: 'Renew a loan',
  description:
    "Moves the deadline on by the policy's `renewal_days` (14 by default), at most `max_renewals` times per loan (2 by " +
    'default), and not once the loan is overdue; refused with HOLD_PENDING while another patron waits for a book whose ' +
    `copy is out on this loan and no copy is free. ${PRIVACY}`,
  security: bearer,
  middleware: [member] as const,
  request: { body: noBody, params: idParams, headers: idempotencyKeyHeader },
  responses: {
    200: { ...json(loanSchema, 'The renewed loan'), headers: replayedResponseHeader },
    ...problems(
      [...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 404, 409, 422],
      'LOAN_RETURNED, LOAN_OVERDUE, RENEWAL_LIMIT_REACHED, HOLD_PENDING, or a patron block (FINES_OVER_LIMIT, OVERDUE_COPIES), with `blockers`',
    ),
  },
});

export const deleteLoan = createRoute({
  method: 'delete',
  path: '/loans/{id}',
  tags,
  summary: 'Delete a loan (admin)',
  description: 'Removes the loan and its copy list; copies still out go to the first waiting hold, else the shelf, and the books lose it as a reader.',
  security: bearer,
  middleware: [admin] as const,
  request: { body: noBody, params: idParams },
  responses: { 200: json(messageSchema, 'Deleted'), ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 403, 404]) },
});
