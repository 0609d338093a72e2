import type { AppRouteHandler } from '../../lib/types';
import { batchAsCaller } from '../../middleware/auth';
import { eventPage } from './events.queries';
import type * as routes from './events.routes';

export const listEvents: AppRouteHandler<typeof routes.listEvents> = async (c) => {
  const query = c.req.valid('query');
  const [, [items]] = await batchAsCaller(c, () => [eventPage(c.var.db, query)] as const, 'admin');
  const next_after = items.length === query.limit ? items[items.length - 1]!.id : null;
  return c.json({ items, next_after }, 200);
};
