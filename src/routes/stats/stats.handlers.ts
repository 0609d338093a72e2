import { clockNow } from '../../db/circulation-context';
import type { AppRouteHandler } from '../../lib/types';
import { batchAsCaller } from '../../middleware/auth';
import { statQueries } from './stats.queries';
import type * as routes from './stats.routes';

export const getStats: AppRouteHandler<typeof routes.getStats> = async (c) => {
  const [, [[counts], [overdue]]] = await batchAsCaller(c, () => statQueries(c.var.db, clockNow().today), 'admin');
  return c.json({ ...counts!, overdue_loans: overdue?.overdue_loans ?? 0 }, 200);
};
