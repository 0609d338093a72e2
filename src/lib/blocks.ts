import { eq, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';
import { keyWhen } from '../db/raw';
import { accountBalances, loanBooks, loans, policy, users } from '../db/schema';

/**
 * Patron-level blocks (contract, "Accounts"), under the policy in force, for the writes that open
 * a loan, add an item, renew or place a hold, and for the eligibility pre-check. Both read the SAME
 * probe, so a refusal and the pre-check cannot disagree:
 *
 *   const probe = patronBlockProbe(db, userId, today);               // a statement of the batch
 *   .where(and(..., patronNotBlocked(userId, today, { copies: n })))   // inside the write itself
 *   const blockers = patronBlockers(probeRow, { copies: n });          // after: what refused it
 *
 * Items are counted over loan_books rows still out (`active = 1`) of the patron's open loans — the
 * shape loans keep once they hold copies. `openHolds` is a count sub-select the holds code passes.
 */
export const BLOCK_CODES = ['FINES_OVER_LIMIT', 'OVERDUE_COPIES', 'LOAN_LIMIT_REACHED', 'HOLD_LIMIT_REACHED'] as const;
export type BlockCode = (typeof BLOCK_CODES)[number];

export interface Adding {
  /** Items the write would put out (a checkout's entries, 1 for add-book); 0 for a renewal. */
  copies?: number;
  /** Holds the write would open (1 for a hold placement). */
  holds?: number;
}

// Written with their own aliases: these sub-selects are embedded in other statements (a select
// list renders drizzle columns unqualified, and the outer statement may join tables with an `id`).
const balance = (userId: number | SQL) =>
  sql<number>`coalesce((SELECT ab.balance_cents FROM ${accountBalances} ab WHERE ab.user_id = ${userId}), 0)`;

/** Copies out past their deadline: walks the patron's open loans due before `today` only. */
const itemsOverdue = (userId: number | SQL, today: string) =>
  // INDEXED BY: the planner would otherwise walk the patron's whole history (loans_user_idx).
  sql<number>`(SELECT count(*) FROM ${loanBooks} blk_lb JOIN ${loans} blk_l INDEXED BY loans_open_user_idx ON blk_l.id = blk_lb.loan_id
    WHERE blk_l.user_id = ${userId} AND blk_l.return_date IS NULL AND blk_lb.active = 1 AND blk_l.deadline < ${today})`;

/** Copies out: the count the loan rows' triggers keep on the user (one row, however many loans are open). */
const itemsOut = (userId: number | SQL) => sql<number>`coalesce((SELECT blk_u.items_out FROM ${users} blk_u WHERE blk_u.id = ${userId}), 0)`;

/**
 * What each block compares, in one row: a statement for the write's batch (or the pre-check's).
 * `when` limits it to refusals, e.g. sql`changes() = 0` right after the write's last statement, so
 * a write that succeeded does not pay for its explanation.
 */
export const patronBlockProbe = (db: Database, userId: number | SQL, today: string, openHolds: SQL<number> = sql<number>`0`, when?: SQL) =>
  db
    .select({
      // Every column named: the request's D1 wrapper serves drizzle's positional rows from
      // objects, where an unnamed expression such as `0` would sort first and shift the others.
      balance_cents: balance(userId).mapWith(Number).as('balance_cents'),
      block_balance_cents: policy.block_balance_cents,
      overdue_copies: itemsOverdue(userId, today).mapWith(Number).as('overdue_copies'),
      block_overdue_copies: policy.block_overdue_copies,
      active_copies: itemsOut(userId).mapWith(Number).as('active_copies'),
      max_active_copies: policy.max_active_copies,
      open_holds: sql<number>`${openHolds}`.mapWith(Number).as('open_holds'),
      max_holds: policy.max_holds,
    })
    .from(policy)
    // `when` picks the key, so a probe switched off looks nothing up (a NULL key reads no row).
    .where(eq(policy.id, when ? keyWhen(when, 1) : 1));

export type BlockProbe = Awaited<ReturnType<typeof patronBlockProbe>>[number];

/** Rows the write's own SELECT already reads, named by their aliases there, so the rules need not read them again. */
export interface OuterRows {
  /** The policy row (id 1). */
  policy?: string;
  /** The patron's users row. */
  user?: string;
}

/**
 * The same rules as a condition for the write's WHERE: true when no block applies. 0 switches a block off.
 * The policy row is read once (one alias for every threshold), not once per threshold; `outer`
 * names rows the write already reads, which the rules then use instead of reading them again.
 */
export const patronNotBlocked = (
  userId: number | SQL,
  today: string,
  adding: Adding = {},
  openHolds: SQL<number> = sql<number>`0`,
  outer: OuterRows = {},
): SQL => {
  const p = sql.raw(outer.policy ?? 'blk_p');
  const out = outer.user ? sql`${sql.raw(outer.user)}.items_out` : itemsOut(userId);
  const rules = sql`NOT (
    (${p}.block_balance_cents > 0 AND ${balance(userId)} >= ${p}.block_balance_cents)
    OR (${p}.block_overdue_copies > 0 AND ${itemsOverdue(userId, today)} >= ${p}.block_overdue_copies)
    OR (${adding.copies ?? 0} > 0 AND ${out} + ${adding.copies ?? 0} > ${p}.max_active_copies)
    OR (${adding.holds ?? 0} > 0 AND ${openHolds} + ${adding.holds ?? 0} > ${p}.max_holds)
  )`;
  return outer.policy ? rules : sql`EXISTS (SELECT 1 FROM ${policy} blk_p WHERE blk_p.id = 1 AND ${rules})`;
};

export interface PatronBlocker {
  code: BlockCode;
  detail: string;
}

/** Every patron-level block that applies, in the contract's order (no `book_id`: they concern the patron). */
export function patronBlockers(probe: BlockProbe, adding: Adding = {}): PatronBlocker[] {
  const blockers: PatronBlocker[] = [];
  const copies = adding.copies ?? 0;
  const holds = adding.holds ?? 0;
  if (probe.block_balance_cents > 0 && probe.balance_cents >= probe.block_balance_cents) {
    blockers.push({
      code: 'FINES_OVER_LIMIT',
      detail: `The account owes ${probe.balance_cents} cents; borrowing stops at ${probe.block_balance_cents}. Pay or settle it first.`,
    });
  }
  if (probe.block_overdue_copies > 0 && probe.overdue_copies >= probe.block_overdue_copies) {
    blockers.push({ code: 'OVERDUE_COPIES', detail: `${probe.overdue_copies} item(s) are overdue; return them first.` });
  }
  if (copies > 0 && probe.active_copies + copies > probe.max_active_copies) {
    blockers.push({
      code: 'LOAN_LIMIT_REACHED',
      detail: `${probe.active_copies} item(s) out and ${copies} more would pass the limit of ${probe.max_active_copies}.`,
    });
  }
  if (holds > 0 && probe.open_holds + holds > probe.max_holds) {
    blockers.push({ code: 'HOLD_LIMIT_REACHED', detail: `${probe.open_holds} open hold(s); the limit is ${probe.max_holds}.` });
  }
  return blockers;
}
