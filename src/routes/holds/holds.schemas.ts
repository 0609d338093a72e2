import { z } from '@hono/zod-openapi';
import { HOLD_STATUSES } from '../../db/schema';
import { queryId } from '../../lib/fields';
import { pageQuery, pageSchema } from '../../lib/paging';

const positiveId = z
  .number({ error: 'Must be a positive integer.' })
  .int('Must be a positive integer.')
  .positive('Must be a positive integer.')
  .max(Number.MAX_SAFE_INTEGER, 'Must be a positive integer.');

export const holdStatusSchema = z.enum(HOLD_STATUSES).openapi({
  description:
    '`waiting` in the queue; `ready` (its copy is on the hold shelf until `pickup_by`); then `fulfilled` (borrowed), `cancelled` or `expired`.',
});

export const holdSchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int().nullable().openapi({ description: 'Null once the patron’s account is deleted.' }),
    book_id: z.number().int(),
    status: holdStatusSchema,
    position: z.number().int().nullable().openapi({ description: '1 + the waiting holds on the book with a smaller id; null unless `waiting`.' }),
    copy: z
      .object({ id: z.number().int(), barcode: z.string().nullable().openapi({ description: 'Null if the copy has since been deleted.' }) })
      .nullable()
      .openapi({ description: 'The copy set aside when the hold became ready (kept after it closes); null before.' }),
    placed_on: z.string(),
    ready_on: z.string().nullable(),
    pickup_by: z.string().nullable().openapi({ description: '`ready_on` + the hold pickup period (7 days).' }),
    closed_on: z.string().nullable(),
  })
  .openapi('Hold', {
    example: {
      id: 5,
      user_id: 7,
      book_id: 3,
      status: 'ready',
      position: null,
      copy: { id: 12, barcode: 'C00000012' },
      placed_on: '2026-03-01',
      ready_on: '2026-03-04',
      pickup_by: '2026-03-11',
      closed_on: null,
    },
  });

export const placeHoldBody = z
  .strictObject({
    book_id: positiveId.openapi({ example: 3 }),
    user_id: positiveId.optional().openapi({ description: 'Admin only: the patron. A member may send only their own id.' }),
  })
  .openapi('PlaceHold');

export const HOLD_FILTERS = [...HOLD_STATUSES, 'open'] as const;
export type HoldFilter = (typeof HOLD_FILTERS)[number];

export const listHoldsQuery = pageQuery.extend({
  status: z
    .enum(HOLD_FILTERS)
    .optional()
    .openapi({ param: { name: 'status', in: 'query' }, description: 'A status, or `open` (waiting or ready).' }),
  user_id: queryId('user_id', 'Only this patron’s holds. A member may name only themselves.'),
  book_id: queryId('book_id', 'Only holds on this book.'),
});

export const holdPageSchema = pageSchema(holdSchema, 'HoldPage');
