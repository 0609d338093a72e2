import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { accountEntries } from '../../db/schema';
import { type EventContext, recordEvents } from '../../lib/events';
import { fineSql } from '../../lib/policy';

/**
 * The two statements that charge late check-ins, for the check-in's own batch (so the fine and
 * the return are one atomic write): one `fine` entry per item returned after its deadline, under
 * the policy in force, and one `fine.charged` event per entry. A fine of 0 (on time, or a rate of
 * 0) writes no entry, and so no event.
 *
 * `items` is a SELECT of the items being checked in, with columns user_id, loan_id, copy_id,
 * book_id and deadline (copy_id NULL while loans hold books rather than copies). It must be
 * evaluated before the statement that marks them returned, and yield nothing when the check-in
 * itself does not happen.
 */
/**
 * The items a check-in closes, for `chargeFines`: loan rows still out (`active`) matching `where`
 * (over `lb` = loan_books and `l` = loans) whose loan is past its deadline on `returnedOn`.
 */
export const lateItems = (where: SQL, returnedOn: string) =>
  sql`SELECT l.user_id AS user_id, l.id AS loan_id, lb.copy_id AS copy_id, lb.book_id AS book_id, l.deadline AS deadline
      FROM loan_books lb JOIN loans l ON l.id = lb.loan_id
      WHERE lb.active = 1 AND l.deadline < ${returnedOn} AND ${where}`;

export function chargeFines(db: Database, context: EventContext, returnedOn: string, items: SQL) {
  const fine = fineSql(sql.raw('i.deadline'), returnedOn);
  return [
    db
      .insert(accountEntries)
      .select(
        sql`SELECT NULL, i.user_id, 'fine', ${fine}, i.loan_id, i.copy_id, i.book_id, NULL, ${context.at}
            FROM (${items}) AS i WHERE i.user_id IS NOT NULL AND ${fine} > 0`,
      ),
    // The entries just written are the newest changes() rows (AUTOINCREMENT, the batch runs alone).
    recordEvents(
      db,
      context,
      'fine.charged',
      sql`SELECT user_id, book_id, copy_id, loan_id, NULL AS hold_id FROM (SELECT * FROM ${accountEntries} ORDER BY id DESC LIMIT changes())`,
    ),
  ] as const;
}
