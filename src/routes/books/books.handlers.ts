import type { Context } from 'hono';
import { clockNow } from '../../db/circulation-context';
import type { AppEnv } from '../../env';
import { eventContext } from '../../lib/events';
import { books } from '../../db/schema';
import { etag, ifMatch, conditionalGet } from '../../lib/conditional';
import { idempotent } from '../../lib/idempotency';
import { pageWindow, toPage } from '../../lib/paging';
import { notFound } from '../../lib/problem';
import type { AppRouteHandler } from '../../lib/types';
import { bookCount, bookPage, deleteBook as deleteBookRow, findBook, findBookByIsbn, insertBook, mostRead, toBook, updateBook } from './books.queries';
import type * as routes from './books.routes';
import type { BookChanges } from './books.schemas';
import { exportCsv } from './books.export';
import { importBooks as runImport, readUtf8 } from './books.import';
import { searchBooks as searchQueries } from './books.search';
import { invalidatePopularity, POPULARITY_MAX, readRanking, storeRanking } from './popularity.cache';

export const listBooks: AppRouteHandler<typeof routes.listBooks> = async (c) => {
  const query = c.req.valid('query');
  const db = c.var.db;
  const [rows, [count]] = await db.batch([bookPage(db, pageWindow(query)), bookCount(db)]);
  return c.json(toPage(c, rows.map(toBook), count?.value ?? 0, query), 200);
};

export const createBook: AppRouteHandler<typeof routes.createBook> = (c) =>
  idempotent(
    c,
    async (key) => {
      const clock = clockNow();
      const { version, ...row } = await insertBook(c.var.db, eventContext(c, clock), c.req.valid('json'), clock, c.var.user.id, key);
      await invalidatePopularity(c);
      c.header('Location', `/books/${row.id}`);
      c.header('ETag', etag(version));
      return c.json(toBook(row), 201);
    },
    (bookId) => [findBook(c.var.db, bookId)] as const,
    ([[found]]) => {
      if (!found) throw notFound('Book');
      const { version, ...row } = found;
      return { body: toBook(row), location: `/books/${row.id}`, etag: version };
    },
  );

export const searchBooks: AppRouteHandler<typeof routes.searchBooks> = async (c) => {
  const { page, per_page, ...criteria } = c.req.valid('query');
  const [rows, [count]] = await c.var.db.batch(searchQueries(c.var.db, criteria, pageWindow({ page, per_page })));
  return c.json(toPage(c, rows.map(toBook), count?.value ?? 0, { page, per_page }, criteria), 200);
};

export const popularBooks: AppRouteHandler<typeof routes.popularBooks> = async (c) => {
  const { limit } = c.req.valid('query');
  const cached = await readRanking(c);
  if (cached) {
    c.header('X-Cache', 'HIT');
    return c.json(cached.slice(0, limit), 200);
  }
  const ranking = (await mostRead(c.var.db, POPULARITY_MAX)).map(({ readers, ...book }) => ({ book: toBook(book), readers }));
  storeRanking(c, ranking);
  c.header('X-Cache', 'MISS');
  return c.json(ranking.slice(0, limit), 200);
};

export const getBook: AppRouteHandler<typeof routes.getBook> = async (c) => {
  const [found] = await findBook(c.var.db, c.req.valid('param').id);
  if (!found) throw notFound('Book');
  const { version, ...row } = found;
  return conditionalGet(c, version) ?? c.json(toBook(row), 200);
};

/** The same answer as GET /books/{id}, ETag included. */
export const getBookByIsbn: AppRouteHandler<typeof routes.getBookByIsbn> = async (c) => {
  const [found] = await findBookByIsbn(c.var.db, c.req.valid('param').isbn);
  if (!found) throw notFound('Book');
  const { version, ...row } = found;
  return conditionalGet(c, version) ?? c.json(toBook(row), 200);
};

/** PUT (every field) and PATCH (some) differ only in what validation demanded of the body. */
async function changeBook(c: Context<AppEnv>, id: number, changes: BookChanges) {
  const { version, ...row } = await updateBook(c.var.db, eventContext(c), id, changes, ifMatch(c, books.version));
  await invalidatePopularity(c);
  c.header('ETag', etag(version));
  return toBook(row);
}

export const replaceBook: AppRouteHandler<typeof routes.replaceBook> = async (c) =>
  c.json(await changeBook(c, c.req.valid('param').id, c.req.valid('json')), 200);

export const patchBook: AppRouteHandler<typeof routes.patchBook> = async (c) =>
  c.json(await changeBook(c, c.req.valid('param').id, c.req.valid('json')), 200);

export const deleteBook: AppRouteHandler<typeof routes.deleteBook> = async (c) => {
  const { id } = c.req.valid('param');
  const clock = clockNow();
  await deleteBookRow(c.var.db, eventContext(c, clock), id, clock, c.var.user.id, ifMatch(c, books.version));
  await invalidatePopularity(c);
  return c.json({ message: `Book ${id} has been deleted.` }, 200);
};

export const importBooks: AppRouteHandler<typeof routes.importBooks> = async (c) => {
  const mediaType = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
  const result = await runImport(c, await readUtf8(c), mediaType === 'application/x-ndjson' ? 'ndjson' : 'csv');
  if (result.created) await invalidatePopularity(c);
  return c.json(result, 200);
};

export const exportBooks: AppRouteHandler<typeof routes.exportBooks> = (c) => {
  const requestId = c.get('requestId');
  const stream = exportCsv(c.var.db, (err) =>
    console.error(JSON.stringify({ level: 'error', msg: 'export stream failed', id: requestId, error: err instanceof Error ? err.name : typeof err })),
  );
  return c.body(stream, 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': 'attachment; filename="books.csv"',
    'Cache-Control': 'no-store',
  });
};
