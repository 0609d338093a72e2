import type { Context } from 'hono';
import { clockNow } from '../../db/circulation-context';
import type { AppEnv } from '../../env';
import { copies } from '../../db/schema';
import { conditionalGet, etag, ifMatch } from '../../lib/conditional';
import { idempotent } from '../../lib/idempotency';
import { pageWindow, toPage } from '../../lib/paging';
import { notFound } from '../../lib/problem';
import type { AppRouteHandler } from '../../lib/types';
import { invalidatePopularity } from '../books/popularity.cache';
import * as queries from './copies.queries';
import type * as routes from './copies.routes';

/** The copy's version as a strong entity tag. */
const withEtag = (c: Context<AppEnv>, copy: queries.CopyRecord) => {
  c.header('ETag', etag(copy.version));
  return queries.toCopy(copy);
};

export const createCopy: AppRouteHandler<typeof routes.createCopy> = (c) =>
  idempotent(
    c,
    async (key) => {
      const copy = await queries.createCopy(c.var.db, c.req.valid('param').id, c.req.valid('json'), clockNow(), c.var.user.id, key);
      await invalidatePopularity(c); // the book's counts changed
      c.header('Location', `/copies/${copy.id}`);
      return c.json(withEtag(c, copy), 201);
    },
    (copyId) => [queries.findCopy(c.var.db, copyId)] as const,
    ([[copy]]) => {
      if (!copy) throw notFound('Copy');
      return { body: queries.toCopy(copy), location: `/copies/${copy.id}`, etag: copy.version };
    },
  );

export const listBookCopies: AppRouteHandler<typeof routes.listBookCopies> = async (c) => {
  const paging = c.req.valid('query');
  const [[book], rows, [total]] = await c.var.db.batch(queries.bookCopiesQueries(c.var.db, c.req.valid('param').id, pageWindow(paging)));
  if (!book) throw notFound('Book');
  return c.json(toPage(c, rows.map(queries.toCopy), total?.value ?? 0, paging), 200);
};

export const getCopy: AppRouteHandler<typeof routes.getCopy> = async (c) => {
  const [copy] = await queries.findCopy(c.var.db, c.req.valid('param').id);
  if (!copy) throw notFound('Copy');
  const unchanged = conditionalGet(c, copy.version);
  if (unchanged) return unchanged;
  return c.json(queries.toCopy(copy), 200);
};

export const getCopyByBarcode: AppRouteHandler<typeof routes.getCopyByBarcode> = async (c) => {
  const [copy] = await queries.findCopyByBarcode(c.var.db, c.req.valid('param').barcode);
  if (!copy) throw notFound('Copy');
  const unchanged = conditionalGet(c, copy.version);
  if (unchanged) return unchanged;
  return c.json(queries.toCopy(copy), 200);
};

export const patchCopy: AppRouteHandler<typeof routes.patchCopy> = async (c) => {
  const copy = await queries.patchCopy(c.var.db, c.req.valid('param').id, c.req.valid('json'), clockNow(), c.var.user.id, ifMatch(c, copies.version));
  await invalidatePopularity(c);
  return c.json(withEtag(c, copy), 200);
};

export const deleteCopy: AppRouteHandler<typeof routes.deleteCopy> = async (c) => {
  const { id } = c.req.valid('param');
  await queries.deleteCopy(c.var.db, id, clockNow(), c.var.user.id, ifMatch(c, copies.version));
  await invalidatePopularity(c);
  return c.json({ message: `Copy ${id} has been deleted.` }, 200);
};
