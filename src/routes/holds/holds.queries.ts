import { and, asc, count, eq, inArray, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { type Clock, setCirculationContext } from '../../db/circulation-context';
import { isUniqueViolation } from '../../db/errors';
import { nothingChanged, rawAll } from '../../db/raw';
import { books, copies, holds, users } from '../../db/schema';
import { refused } from '../../lib/blockers';
import { patronBlockers, patronBlockProbe, patronNotBlocked } from '../../lib/blocks';
import { authorizeCaller, callerIs, callerProbe } from '../../lib/caller';
import { type Idempotency, idempotentBatch } from '../../lib/idempotency';
import type { TokenClaims } from '../../lib/token';
import { ApiError, type Blocker, forbidden, notFound } from '../../lib/problem';
import type { Viewer } from '../loans/loans.queries';
import type { HoldFilter } from './holds.schemas';

/** A hold's columns, its queue position (index walk over the waiting holds ahead of it) and its copy's barcode. */
export const holdColumns = {
  id: holds.id,
  user_id: holds.user_id,
  book_id: holds.book_id,
  status: holds.status,
  position: sql<number | null>`CASE WHEN ${holds.status} = 'waiting' THEN 1 + (SELECT count(*) FROM holds ahead
    WHERE ahead.book_id = ${holds.book_id} AND ahead.status = 'waiting' AND ahead.id < ${holds.id}) END`,
  copy_id: holds.copy_id,
  barcode: copies.barcode,
  placed_on: holds.placed_on,
  ready_on: holds.ready_on,
  pickup_by: holds.pickup_by,
  closed_on: holds.closed_on,
};

export const selectHolds = (db: Database) => db.select(holdColumns).from(holds).leftJoin(copies, eq(copies.id, holds.copy_id));
type HoldRecord = Awaited<ReturnType<ReturnType<typeof selectHolds>['all']>>[number];

export const toHold = ({ copy_id, barcode, ...hold }: HoldRecord) => ({
  ...hold,
  copy: copy_id === null ? null : { id: copy_id, barcode },
});
export type Hold = ReturnType<typeof toHold>;

/** Another member's hold matches nothing, so it answers 404 exactly like a missing one. */
const visibleHold = (viewer: Viewer, id: number): SQL =>
  viewer.role === 'admin' ? eq(holds.id, id) : and(eq(holds.id, id), eq(holds.user_id, viewer.id))!;

export const findHold = (db: Database, viewer: Viewer, id: number) => selectHolds(db).where(visibleHold(viewer, id));

/**
 * For writes, which authorise inside their own SQL (one round trip): the hold is visible to the
 * token's caller when the account is current and owns it or is, as stored now, an admin. `id` may
 * be a subquery (an idempotent replay names the hold by its record).
 */
const visibleHoldTo = (caller: TokenClaims, id: number | SQLWrapper): SQL =>
  and(
    typeof id === 'number' ? eq(holds.id, id) : inArray(holds.id, id),
    callerIs(caller),
    or(eq(holds.user_id, caller.id), callerIs(caller, 'admin')),
  )!;

export const findHoldFor = (db: Database, caller: TokenClaims, id: number | SQLWrapper) => selectHolds(db).where(visibleHoldTo(caller, id));

export const holdNotFound = () => notFound('Hold');

/**
 * Places a hold in one batch. The INSERT carries every condition (patron and book exist, no open
 * hold, no copy of the book out to the patron, a lendable copy exists) and chooses, inside its own
 * SQL, the available copy with the lowest id: found, the hold is `ready` at once and its trigger
 * sets the copy aside (and writes the hold_ready notice); else it is `waiting`. D1 serialises
 * batches, so racing placements queue up in order and at most one takes a free copy.
 */
export async function placeHold(
  db: Database,
  caller: TokenClaims,
  userId: number,
  bookId: number,
  clock: Clock,
  idempotency?: Idempotency,
): Promise<Hold> {
  // A patron holding for themselves is the row `u` the INSERT reads: its token version is checked there.
  const mayHoldFor = userId === caller.id ? sql`u.token_version = ${caller.version}` : callerIs(caller, 'admin');
  const pickupBy = sql`date(${clock.today}, '+' || (SELECT hold_pickup_days FROM circulation_context WHERE id = 1) || ' days')`;
  // Open holds through the partial (user, book) index of open holds: never the patron's closed ones.
  const openHold = sql`EXISTS (SELECT 1 FROM holds h INDEXED BY holds_one_open_per_user_book WHERE h.user_id = ${userId} AND h.book_id = ${bookId} AND h.status IN ('waiting', 'ready'))`;
  // From the book's active rows (at most its copies), never from the patron's loans; the INSERT
  // skips it for a patron with nothing out (users.items_out).
  const borrowed = sql`EXISTS (SELECT 1 FROM loan_books lb WHERE lb.book_id = ${bookId} AND lb.active = 1
    AND (SELECT l.user_id FROM loans l WHERE l.id = lb.loan_id) = ${userId})`;
  const lendable = sql`EXISTS (SELECT 1 FROM copies c WHERE c.book_id = ${bookId} AND c.status IN ('available', 'on_loan', 'on_hold_shelf'))`;
  const openHolds = sql<number>`(SELECT count(*) FROM holds h INDEXED BY holds_one_open_per_user_book WHERE h.user_id = ${userId} AND h.status IN ('waiting', 'ready'))`;
  const adding = { holds: 1 };
  try {
    const [, inserted, [hold], [probe], [blocks], [callerRow]] = await idempotentBatch(db, idempotency, [
      setCirculationContext(db, clock, caller.id),
      rawAll<{ id: number }>(
        db,
        sql`INSERT INTO holds (user_id, book_id, status, copy_id, placed_on, ready_on, pickup_by)
          SELECT u.id, b.id, CASE WHEN f.copy_id IS NULL THEN 'waiting' ELSE 'ready' END, f.copy_id, ${clock.today},
            CASE WHEN f.copy_id IS NULL THEN NULL ELSE ${clock.today} END, CASE WHEN f.copy_id IS NULL THEN NULL ELSE ${pickupBy} END
          FROM users u JOIN books b ON b.id = ${bookId}
          JOIN (SELECT (SELECT c.id FROM copies c WHERE c.book_id = ${bookId} AND c.status = 'available' ORDER BY c.id LIMIT 1) AS copy_id) f
          WHERE u.id = ${userId} AND ${mayHoldFor} AND NOT ${openHold} AND NOT (u.items_out > 0 AND ${borrowed}) AND ${lendable}
            AND ${patronNotBlocked(userId, clock.today, adding, openHolds)}
          RETURNING id`,
      ),
      selectHolds(db).where(eq(holds.id, sql`(SELECT max(id) FROM holds)`)),
      db.select({
        user: sql<number | null>`(SELECT id FROM ${users} WHERE id = ${userId})`,
        book: sql<number | null>`(SELECT id FROM ${books} WHERE id = ${bookId})`,
        open_hold: sql<number>`${openHold}`,
        borrowed: sql<number>`${borrowed}`,
        lendable: sql<number>`${lendable}`,
        // Only when the insert just before wrote nothing (changes() = 0): a placed hold needs no explanation.
      }).from(sql`(SELECT changes() AS changed) AS g`).where(sql`g.changed = 0`),
      patronBlockProbe(db, userId, clock.today, openHolds, nothingChanged),
      callerProbe(db, caller, nothingChanged),
    ], { after: 1, status: 201, resourceId: 'inserted' });
    if (inserted.length && hold) return toHold(hold);
    const stored = authorizeCaller(callerRow, caller);
    if (userId !== caller.id && stored.role !== 'admin') throw forbidden('Only an admin can place a hold for another user.');
    if (!probe?.user) throw notFound('User');
    if (!probe.book) throw notFound(`Book ${bookId}`);
    const blockers: Blocker[] = [];
    if (probe.open_hold) blockers.push({ code: 'HOLD_EXISTS', detail: `The patron already has an open hold on book ${bookId}.`, book_id: bookId });
    if (probe.borrowed) blockers.push({ code: 'ALREADY_BORROWED', detail: `The patron already has a copy of book ${bookId} out.`, book_id: bookId });
    if (!probe.lendable) {
      blockers.push({ code: 'NO_LENDABLE_COPIES', detail: `Book ${bookId} has no copy that can be lent (none, or all lost or withdrawn).`, book_id: bookId });
    }
    if (blocks) blockers.push(...patronBlockers(blocks, adding));
    throw refused(blockers);
  } catch (err) {
    if (isUniqueViolation(err, 'holds.user_id')) throw holdExists(bookId);
    throw err;
  }
}

const holdExists = (bookId: number) =>
  refused([{ code: 'HOLD_EXISTS', detail: `The patron already has an open hold on book ${bookId}.`, book_id: bookId }]);

/** Cancels an open hold; a ready hold's copy passes on (trigger): 404, 409 HOLD_CLOSED. */
export async function cancelHold(db: Database, caller: TokenClaims, id: number, clock: Clock): Promise<Hold> {
  const [, cancelled, [hold], [callerRow]] = await db.batch([
    setCirculationContext(db, clock, caller.id),
    db
      .update(holds)
      .set({ status: 'cancelled', closed_on: clock.today })
      .where(and(visibleHoldTo(caller, id), inArray(holds.status, ['waiting', 'ready'])))
      .returning({ id: holds.id }),
    findHoldFor(db, caller, id),
    callerProbe(db, caller, nothingChanged),
  ]);
  if (!cancelled.length) authorizeCaller(callerRow, caller);
  if (!hold) throw holdNotFound();
  if (!cancelled.length) throw new ApiError(409, 'HOLD_CLOSED', `The hold is already ${hold.status}.`);
  return toHold(hold);
}

const STATUS_FILTERS: Record<HoldFilter, SQL> = {
  waiting: eq(holds.status, 'waiting'),
  ready: eq(holds.status, 'ready'),
  fulfilled: eq(holds.status, 'fulfilled'),
  cancelled: eq(holds.status, 'cancelled'),
  expired: eq(holds.status, 'expired'),
  open: inArray(holds.status, ['waiting', 'ready']),
};

export interface HoldFilters {
  userId?: number;
  bookId?: number;
  status?: HoldFilter;
}

/** A page of holds by id and its total: two statements for the caller's batch. */
export function listHoldQueries(db: Database, { userId, bookId, status }: HoldFilters, { limit, offset }: { limit: number; offset: number }) {
  const where = and(
    userId === undefined ? undefined : eq(holds.user_id, userId),
    bookId === undefined ? undefined : eq(holds.book_id, bookId),
    status === undefined ? undefined : STATUS_FILTERS[status],
  );
  return [
    selectHolds(db).where(where).orderBy(asc(holds.id)).limit(limit).offset(offset),
    db.select({ value: count() }).from(holds).where(where),
  ] as const;
}

/** A book's queue for the desk: ready holds, then waiting ones, each by id; the book probe for 404. */
export function bookQueueQueries(db: Database, bookId: number, { limit, offset }: { limit: number; offset: number }) {
  const where = and(eq(holds.book_id, bookId), inArray(holds.status, ['ready', 'waiting']));
  return [
    db.select({ id: books.id }).from(books).where(eq(books.id, bookId)),
    selectHolds(db)
      .where(where)
      .orderBy(sql`CASE ${holds.status} WHEN 'ready' THEN 0 ELSE 1 END`, asc(holds.id))
      .limit(limit)
      .offset(offset),
    db.select({ value: count() }).from(holds).where(where),
  ] as const;
}

export type { HoldRecord };
