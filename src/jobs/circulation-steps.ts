import { sql, type SQL } from 'drizzle-orm';
import { setCirculationContext } from '../db/circulation-context';
import { books, holds, loans, notices } from '../db/schema';
import type { DailyStep, JobContext } from './daily';

/**
 * The daily job's circulation steps. Each works in chunks of CHUNK rows, one D1 batch per chunk,
 * and stops after MAX_CHUNKS (the next run carries on), so a run stays far below the 1,000
 * queries an invocation may make. Each is idempotent: it acts only on rows still in the state it
 * changes (a ready hold past pickup_by), or writes through a unique index (one notice per loan,
 * kind and deadline), so a second run on the same day finds nothing to do.
 */
const CHUNK = 200;
const MAX_CHUNKS = 50;

async function inChunks(work: () => Promise<number>): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const changed = await work();
    total += changed;
    if (changed < CHUNK) break;
  }
  return total;
}

/**
 * Ready holds whose `pickup_by` has passed expire, and their copy passes on (the holds' and copies'
 * triggers: to the next waiting hold, which becomes ready with its `hold_ready` notice, else to the
 * shelf). One `hold_expired` notice per hold, written from the same chosen set just before the
 * UPDATE (the batch runs alone, so both see the same holds); the holds' event trigger records each
 * `hold.expired` (and any `hold.ready` it causes) with the context's null actor. Reads only the
 * ready holds due, through holds_ready_pickup_idx.
 */
export const expireHolds: DailyStep = {
  name: 'expire ready holds past pickup_by',
  run: ({ db, today, now }: JobContext) =>
    inChunks(async () => {
      const due = sql`(SELECT ${holds.id} FROM ${holds} WHERE ${holds.status} = 'ready' AND ${holds.pickup_by} < ${today} ORDER BY ${holds.pickup_by}, ${holds.id} LIMIT ${CHUNK})`;
      const [, , expired] = await db.batch([
        setCirculationContext(db, { today, now: now.toISOString() }, null),
        db.insert(notices).select(
          sql`SELECT NULL, ${holds.user_id}, 'hold_expired', ${now.toISOString()}, ${holds.book_id}, NULL, ${holds.id},
                'Your hold on "' || ${books.title} || '" expired on ' || ${holds.pickup_by} || ' and the copy has passed on.', NULL
              FROM ${holds} JOIN ${books} ON ${books.id} = ${holds.book_id}
              WHERE ${holds.id} IN ${due} AND ${holds.user_id} IS NOT NULL
              ON CONFLICT DO NOTHING`,
        ),
        db
          .update(holds)
          .set({ status: 'expired', closed_on: today })
          .where(sql`${holds.id} IN ${due}`)
          .returning({ id: holds.id }),
      ]);
      return expired.length;
    }),
};

/**
 * One notice per open loan, kind and deadline (`due_on` and a unique index: a second run inserts
 * nothing, and a renewal's new deadline gets its own notice). One INSERT over the open loans whose
 * deadline is in range, read through loans_open_deadline_idx.
 */
function loanNotices(kind: 'due_soon' | 'overdue', inRange: (today: string) => SQL, message: SQL): DailyStep {
  return {
    name: `${kind} notices`,
    run: async ({ db, now, today }: JobContext) => {
      const written = await db
        .insert(notices)
        .select(
          sql`SELECT NULL, ${loans.user_id}, ${kind}, ${now.toISOString()}, NULL, ${loans.id}, NULL, ${message}, ${loans.deadline}
              FROM ${loans}
              WHERE ${loans.return_date} IS NULL AND ${inRange(today)} AND ${loans.user_id} IS NOT NULL
              ON CONFLICT DO NOTHING`,
        )
        .returning({ id: notices.id });
      return written.length;
    },
  };
}

/** `due_soon` for each open loan with today < deadline ≤ today + 2. */
export const dueSoonNotices = loanNotices(
  'due_soon',
  (today) => sql`${loans.deadline} > ${today} AND ${loans.deadline} <= date(${today}, '+2 days')`,
  sql`'Loan ' || ${loans.id} || ' is due on ' || ${loans.deadline} || '.'`,
);

/** `overdue` for each open loan with deadline < today. */
export const overdueNotices = loanNotices(
  'overdue',
  (today) => sql`${loans.deadline} < ${today}`,
  sql`'Loan ' || ${loans.id} || ' was due on ' || ${loans.deadline} || '; please return it.'`,
);

/** In the order the contract lists them: holds first, so a copy passed on today is not also late. */
export const CIRCULATION_STEPS: DailyStep[] = [expireHolds, dueSoonNotices, overdueNotices];
