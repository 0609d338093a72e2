import { createRoute } from '@hono/zod-openapi';
import { idParams } from '../../lib/fields';
import { AUTH_PROBLEMS, BODY_PROBLEMS, bearer, json, jsonBody, pagedJson, problems } from '../../lib/openapi';
import { idempotencyKeyHeader, replayedResponseHeader } from '../../lib/idempotency';
import { requireToken, requireUser } from '../../middleware/auth';
import { accountQuery, accountSchema, chargeBody, creditBody, entrySchema } from './accounts.schemas';

const tags = ['Accounts'];
const admin = requireUser('admin');
/** Reads check the caller inside their own batch (one D1 round trip): see batchAsCaller. */
const reader = requireToken();

const ACCOUNT =
  '`balance_cents` = fines + charges − payments − waivers. `accruing_cents` is what the patron’s overdue items ' +
  'still out would be fined if checked in today (per item `min(days late × fine_per_day_cents, ' +
  'max_fine_per_copy_cents)`); it joins the balance as a fine when they come back. `entries` newest first, paged ' +
  'like every list (`X-Total-Count`, `Link`).';

export const ownAccount = createRoute({
  method: 'get',
  path: '/users/profile/account',
  tags,
  summary: 'Your account',
  description: ACCOUNT,
  security: bearer,
  middleware: [reader] as const,
  request: { query: accountQuery },
  responses: { 200: pagedJson(accountSchema, 'Balance and a page of entries'), ...problems([...AUTH_PROBLEMS, 400]) },
});

export const userAccount = createRoute({
  method: 'get',
  path: '/users/{id}/account',
  tags,
  summary: 'A patron’s account (admin)',
  description: `${ACCOUNT} A member gets 403 (also for their own id: use /users/profile/account).`,
  security: bearer,
  middleware: [reader] as const,
  request: { params: idParams, query: accountQuery },
  responses: { 200: pagedJson(accountSchema, 'Balance and a page of entries'), ...problems([...AUTH_PROBLEMS, 400, 403, 404]) },
});

const created = {
  ...json(entrySchema, 'The new entry; `Location` names the account'),
  headers: { Location: { schema: { type: 'string' as const }, description: '`/users/{id}/account`' }, ...replayedResponseHeader },
};

export const recordCharge = createRoute({
  method: 'post',
  path: '/users/{id}/account/charges',
  tags,
  summary: 'Charge a patron (admin)',
  description: 'A replacement or damage fee: raises the balance. `copy_id`, when sent, must name an existing copy (404 otherwise); the entry then carries its `book_id`. Appends `charge.recorded`.',
  security: bearer,
  middleware: [admin] as const,
  request: { params: idParams, body: jsonBody(chargeBody), headers: idempotencyKeyHeader },
  responses: { 201: created, ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 422]) },
});

export const recordPayment = createRoute({
  method: 'post',
  path: '/users/{id}/account/payments',
  tags,
  summary: 'Record a payment (admin)',
  description: 'Lowers the balance; at most the balance (409 OVERPAYMENT), also when payments race. Appends `payment.recorded`.',
  security: bearer,
  middleware: [admin] as const,
  request: { params: idParams, body: jsonBody(creditBody), headers: idempotencyKeyHeader },
  responses: { 201: created, ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 422], 'OVERPAYMENT') },
});

export const recordWaiver = createRoute({
  method: 'post',
  path: '/users/{id}/account/waivers',
  tags,
  summary: 'Waive part of a balance (admin)',
  description: 'Lowers the balance without payment; at most the balance (409 OVERPAYMENT). Appends `waiver.recorded`.',
  security: bearer,
  middleware: [admin] as const,
  request: { params: idParams, body: jsonBody(creditBody), headers: idempotencyKeyHeader },
  responses: { 201: created, ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 422], 'OVERPAYMENT') },
});
