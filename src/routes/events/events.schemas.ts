import { z } from '@hono/zod-openapi';
import { EVENT_ACTIONS } from '../../db/schema';
import { queryId, queryInt } from '../../lib/fields';

export const MAX_EVENTS_PAGE = 100;

const idOrNull = (description: string) => z.number().int().nullable().openapi({ description });

export const eventSchema = z
  .object({
    id: z.number().int(),
    at: z.string().openapi({ description: 'When, ISO 8601 UTC; the same for every event of one write.', example: '2026-11-26T14:03:07.123Z' }),
    actor_id: idOrNull('Who acted; null for the daily job, or once that user is deleted.'),
    action: z.enum(EVENT_ACTIONS),
    user_id: idOrNull('The patron concerned (the loan’s, hold’s or account’s; for `user.*` the user changed); null once deleted.'),
    book_id: idOrNull('As written; not cleared when the book is deleted.'),
    copy_id: idOrNull('As written.'),
    loan_id: idOrNull('As written.'),
    hold_id: idOrNull('As written.'),
  })
  .openapi('Event');

export const eventPageSchema = z
  .object({
    items: z.array(eventSchema),
    next_after: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Pass as `after` for the next page: the last id when `limit` events came back, else null.' }),
  })
  .openapi('EventPage');

/** A non-negative integer as text: `0` or a positive integer, no sign or leading zero. */
const afterParam = z
  .string()
  .regex(/^(0|[1-9]\d{0,15})$/, 'Must be a non-negative integer.')
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER, 'Must be a non-negative integer.'))
  .optional()
  .transform((value) => value ?? 0)
  .openapi({ param: { name: 'after', in: 'query' }, type: 'integer', minimum: 0, default: 0, description: 'Events with a larger id.' });

export const eventsQuery = z.object({
  after: afterParam,
  limit: queryInt('limit', MAX_EVENTS_PAGE, 50),
  action: z
    .enum(EVENT_ACTIONS, { error: `Must be one of: ${EVENT_ACTIONS.join(', ')}.` })
    .optional()
    .openapi({ param: { name: 'action', in: 'query' }, description: 'Exactly this action.' }),
  user_id: queryId('user_id', 'Only events about this patron.'),
  book_id: queryId('book_id', 'Only events about this book.'),
});
export type EventsQuery = z.output<typeof eventsQuery>;
