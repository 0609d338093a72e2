import { createRoute } from '@hono/zod-openapi';
import { idParams } from '../../lib/fields';
import { AUTH_PROBLEMS, BODY_PROBLEMS, bearer, json, jsonBody, noBody, pagedJson, problems } from '../../lib/openapi';
import { pageQuery } from '../../lib/paging';
import { idempotencyKeyHeader, replayedResponseHeader } from '../../lib/idempotency';
import { requireToken } from '../../middleware/auth';
import { holdPageSchema, holdSchema, listHoldsQuery, placeHoldBody } from './holds.schemas';

const tags = ['Holds'];
/** Patron writes authorise inside the write's own SQL (one D1 round trip): see lib/caller.ts. */
const member = requireToken();
const memberRead = requireToken();
const PRIVACY = 'Members reach only their own holds; another member’s hold answers 404, as if it did not exist.';

export const placeHold = createRoute({
  method: 'post',
  path: '/holds',
  tags,
  summary: 'Place a hold on a book',
  description:
    'Joins the book’s queue (first come, first served by hold id) for the caller or, for an admin, for `user_id` ' +
    '(a member may send only their own). When a copy is available the hold is `ready` at once with that copy set ' +
    'aside on the hold shelf until `pickup_by` (reserve and collect), and a `hold_ready` notice is written. ' +
    'Refusals, in this order: 404 unknown user or book; 409 HOLD_EXISTS (an open hold on the book), ALREADY_BORROWED ' +
    '(a copy of it is out to the patron), NO_LENDABLE_COPIES (no copy, or all lost or withdrawn), then the patron ' +
    'blocks (FINES_OVER_LIMIT, OVERDUE_COPIES, HOLD_LIMIT_REACHED, under the policy), all listed in `blockers`. ' +
    "The copy waits the policy's `hold_pickup_days`.",
  security: bearer,
  middleware: [member] as const,
  request: { body: jsonBody(placeHoldBody), headers: idempotencyKeyHeader },
  responses: {
    201: {
      ...json(holdSchema, 'The new hold; `Location` names it'),
      headers: { Location: { schema: { type: 'string' } }, ...replayedResponseHeader },
    },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 422], 'HOLD_EXISTS, ALREADY_BORROWED, NO_LENDABLE_COPIES or a patron block (FINES_OVER_LIMIT, OVERDUE_COPIES, HOLD_LIMIT_REACHED), with `blockers`'),
  },
});

export const listHolds = createRoute({
  method: 'get',
  path: '/holds',
  tags,
  summary: 'List holds',
  description: 'A page of holds by id. Members see their own (naming another `user_id` is 403); admins see all, or filter.',
  security: bearer,
  middleware: [memberRead] as const,
  request: { query: listHoldsQuery },
  responses: { 200: pagedJson(holdPageSchema, 'A page of holds, by id'), ...problems([...AUTH_PROBLEMS, 400, 403]) },
});

export const getHold = createRoute({
  method: 'get',
  path: '/holds/{id}',
  tags,
  summary: 'Read a hold',
  description: PRIVACY,
  security: bearer,
  middleware: [memberRead] as const,
  request: { params: idParams },
  responses: { 200: json(holdSchema, 'The hold'), ...problems([...AUTH_PROBLEMS, 400, 404]) },
});

export const cancelHold = createRoute({
  method: 'delete',
  path: '/holds/{id}',
  tags,
  summary: 'Cancel a hold',
  description: `Cancels a waiting or ready hold; a ready hold’s copy goes to the next waiting hold, else the shelf. ${PRIVACY}`,
  security: bearer,
  middleware: [member] as const,
  request: { params: idParams, body: noBody },
  responses: { 200: json(holdSchema, 'The hold, now cancelled'), ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 404, 409], 'HOLD_CLOSED') },
});

export const bookQueue = createRoute({
  method: 'get',
  path: '/books/{id}/holds',
  tags,
  summary: 'A book’s hold queue (admin)',
  description: 'The open holds on the book: ready ones (on the hold shelf), then waiting ones, each by id.',
  security: bearer,
  middleware: [memberRead] as const,
  request: { params: idParams, query: pageQuery },
  responses: { 200: pagedJson(holdPageSchema, 'A page of open holds'), ...problems([...AUTH_PROBLEMS, 400, 403, 404]) },
});
