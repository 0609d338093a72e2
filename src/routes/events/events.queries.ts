import { and, asc, eq, gt } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { events } from '../../db/schema';
import type { EventsQuery } from './events.schemas';

/**
 * `id > after` in id order, at most `limit`: with one filter SQLite walks that filter's
 * (column, id) index from `after` and stops after `limit` rows; without one, the rowid b-tree.
 * Combined filters walk one index and test the other column, so sparse combinations read more.
 */
export const eventPage = (db: Database, { after, limit, action, user_id, book_id }: EventsQuery) =>
  db
    .select()
    .from(events)
    .where(
      and(
        gt(events.id, after),
        action === undefined ? undefined : eq(events.action, action),
        user_id === undefined ? undefined : eq(events.user_id, user_id),
        book_id === undefined ? undefined : eq(events.book_id, book_id),
      ),
    )
    .orderBy(asc(events.id))
    .limit(limit);
