import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Context } from 'hono';
import type { Database } from '../db/client';
import { type Clock, clockNow } from '../db/circulation-context';
import { events, type EventAction } from '../db/schema';
import type { AppEnv } from '../env';

/**
 * Events: one row per subject a write changes, in the SAME db.batch() as the change, so neither
 * can exist without the other and a refused request writes none.
 *
 * The pattern every write follows (books, users, policy and accounts do; loans, holds and copies
 * adopt it):
 *
 *   const context = eventContext(c);                 // actor + timestamp, once per request
 *   await db.batch([
 *     db.update(books).set(...).where(...).returning(...),   // the change, conditional
 *     recordEvent(db, context, 'book.updated', { book_id: id }),   // DIRECTLY after it
 *     ...probes,
 *   ]);
 *
 * `recordEvent` inserts only when the statement just before it changed rows (`changes() > 0`,
 * which counts that statement's own rows, not its triggers'). It must follow the change directly:
 * any INSERT/UPDATE/DELETE in between (another event included) resets changes(). When one change
 * concerns several subjects (three copies created), use `recordEvents` with a SELECT that yields
 * one row per subject; when the condition is better stated on the data than on changes() (e.g. a
 * role that differs from the new one, checked BEFORE the update), pass `when`/`from` explicitly —
 * the condition must then imply that the batch's change happens.
 *
 * Ids of rows created earlier in the batch: `(SELECT max(id) FROM t)` (a new row's id is above
 * every id in the table, with or without AUTOINCREMENT, and the batch runs alone), not
 * last_insert_rowid().
 *
 * With an Idempotency-Key (`idempotentBatch(db, key, [change, event, ...probes], { after: 0, ... })`)
 * the key's settle statement lands between the change and the event: it updates one row exactly
 * when the change did, so the event's `changes() > 0` still answers for the change.
 *
 * Copies, loans and holds record most of their events from triggers (migrations/0010), reading the
 * actor and time from the one-row circulation context the batch sets first: every path that changes
 * them (a cascade, a copy coming back and filling a hold, the daily job) is recorded the same way.
 * Only what a trigger cannot tell apart is recorded here by its route: `copy.updated`,
 * `loan.copy_added`, `loan.copy_removed`, `loan.renewed` and a lost copy checked in.
 */
export interface EventContext {
  /** Who acted; null for the daily job. */
  actorId: number | null;
  /** ISO 8601 UTC, from the app clock (so fake time in tests applies). */
  at: string;
}

/**
 * The request's actor: the stored caller when a middleware loaded it, else the verified token's
 * user (writes that check the caller inside their own SQL never load it separately). A write that
 * also sets the circulation context passes the same clock, so its events and its triggers' events
 * carry the same `at`.
 */
export const eventContext = (c: Context<AppEnv>, clock: Clock = clockNow()): EventContext => ({
  actorId: c.var.user?.id ?? c.var.token?.id ?? null,
  at: clock.now,
});

/** The events of a write that knows its actor and clock (circulation writes): as their triggers see them. */
export const actingAt = (actorId: number | null, clock: Clock): EventContext => ({ actorId, at: clock.now });

type Value = number | null | SQLWrapper;

export interface EventSubject {
  user_id?: Value;
  book_id?: Value;
  copy_id?: Value;
  loan_id?: Value;
  hold_id?: Value;
}

/** Rows changed by the statement just before this one in the batch. */
export const CHANGED: SQL = sql`changes() > 0`;

// Drizzle's insert-from-SELECT lists every column of the table in schema order (id first, NULL
// here); db.run(sql) cannot be used in a D1 batch with bound parameters (drizzle 0.45).
const insertEvents = (db: Database, select: SQL) => db.insert(events).select(select);

const value = (v: Value | undefined) => (v === undefined ? sql`NULL` : sql`${v}`);

/** One event, written when `when` holds (by default: the previous statement changed something). */
export function recordEvent(db: Database, context: EventContext, action: EventAction, subject: EventSubject, when: SQL = CHANGED) {
  const { user_id, book_id, copy_id, loan_id, hold_id } = subject;
  return insertEvents(
    db,
    sql`SELECT NULL, ${context.at}, ${context.actorId}, ${action}, ${value(user_id)}, ${value(book_id)}, ${value(copy_id)}, ${value(loan_id)}, ${value(hold_id)} WHERE ${when}`,
  );
}

/**
 * One event per row of `subjects`: a SELECT yielding columns named user_id, book_id, copy_id,
 * loan_id and hold_id (any may be missing: write NULL AS ...), already conditional on the change.
 */
export function recordEvents(db: Database, context: EventContext, action: EventAction, subjects: SQL) {
  return insertEvents(
    db,
    sql`SELECT NULL, ${context.at}, ${context.actorId}, ${action}, s.user_id, s.book_id, s.copy_id, s.loan_id, s.hold_id FROM (${subjects}) AS s`,
  );
}
