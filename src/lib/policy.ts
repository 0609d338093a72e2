import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { policy, type PolicyRow } from '../db/schema';

/**
 * The circulation rules live in one row (`policy`, id 1). A write that applies a rule reads it
 * with a sub-select inside its own SQL, so the rule is the one in force when the write runs and
 * costs no extra round trip:
 *
 *   deadline: sql`date(${today}, ${policyDays('loan_days')})`
 *   .where(lt(loans.renewals, policyValue('max_renewals')))
 */
export type PolicyField = Exclude<keyof PolicyRow, 'id' | 'version'>;

export const POLICY_FIELDS = [
  'loan_days',
  'renewal_days',
  'max_renewals',
  'max_active_copies',
  'max_holds',
  'hold_pickup_days',
  'fine_per_day_cents',
  'max_fine_per_copy_cents',
  'block_balance_cents',
  'block_overdue_copies',
] as const satisfies readonly PolicyField[];

/** `(SELECT <field> FROM policy WHERE id = 1)`: one primary-key lookup inside the statement. */
export const policyValue = (field: PolicyField): SQL<number> =>
  sql<number>`(SELECT p.${sql.identifier(field)} FROM ${policy} p WHERE p.id = 1)`;

/** A `date()` modifier adding the policy's number of days: `date(x, policyDays('loan_days'))`. */
export const policyDays = (field: 'loan_days' | 'renewal_days' | 'hold_pickup_days'): SQL<string> =>
  sql<string>`'+' || ${policyValue(field)} || ' days'`;

/** The rates a fine needs. */
export interface FineRates {
  fine_per_day_cents: number;
  max_fine_per_copy_cents: number;
}

/** Whole calendar days from `deadline` to `returned` (both YYYY-MM-DD, UTC); never negative. */
export function daysLate(deadline: string, returned: string): number {
  const days = Math.round((Date.parse(`${returned}T00:00:00Z`) - Date.parse(`${deadline}T00:00:00Z`)) / 86_400_000);
  return Math.max(0, days);
}

/**
 * The fine for one copy: min(days late × fine_per_day_cents, max_fine_per_copy_cents). 0 for a
 * copy back on time (or when either rate is 0), and a fine of 0 writes no account entry.
 */
export const fineCents = (deadline: string, returned: string, rates: FineRates): number =>
  Math.min(daysLate(deadline, returned) * rates.fine_per_day_cents, rates.max_fine_per_copy_cents);

/**
 * The same rule in SQL, over the policy in force, for writes that charge it (check-in) and reads
 * that add it up (`accruing_cents`): `deadline` and `returned` are SQL date expressions.
 */
export const fineSql = (deadline: SQLWrapper | string, returned: SQLWrapper | string): SQL<number> =>
  sql<number>`min(max(0, CAST(julianday(${returned}) - julianday(${deadline}) AS INTEGER)) * ${policyValue('fine_per_day_cents')}, ${policyValue('max_fine_per_copy_cents')})`;
