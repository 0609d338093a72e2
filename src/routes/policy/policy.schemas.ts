import { z } from '@hono/zod-openapi';

/** Each field's bounds (contract, "Policy"); the table's CHECKs repeat them. */
const bounded = (min: number, max: number, description: string) =>
  z
    .number({ error: 'Must be an integer.' })
    .int('Must be an integer.')
    .min(min, `Must be from ${min} to ${max}.`)
    .max(max, `Must be from ${min} to ${max}.`)
    .openapi({ description, minimum: min, maximum: max });

const fields = {
  loan_days: bounded(1, 365, 'Days from the loan date to the deadline of a new loan.'),
  renewal_days: bounded(1, 365, 'Days a renewal adds to the current deadline.'),
  max_renewals: bounded(0, 10, 'Renewals a loan may have.'),
  max_active_copies: bounded(1, 100, 'Copies a patron may have out at once.'),
  max_holds: bounded(0, 100, 'Open holds a patron may have.'),
  hold_pickup_days: bounded(1, 60, 'Days a ready hold waits on the shelf (`pickup_by` = `ready_on` + this).'),
  fine_per_day_cents: bounded(0, 100_000, 'Fine per copy per day late, in cents.'),
  max_fine_per_copy_cents: bounded(0, 100_000, 'Cap on one copy’s fine, in cents.'),
  block_balance_cents: bounded(0, 100_000, 'A balance at or above this blocks borrowing (FINES_OVER_LIMIT); 0 switches the block off.'),
  block_overdue_copies: bounded(0, 100, 'This many overdue copies block borrowing (OVERDUE_COPIES); 0 switches the block off.'),
};

const currency = z.string().openapi({ description: 'ISO 4217 code of every amount; set by configuration (`CURRENCY`), read-only here.', example: 'EUR' });

export const policySchema = z.object({ ...fields, currency }).openapi('Policy', {
  example: {
    loan_days: 14,
    renewal_days: 14,
    max_renewals: 2,
    max_active_copies: 10,
    max_holds: 5,
    hold_pickup_days: 7,
    fine_per_day_cents: 25,
    max_fine_per_copy_cents: 1000,
    block_balance_cents: 500,
    block_overdue_copies: 1,
    currency: 'EUR',
  },
});

/** PUT: every field; `currency` may be sent back as it is (so GET, edit, PUT works). */
export const policyBody = z
  .strictObject({ ...fields, currency: currency.optional() })
  .openapi('PolicyInput', { description: 'Every field but `currency`, which may repeat the current value and nothing else.' });

/** PATCH: some fields, at least one. */
export const policyPatchBody = policyBody
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'Send at least one field.' })
  .openapi('PolicyPatch');

export type PolicyChanges = z.output<typeof policyPatchBody>;
