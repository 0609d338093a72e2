import { createRoute, z } from '@hono/zod-openapi';
import { idParams, messageSchema } from '../../lib/fields';
import { AUTH_PROBLEMS, BODY_PROBLEMS, bearer, json, jsonBody, problems, noBody, pagedJson } from '../../lib/openapi';
import { etagResponseHeader, ifMatchHeader, ifNoneMatchHeader, notModifiedResponse } from '../../lib/conditional';
import { idempotencyKeyHeader, replayedResponseHeader } from '../../lib/idempotency';
import { pageQuery } from '../../lib/paging';
import { IMPORT_MAX_BYTES } from '../../middleware/body-guard';
import { requireUser } from '../../middleware/auth';
import { IMPORT_CHUNK_ROWS, MAX_IMPORT_ROWS } from './books.import';
import { bookBody, bookCreateBody, bookPageSchema, bookPatchBody, bookSchema, importResultSchema, isbnParams, popularityQuery, popularitySchema, searchQuery } from './books.schemas';

const tags = ['Books'];
const admin = requireUser('admin');

export const listBooks = createRoute({
  method: 'get',
  path: '/books',
  tags,
  summary: 'List books',
  description:
    'The catalogue by id, one page at a time. Anyone may read it. Each book carries its counts (`copies`, ' +
    '`available_copies`, `holds_waiting`), kept current by the database, so a page reads about `per_page` rows.',
  request: { query: pageQuery },
  responses: { 200: pagedJson(bookPageSchema, 'A page of books, by id'), ...problems([400]) },
});

export const createBook = createRoute({
  method: 'post',
  path: '/books',
  tags,
  summary: 'Add a book (admin)',
  description:
    'Creates the book and `copies` copies of it (0–50, default 1) with assigned barcodes (`C` + the copy id on 8 ' +
    'digits), in one atomic write. `copies` is accepted here only, not by PUT or PATCH.',
  security: bearer,
  middleware: [admin] as const,
  request: { body: jsonBody(bookCreateBody), headers: idempotencyKeyHeader },
  responses: {
    201: {
      ...json(bookSchema, 'The new book; `Location` names it'),
      headers: { Location: { schema: { type: 'string' } }, ...etagResponseHeader, ...replayedResponseHeader },
    },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 409, 422], 'TITLE_TAKEN, ISBN_TAKEN'),
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
    'all shorter scans the catalogue, and folds ASCII case only. `isbn` (ISBN-10 or ISBN-13) matches exactly; ' +
    'a malformed one is 400.',
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

export const getBookByIsbn = createRoute({
  method: 'get',
  path: '/books/by-isbn/{isbn}',
  tags,
  summary: 'Find a book by ISBN',
  description:
    'Either form: ISBN-10 or ISBN-13, hyphens or spaces allowed. A malformed ISBN (or a wrong check digit) is 400. ' +
    'The answer is that of GET /books/{id}, ETag and If-None-Match included.',
  request: { params: isbnParams, headers: ifNoneMatchHeader },
  responses: {
    200: { ...json(bookSchema, 'The book'), headers: etagResponseHeader },
    ...notModifiedResponse,
    ...problems([400, 404]),
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
  description: 'Every field is required except `isbn`, which is left unchanged when omitted (null clears it); use PATCH to change some.',
  security: bearer,
  middleware: [admin] as const,
  request: { params: idParams, body: jsonBody(bookBody), headers: ifMatchHeader },
  responses: {
    200: { ...json(bookSchema, 'The updated book'), headers: etagResponseHeader },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 412], 'TITLE_TAKEN, ISBN_TAKEN'),
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
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 412], 'TITLE_TAKEN, ISBN_TAKEN'),
  },
});

export const deleteBook = createRoute({
  method: 'delete',
  path: '/books/{id}',
  tags,
  summary: 'Delete a book (admin)',
  description:
    'Refused (409 BOOK_ON_ACTIVE_LOAN) while a copy of the book is out on a loan or on the hold shelf. Otherwise ' +
    'its copies go with it, returned loans lose it and its waiting holds are cancelled.',
  security: bearer,
  middleware: [admin] as const,
  request: { body: noBody, params: idParams, headers: ifMatchHeader },
  responses: {
    200: json(messageSchema, 'Deleted'),
    ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 403, 404, 409, 412], 'BOOK_ON_ACTIVE_LOAN'),
  },
});

const csvExample = 'title,author,genre,age_category,publish_date,isbn\r\n"Where the Wild Things Are",Maurice Sendak,Picture book,Children,1963-04-09,0-06-025492-0\r\n';

export const importBooks = createRoute({
  method: 'post',
  path: '/books/import',
  tags,
  summary: 'Import books from a file (admin)',
  description:
    `A CSV file (\`text/csv\`, RFC 4180, UTF-8, a BOM allowed) whose first line is the header row naming the columns ` +
    '`title`, `author`, `genre`, `age_category`, `publish_date` (required) and `isbn` (optional) in any order; an unknown, ' +
    'repeated or missing column is 400. Or NDJSON (`application/x-ndjson`): one book object per line, as for POST /books. ' +
    `At most ${IMPORT_MAX_BYTES / 1024 / 1024} MiB and ${MAX_IMPORT_ROWS} rows (413). Blank lines are ignored; an empty isbn cell ` +
    'means none. Each row is validated like POST /books; a row whose title (ignoring case) or ISBN exists already, or appeared ' +
    'on an earlier row, is skipped. The answer lists the failed rows by the line they start on. Rows are committed in chunks ' +
    `of ${IMPORT_CHUNK_ROWS}, not all at once, so a file interrupted half-way may be sent again: nothing is created twice. ` +
    'A cell starting with an apostrophe followed by =, +, -, @ or another apostrophe loses the apostrophe (the export\'s ' +
    'spreadsheet-formula guard). `Idempotency-Key` is not used here: re-sending is already safe.',
  security: bearer,
  middleware: [admin] as const,
  request: {
    body: {
      required: true,
      content: {
        'text/csv': { schema: z.string().openapi({ description: 'RFC 4180 CSV with a header row.', example: csvExample }) },
        'application/x-ndjson': {
          schema: z.string().openapi({
            description: 'One JSON object per line, each a BookInput.',
            example: '{"title":"Dune","author":"Frank Herbert","genre":"Science fiction","age_category":"Adult","publish_date":"1965-08-01"}\n',
          }),
        },
      },
    },
  },
  responses: {
    200: json(importResultSchema, 'What the import did, row by row'),
    ...problems([...AUTH_PROBLEMS, 400, 403, 413, 415]),
  },
});

export const exportBooks = createRoute({
  method: 'get',
  path: '/books/export',
  tags,
  summary: 'Export the catalogue as CSV (admin)',
  description:
    'Every book, by id, as CSV with the import\'s columns (`title,author,genre,age_category,publish_date,isbn`), so the ' +
    'file imports back unchanged. Streamed page by page, not a point-in-time snapshot. A cell that a spreadsheet would ' +
    'run as a formula (starting with =, +, -, @) or that starts with an apostrophe is written with a leading apostrophe; ' +
    'import removes it again.',
  security: bearer,
  middleware: [admin] as const,
  responses: {
    200: {
      description: 'The catalogue as CSV (RFC 4180, UTF-8, CRLF line ends, a header row)',
      content: { 'text/csv': { schema: z.string().openapi({ example: csvExample }) } },
      headers: { 'Content-Disposition': { schema: { type: 'string' }, description: 'attachment; filename="books.csv"' } },
    },
    ...problems([...AUTH_PROBLEMS, 403]),
  },
});
