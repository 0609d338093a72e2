/** Loan dates: pure functions over `YYYY-MM-DD` strings, all in UTC (contract, "Loans"). */

/** The policy's ceiling on max_renewals (0–10); the table's CHECK on renewals repeats it. */
export const RENEWALS_CEILING = 10;

export const LOAN_STATUSES = ['active', 'returned', 'overdue'] as const;
export type LoanStatus = (typeof LOAN_STATUSES)[number];

/**
 * `date` plus `days` calendar days. setUTCFullYear normalises the overflowing day of month, so
 * month ends, year ends and 29 February come out right, and no local time zone or DST can shift
 * it (unlike Date.UTC, it also leaves years below 100 alone).
 */
export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const result = new Date(0);
  result.setUTCFullYear(year, month - 1, day + days);
  return result.toISOString().slice(0, 10);
}

/** Returned once it has a return date; otherwise overdue from the day after its deadline. */
export function loanStatus(loan: { return_date: string | null; deadline: string }, today: string): LoanStatus {
  if (loan.return_date !== null) return 'returned';
  return loan.deadline < today ? 'overdue' : 'active';
}
