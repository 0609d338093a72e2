import { createRoute, z } from '@hono/zod-openapi';
import { AUTH_PROBLEMS, bearer, json, problems } from '../../lib/openapi';
import { requireToken } from '../../middleware/auth';

const tally = (description: string) => z.number().int().nonnegative().openapi({ description });

export const statsSchema = z
  .object({
    books: tally('Titles in the catalogue.'),
    copies: tally('Copies not withdrawn.'),
    available_copies: tally('Copies on the shelf, free to borrow.'),
    active_loans: tally('Loans not returned, overdue ones included.'),
    overdue_loans: tally('Loans not returned and past their deadline.'),
    holds_waiting: tally('Holds waiting in a queue.'),
    holds_ready: tally('Holds whose copy is on the hold shelf.'),
    fines_outstanding_cents: tally('Fines and charges not yet paid or waived, over every account, in cents.'),
  })
  .openapi('Stats', {
    example: {
      books: 10000,
      copies: 12004,
      available_copies: 11012,
      active_loans: 940,
      overdue_loans: 37,
      holds_waiting: 180,
      holds_ready: 12,
      fines_outstanding_cents: 12450,
    },
  });

export const getStats = createRoute({
  method: 'get',
  path: '/stats',
  tags: ['Service'],
  summary: 'The collection at a glance (admin)',
  description:
    'Counters kept current by the database in the same write as every change, plus the overdue loans ' +
    'counted along the open-loans index by deadline (one index entry per overdue loan). One D1 round trip.',
  security: bearer,
  middleware: [requireToken()] as const,
  responses: { 200: json(statsSchema, 'The statistics'), ...problems([...AUTH_PROBLEMS, 403]) },
});
