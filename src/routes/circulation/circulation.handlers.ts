import { clockNow } from '../../db/circulation-context';
import type { AppRouteHandler } from '../../lib/types';
import { invalidatePopularity } from '../books/popularity.cache';
import { toCopy } from '../copies/copies.queries';
import { toHold } from '../holds/holds.queries';
import { toLoan } from '../loans/loans.handlers';
import { checkIn as checkInCopy } from './circulation.queries';
import type * as routes from './circulation.routes';

export const checkIn: AppRouteHandler<typeof routes.checkIn> = async (c) => {
  const clock = clockNow();
  const { copy, loan, hold } = await checkInCopy(c.var.db, c.req.valid('json').barcode, clock, c.var.user.id);
  await invalidatePopularity(c);
  return c.json({ copy: toCopy(copy), loan: loan && toLoan(loan, clock.today), hold: hold && toHold(hold) }, 200);
};
