import type { Database } from './client';
import { circulationContext } from './schema';
import { eq } from 'drizzle-orm';

/** The app's clock, read once per request: dates and timestamps in UTC, fake-clock friendly. */
export interface Clock {
  today: string;
  now: string;
}

export const clockNow = (): Clock => {
  const now = new Date().toISOString();
  return { today: now.slice(0, 10), now };
};

/**
 * The first statement of every write batch that can fire circulation triggers: it hands them the
 * app's date and time and the caller (triggers cannot see any of these). The row's hold pickup
 * period follows the policy by itself (a trigger on the policy row, migration 0014). An UPDATE of
 * the one row (migration 0006 inserts it and nothing deletes it): an upsert would read it twice,
 * once to find the conflict and once to update it.
 */
export const setCirculationContext = (db: Database, clock: Clock, actorId: number | null) =>
  db.update(circulationContext).set({ today: clock.today, now: clock.now, actor_id: actorId }).where(eq(circulationContext.id, 1));
