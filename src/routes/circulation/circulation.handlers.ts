import { clockNow } from '../../db/circulation-context';
import type { AppRouteHandler } from '../../lib/types';
import { invalidatePopularity } from '../books/popularity.cache';
import { toCopy } from '../copies/copies.queries';
import { toHold } from '../holds/holds.queries';
import { toLoan } from '../loans/loans.handlers';
import { authorizeCaller, callerProbe } from '../../lib/caller';
import { idempotent } from '../../lib/idempotency';
import { notFound } from '../../lib/problem';
import { callerToken } from '../../middleware/auth';
import { checkIn as checkInCopy, checkInView } from './circulation.queries';
import type * as routes from './circulation.routes';

export const checkIn: AppRouteHandler<typeof routes.checkIn> = (c) => {
  const caller = callerToken(c);
  const { barcode } = c.req.valid('json');
  return idempotent(
    c,
    async (key) => {
      const clock = clockNow();
      const { copy, loan, hold } = await checkInCopy(c.var.db, caller, barcode, clock, key);
      await invalidatePopularity(c);
      return c.json({ copy: toCopy(copy), loan: loan && toLoan(loan, clock.today), hold: hold && toHold(hold) }, 200);
    },
    // A repeat answers the copy, the loan it came off (none for a lost copy found) and the hold it went to, as they are now.
    (loanId) => [callerProbe(c.var.db, caller), ...checkInView(c.var.db, barcode, loanId)] as const,
    ([callerRow, [copy], [loan], items, [hold]]) => {
      authorizeCaller(callerRow, caller, 'admin');
      if (!copy) throw notFound(`Copy with barcode ${barcode}`);
      const today = clockNow().today;
      return { body: { copy: toCopy(copy), loan: loan ? toLoan({ loan, items }, today) : null, hold: hold ? toHold(hold) : null } };
    },
  );
};
