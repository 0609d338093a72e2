import { and, eq, gt, inArray, isNull, notExists, type SQL, type SQLWrapper } from 'drizzle-orm';
import { matchesColumn, preconditionFailed } from '../../lib/conditional';
import type { Database } from '../../db/client';
import { setCirculationContext } from '../../db/circulation-context';
import { accountBalances, counters, loans, users, type UserRow } from '../../db/schema';
import { type EventContext, recordEvent } from '../../lib/events';
import { ApiError, notFound } from '../../lib/problem';

/** Every column but credentials (hash, token cutoff): the only shape of a user that leaves the database. */
export const publicUserColumns = {
  id: users.id,
  first_name: users.first_name,
  last_name: users.last_name,
  email: users.email,
  DOB: users.DOB,
  address: users.address,
  role: users.role,
};
export type PublicUser = Omit<UserRow, 'password_hash' | 'token_version' | 'version' | 'items_out'>;

export const emailTaken = () => new ApiError(409, 'EMAIL_TAKEN', 'An account with this email already exists.');

export const userCount = (db: Database) =>
  db.select({ value: counters.value }).from(counters).where(eq(counters.name, 'users'));

/**
 * Deletes a user unless they hold an active loan or owe money, in one atomic batch: the checks and
 * the delete cannot be split by a concurrent checkout or charge. Returned loans stay, with
 * `user_id` set to NULL; so do account entries, and events lose `user_id`/`actor_id` (a trigger);
 * open holds are cancelled first (a ready one's copy passes on) and stay, anonymised, like loans.
 * The `user.deleted` event names no user (it is gone), and no actor when they deleted themselves.
 */
export async function deleteUser(db: Database, context: EventContext, id: number, actorId: number | null = null, matches?: SQL): Promise<void> {
  const activeLoan = db
    .select({ id: loans.id })
    .from(loans)
    .where(and(eq(loans.user_id, id), isNull(loans.return_date)))
    .limit(1);
  const owing = db
    .select({ balance_cents: accountBalances.balance_cents })
    .from(accountBalances)
    .where(and(eq(accountBalances.user_id, id), gt(accountBalances.balance_cents, 0)));
  // The context dates the cancellation of the user's open holds (a trigger on delete).
  const [, blocking, owed, [probe], deleted] = await db.batch([
    // The same clock as the event's, so the cancellations' events carry its `at`.
    setCirculationContext(db, { today: context.at.slice(0, 10), now: context.at }, actorId),
    activeLoan,
    owing,
    db.select({ matches: matchesColumn(matches) }).from(users).where(eq(users.id, id)),
    db
      .delete(users)
      .where(and(eq(users.id, id), notExists(activeLoan), notExists(owing), matches))
      .returning({ id: users.id }),
    recordEvent(db, { ...context, actorId: context.actorId === id ? null : context.actorId }, 'user.deleted', {}),
  ]);
  if (deleted.length) return;
  if (!probe) throw notFound('User');
  if (!probe.matches) throw preconditionFailed();
  if (blocking.length) throw new ApiError(409, 'HAS_ACTIVE_LOANS', 'The user has an active loan; return it first.');
  if (owed.length) {
    throw new ApiError(409, 'BALANCE_OUTSTANDING', `The account owes ${owed[0]!.balance_cents} cents; settle or waive it first.`);
  }
  throw notFound('User');
}

/** A user's public columns and ETag version, by id or by the id a subquery yields (a replay). */
export const findUser = (db: Database, id: number | SQLWrapper) =>
  db
    .select({ ...publicUserColumns, version: users.version })
    .from(users)
    .where(typeof id === 'number' ? eq(users.id, id) : inArray(users.id, id));

/** Login's lookup; `email` arrives lower-cased by validation, as it is stored. */
export const findLoginUser = (db: Database, email: string) =>
  db
    .select({ id: users.id, role: users.role, first_name: users.first_name, password_hash: users.password_hash, token_version: users.token_version })
    .from(users)
    .where(eq(users.email, email));
