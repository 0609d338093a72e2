import { clockNow } from '../../db/circulation-context';
import { authorizeCaller, callerProbe } from '../../lib/caller';
import { idempotent } from '../../lib/idempotency';
import { pageWindow, toPage } from '../../lib/paging';
import { forbidden, notFound } from '../../lib/problem';
import type { AppRouteHandler } from '../../lib/types';
import { batchAsCaller, callerToken } from '../../middleware/auth';
import { invalidatePopularity } from '../books/popularity.cache';
import * as queries from './holds.queries';
import type * as routes from './holds.routes';

export const placeHold: AppRouteHandler<typeof routes.placeHold> = (c) => {
  const caller = callerToken(c);
  return idempotent(
    c,
    async (key) => {
      const { book_id, user_id } = c.req.valid('json');
      const hold = await queries.placeHold(c.var.db, caller, user_id ?? caller.id, book_id, clockNow(), key);
      await invalidatePopularity(c); // the book's counts changed, and the ranking shows books
      c.header('Location', `/holds/${hold.id}`);
      return c.json(hold, 201);
    },
    // A repeat answers the hold as it is now (its status may have moved on since).
    (holdId) => [callerProbe(c.var.db, caller), queries.findHoldFor(c.var.db, caller, holdId)] as const,
    ([callerRow, [hold]]) => {
      authorizeCaller(callerRow, caller);
      if (!hold) throw queries.holdNotFound();
      return { body: queries.toHold(hold), location: `/holds/${hold.id}` };
    },
  );
};

export const listHolds: AppRouteHandler<typeof routes.listHolds> = async (c) => {
  const { status, user_id, book_id, ...paging } = c.req.valid('query');
  const [caller, [rows, [total]]] = await batchAsCaller(c, (viewer) =>
    queries.listHoldQueries(c.var.db, { userId: viewer.role === 'admin' ? user_id : viewer.id, bookId: book_id, status }, pageWindow(paging)),
  );
  if (caller.role !== 'admin' && user_id !== undefined && user_id !== caller.id) throw forbidden('Members can list only their own holds.');
  return c.json(toPage(c, rows.map(queries.toHold), total?.value ?? 0, paging), 200);
};

export const getHold: AppRouteHandler<typeof routes.getHold> = async (c) => {
  const { id } = c.req.valid('param');
  const [, [[hold]]] = await batchAsCaller(c, (viewer) => [queries.findHold(c.var.db, viewer, id)] as const);
  if (!hold) throw queries.holdNotFound();
  return c.json(queries.toHold(hold), 200);
};

export const cancelHold: AppRouteHandler<typeof routes.cancelHold> = async (c) => {
  const hold = await queries.cancelHold(c.var.db, callerToken(c), c.req.valid('param').id, clockNow());
  await invalidatePopularity(c);
  return c.json(hold, 200);
};

export const bookQueue: AppRouteHandler<typeof routes.bookQueue> = async (c) => {
  const { id } = c.req.valid('param');
  const paging = c.req.valid('query');
  const [, [[book], rows, [total]]] = await batchAsCaller(c, () => queries.bookQueueQueries(c.var.db, id, pageWindow(paging)), 'admin');
  if (!book) throw notFound('Book');
  return c.json(toPage(c, rows.map(queries.toHold), total?.value ?? 0, paging), 200);
};
