import { createRoute } from '@hono/zod-openapi';
import { idParams, messageSchema } from '../../lib/fields';
import { AUTH_PROBLEMS, BODY_PROBLEMS, bearer, json, jsonBody, problems, noBody, pagedJson } from '../../lib/openapi';
import { etagResponseHeader, ifMatchHeader, ifNoneMatchHeader, notModifiedResponse } from '../../lib/conditional';
import { idempotencyKeyHeader, replayedResponseHeader } from '../../lib/idempotency';
import { pageQuery } from '../../lib/paging';
import { requireUser } from '../../middleware/auth';
import { bookBody, bookPageSchema, bookPatchBody, bookSchema, popularityQuery, popularitySchema, searchQuery } from './books.schemas';

const tags = ['Books'];
const admin = requireUser('admin');

export const listBooks = createRoute({
  method: 'get',
  path: '/books',
  tags,
  summary: 'List books',
  description: 'The catalogue by id, one page at a time. Anyone may read it.',
  request: { query: pageQuery },
  responses: { 200: pagedJson(bookPageSchema, 'A page of books, by id'), ...problems([400]) },
});

export const createBook = createRoute({
  method: 'post',
  path: '/books',
  tags,
  summary: 'Add a book (admin)',
  security: bearer,
  middleware: [admin] as const,
  request: { body: jsonBody(bookBody), headers: idempotencyKeyHeader },
  responses: {
    201: {
      ...json(bookSchema, 'The new book; `Location` names it'),
      headers: { Location: { schema: { type: 'string' } }, ...etagResponseHeader, ...replayedResponseHeader },
    },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 409, 422], 'TITLE_TAKEN'),
  },
});

export const searchBooks = createRoute({
  method: 'get',
  path: '/books/search',
  tags,
  summary: 'Search books',
  description:
    'Books matching every given criterion (AND), each a case-insensitive substring of that field. An empty ' +
    'parameter is no criterion; no criterion at all is 400. `%`, `_`, quotes and full-text operators are plain ' +
    'text. Ordered by id. Terms of three or more characters use a trigram index; a search whose terms are ' +
    'all shorter scans the catalogue, and folds ASCII case only.',
  request: { query: searchQuery },
  responses: { 200: pagedJson(bookPageSchema, 'A page of matching books, by id'), ...problems([400]) },
});

export const popularBooks = createRoute({
  method: 'get',
  path: '/books/popularity',
  tags,
  summary: 'Most-read books',
  description:
    'Books with at least one reader (a loan, active or returned, that holds the book), most readers first, ' +
    'ties by id, at most `limit`. Served from Workers KV (`X-Cache: HIT`) and recomputed after any change to ' +
    'books or loans (`X-Cache: MISS`).',
  request: { query: popularityQuery },
  responses: {
    200: {
      ...json(popularitySchema, 'The ranking'),
      headers: { 'X-Cache': { schema: { type: 'string', enum: ['HIT', 'MISS'] }, description: 'Whether the cache answered.' } },
    },
    ...problems([400]),
  },
});

export const getBook = createRoute({
  method: 'get',
  path: '/books/{id}',
  tags,
  summary: 'Read a book',
  request: { params: idParams, headers: ifNoneMatchHeader },
  responses: {
    200: { ...json(bookSchema, 'The book'), headers: etagResponseHeader },
    ...notModifiedResponse,
    ...problems([400, 404]),
  },
});

export const replaceBook = createRoute({
  method: 'put',
  path: '/books/{id}',
  tags,
  summary: 'Replace a book (admin)',
  description: 'Every field is required; use PATCH to change some.',
  security: bearer,
  middleware: [admin] as const,
  request: { params: idParams, body: jsonBody(bookBody), headers: ifMatchHeader },
  responses: {
    200: { ...json(bookSchema, 'The updated book'), headers: etagResponseHeader },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 412], 'TITLE_TAKEN'),
  },
});

export const patchBook = createRoute({
  method: 'patch',
  path: '/books/{id}',
  tags,
  summary: 'Change some fields of a book (admin)',
  description: 'At least one field; the others keep their values.',
  security: bearer,
  middleware: [admin] as const,
  request: { params: idParams, body: jsonBody(bookPatchBody), headers: ifMatchHeader },
  responses: {
    200: { ...json(bookSchema, 'The updated book'), headers: etagResponseHeader },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 412], 'TITLE_TAKEN'),
  },
});

export const deleteBook = createRoute({
  method: 'delete',
  path: '/books/{id}',
  tags,
  summary: 'Delete a book (admin)',
  description: 'Refused (409 BOOK_ON_ACTIVE_LOAN) while the book is on an active loan. Returned loans lose the book.',
  security: bearer,
  middleware: [admin] as const,
  request: { body: noBody, params: idParams, headers: ifMatchHeader },
  responses: {
    200: json(messageSchema, 'Deleted'),
    ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 403, 404, 409, 412], 'BOOK_ON_ACTIVE_LOAN'),
  },
});
