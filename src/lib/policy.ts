/**
 * The circulation rules, as constants for now. This module is the one place a stored policy row
 * (`GET/PUT /policy`) will replace: everything that lends, renews or sets a copy aside reads its
 * numbers from here (the hold shelf's period reaches the triggers through the circulation context).
 */
export const POLICY = {
  /** A loan runs this long from its loan date. */
  loan_days: 14,
  /** Each renewal moves the deadline on by this much. */
  renewal_days: 14,
  /** Renewals a loan may have; the loans table's CHECK (renewals BETWEEN 0 AND 2) backs it up. */
  max_renewals: 2,
  /** A ready hold's copy waits on the hold shelf this long (`pickup_by` = `ready_on` + this). */
  hold_pickup_days: 7,
} as const;
