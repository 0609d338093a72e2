import { z } from '@hono/zod-openapi';
import { ENTRY_KINDS } from '../../db/schema';
import { boundedText } from '../../lib/fields';
import { pageQuery } from '../../lib/paging';

/** The largest single charge, payment or waiver: bounded input, far above any real fee. */
export const MAX_AMOUNT_CENTS = 10_000_000;

export const entrySchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(ENTRY_KINDS).openapi({ description: '`fine` and `charge` raise the balance; `payment` and `waiver` lower it.' }),
    amount_cents: z.number().int().min(1),
    loan_id: z.number().int().nullable(),
    copy_id: z.number().int().nullable(),
    book_id: z.number().int().nullable(),
    note: z.string().nullable(),
    created_at: z.string().openapi({ description: 'ISO 8601 UTC.', example: '2026-11-26T14:03:07.123Z' }),
  })
  .openapi('AccountEntry');

export const accountSchema = z
  .object({
    balance_cents: z.number().int().openapi({ description: 'Fines + charges − payments − waivers; never below 0.' }),
    accruing_cents: z.number().int().openapi({
      description: 'What the patron’s overdue items still out would be fined if checked in today (each capped); not part of the balance.',
    }),
    currency: z.string().openapi({ example: 'EUR' }),
    entries: z.array(entrySchema).openapi({ description: 'Newest first.' }),
    page: z.number().int(),
    per_page: z.number().int(),
    total: z.number().int(),
    pages: z.number().int(),
    has_next: z.boolean(),
    has_prev: z.boolean(),
  })
  .openapi('Account');

const amount = z
  .number({ error: 'Must be an integer number of cents.' })
  .int('Must be an integer number of cents.')
  .min(1, 'Must be at least 1.')
  .max(MAX_AMOUNT_CENTS, `Must be at most ${MAX_AMOUNT_CENTS}.`)
  .openapi({ description: 'In cents of the policy’s currency.', example: 1500 });

export const chargeBody = z
  .strictObject({
    amount_cents: amount,
    note: boundedText(500).openapi({ description: 'What the charge is for (replacement, damage…).', example: 'Water damage' }),
    copy_id: z.number().int().min(1).optional().openapi({ description: 'The copy concerned, if any.' }),
  })
  .openapi('ChargeInput');

export const creditBody = z
  .strictObject({
    amount_cents: amount,
    note: boundedText(500).optional().openapi({ example: 'Paid at the desk' }),
  })
  .openapi('PaymentInput', { description: 'A payment or a waiver: at most the current balance (else 409 OVERPAYMENT).' });

export const accountQuery = pageQuery;
