import { createRoute, z } from '@hono/zod-openapi';
import { barcode } from '../../lib/fields';
import { AUTH_PROBLEMS, BODY_PROBLEMS, bearer, json, jsonBody, problems } from '../../lib/openapi';
import { idempotencyKeyHeader, replayedResponseHeader } from '../../lib/idempotency';
import { requireToken } from '../../middleware/auth';
import { copySchema } from '../copies/copies.schemas';
import { holdSchema } from '../holds/holds.schemas';
import { loanSchema } from '../loans/loans.schemas';

/** The desk's write authorises inside its own SQL (one D1 round trip): see lib/caller.ts. */
const admin = requireToken();

export const checkInBody = z.strictObject({ barcode: barcode.openapi({ description: 'The copy’s barcode (case ignored).' }) }).openapi('CheckIn');

export const checkInSchema = z
  .object({
    copy: copySchema,
    loan: loanSchema.nullable().openapi({ description: 'The loan the copy was on, after the check-in; null when a lost copy was found.' }),
    hold: holdSchema.nullable().openapi({ description: 'The hold the copy now fills (it is on the hold shelf), or null.' }),
  })
  .openapi('CheckInResult');

export const checkIn = createRoute({
  method: 'post',
  path: '/circulation/check-in',
  tags: ['Circulation'],
  summary: 'Check a copy in (admin; the returns desk)',
  description:
    'Returns that one copy: its `return_date` on the loan is today, and it goes to the first waiting hold on its ' +
    'book (`copy.status` `on_hold_shelf`, `hold` that hold, now ready) or back to the shelf. The loan ends when ' +
    'none of its copies is left out. Checking in a `lost` copy marks it found (`loan` null). 404 unknown barcode; ' +
    '409 COPY_NOT_ON_LOAN for a copy that is not out.',
  security: bearer,
  middleware: [admin] as const,
  request: { body: jsonBody(checkInBody), headers: idempotencyKeyHeader },
  responses: {
    200: { ...json(checkInSchema, 'The copy, loan and hold after the check-in'), headers: replayedResponseHeader },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 422], 'COPY_NOT_ON_LOAN'),
  },
});
