import { and, count, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { counters, loans } from '../../db/schema';

/** The counter row behind each figure of /stats (kept by triggers: migrations 0001, 0006 and 0008). */
const STAT_COUNTERS = {
  books: 'books',
  copies: 'copies',
  available_copies: 'available_copies',
  active_loans: 'open_loans',
  holds_waiting: 'holds_waiting',
  holds_ready: 'holds_ready',
  fines_outstanding_cents: 'balance_total_cents',
} as const;

type CounterStat = keyof typeof STAT_COUNTERS;

// One primary-key lookup per figure: an IN list over the counters table would scan it (the
// per-borrower `loans:user:<id>` rows live there too).
const counterValue = (name: string) =>
  sql<number>`coalesce((SELECT ${counters.value} FROM ${counters} WHERE ${counters.name} = ${name}), 0)`;

export const statQueries = (db: Database, today: string) =>
  [
    db
      .select(
        Object.fromEntries(Object.entries(STAT_COUNTERS).map(([stat, name]) => [stat, counterValue(name).as(stat)])) as Record<
          CounterStat,
          SQL.Aliased<number>
        >,
      )
      .from(sql`(SELECT 1)`),
    // The partial index on open loans by (deadline, id) reads the overdue ones only.
    db.select({ overdue_loans: count() }).from(loans).where(and(isNull(loans.return_date), lt(loans.deadline, today))),
  ] as const;
