import { createRoute } from '@hono/zod-openapi';
import { AUTH_PROBLEMS, bearer, json, problems } from '../../lib/openapi';
import { requireToken } from '../../middleware/auth';
import { eventPageSchema, eventsQuery } from './events.schemas';

export const listEvents = createRoute({
  method: 'get',
  path: '/events',
  tags: ['Events'],
  summary: 'The circulation record (admin)',
  description:
    'Append-only: one event per subject a write changes (each book created, fine charged, policy change…), written ' +
    'in the same atomic write, with its actor and time. Ascending by id; page with `after` = the previous ' +
    '`next_after`. Filters combine with AND. Events are never changed or deleted, except that deleting a user ' +
    'clears `user_id` and `actor_id` in theirs.',
  security: bearer,
  // The admin check rides in the read's own batch (batchAsCaller).
  middleware: [requireToken()] as const,
  request: { query: eventsQuery },
  responses: { 200: json(eventPageSchema, 'Events after `after`, by id'), ...problems([...AUTH_PROBLEMS, 400, 403]) },
});
