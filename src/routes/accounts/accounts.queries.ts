import { and, desc, eq, inArray, isNull, lt, sql, type SQLWrapper } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { accountBalances, accountEntries, copies, loanBooks, loans, users, type EntryKind } from '../../db/schema';
import { type EventContext, recordEvent } from '../../lib/events';
import { type Idempotency, idempotentBatch } from '../../lib/idempotency';
import { fineSql } from '../../lib/policy';

export const entryColumns = {
  id: accountEntries.id,
  kind: accountEntries.kind,
  amount_cents: accountEntries.amount_cents,
  loan_id: accountEntries.loan_id,
  copy_id: accountEntries.copy_id,
  book_id: accountEntries.book_id,
  note: accountEntries.note,
  created_at: accountEntries.created_at,
};

/** Balance and entry count: one row kept by a trigger (absent = nothing ever recorded). */
export const balanceOf = (db: Database, userId: number) =>
  db
    .select({ balance_cents: accountBalances.balance_cents, entries: accountBalances.entries })
    .from(accountBalances)
    .where(eq(accountBalances.user_id, userId));

/** A page of entries, newest first, along account_entries_user_idx. */
export const entryPage = (db: Database, userId: number, { limit, offset }: { limit: number; offset: number }) =>
  db.select(entryColumns).from(accountEntries).where(eq(accountEntries.user_id, userId)).orderBy(desc(accountEntries.id)).limit(limit).offset(offset);

/**
 * `accruing_cents`: the fine each of the patron's items still out would be charged if checked in
 * `today`, under the policy in force, summed. Today an item is a book on an open loan (active
 * loan_books row); once loans hold copies, the same query runs over the loan's copies still out.
 * Reads the patron's loans through loans_user_idx, plus their books.
 */
export const accruingCents = (db: Database, userId: number, today: string) =>
  db
    .select({ value: sql<number>`coalesce(sum(${fineSql(loans.deadline, today)}), 0)`.mapWith(Number) })
    .from(loans)
    .innerJoin(loanBooks, and(eq(loanBooks.loan_id, loans.id), eq(loanBooks.active, true)))
    .where(and(eq(loans.user_id, userId), isNull(loans.return_date), lt(loans.deadline, today)));

const userRow = (db: Database, userId: number) => db.select({ id: users.id }).from(users).where(eq(users.id, userId));

/** The statements of one account read, for the caller's batch. */
export const accountQueries = (db: Database, userId: number, today: string, window: { limit: number; offset: number }) =>
  [userRow(db, userId), balanceOf(db, userId), entryPage(db, userId, window), accruingCents(db, userId, today)] as const;

export interface NewEntry {
  userId: number;
  kind: Exclude<EntryKind, 'fine'>;
  amountCents: number;
  note: string | null;
  copyId?: number | null;
  bookId?: number | null;
}

const EVENT_OF = { charge: 'charge.recorded', payment: 'payment.recorded', waiver: 'waiver.recorded' } as const;

/**
 * Records a charge, payment or waiver and its event in one batch. The INSERT selects the patron's
 * row, so an unknown patron inserts nothing; a payment or waiver also requires the balance to
 * cover it, inside the same statement (racing payments cannot overdraw: D1 serialises batches, and
 * the CHECK on account_balances is the last word). Probes after it explain a refusal.
 */
export async function recordEntry(db: Database, context: EventContext, entry: NewEntry, idempotency?: Idempotency) {
  const { userId, kind, amountCents, note, copyId = null } = entry;
  const covered = kind === 'charge' ? sql`1` : sql`coalesce(${accountBalances.balance_cents}, 0) >= ${amountCents}`;
  // A charge for a copy names it and its book; an unknown copy inserts nothing.
  const copyKnown = copyId === null ? sql`1` : sql`EXISTS (SELECT 1 FROM ${copies} c WHERE c.id = ${copyId})`;
  const bookId = copyId === null ? sql`NULL` : sql`(SELECT c.book_id FROM ${copies} c WHERE c.id = ${copyId})`;
  // With an Idempotency-Key, its record settles right after the INSERT (the event follows it).
  const [inserted, , [user], [balance], [copy]] = await idempotentBatch(db, idempotency, [
    db
      .insert(accountEntries)
      .select(
        sql`SELECT NULL, ${users.id}, ${kind}, ${amountCents}, NULL, ${copyId}, ${bookId}, ${note}, ${context.at}
            FROM ${users} LEFT JOIN ${accountBalances} ON ${accountBalances.user_id} = ${users.id}
            WHERE ${users.id} = ${userId} AND ${covered} AND ${copyKnown}`,
      )
      .returning(entryColumns),
    recordEvent(db, context, EVENT_OF[kind], { user_id: userId, copy_id: copyId, book_id: bookId }),
    userRow(db, userId),
    balanceOf(db, userId),
    db.select({ id: copies.id }).from(copies).where(eq(copies.id, copyId ?? 0)),
  ], { after: 0, status: 201, resourceId: 'inserted' });
  return { entry: inserted[0], userExists: user !== undefined, copyExists: copyId === null || copy !== undefined, balanceCents: balance?.balance_cents ?? 0 };
}

/** One entry by id, or by the id a subquery yields (an idempotent replay). */
export const findEntry = (db: Database, id: SQLWrapper) => db.select(entryColumns).from(accountEntries).where(inArray(accountEntries.id, id));
