import { createRoute } from '@hono/zod-openapi';
import { idParams, messageSchema } from '../../lib/fields';
import { AUTH_PROBLEMS, BODY_PROBLEMS, bearer, json, jsonBody, noBody, pagedJson, problems } from '../../lib/openapi';
import { etagResponseHeader, ifMatchHeader, ifNoneMatchHeader, notModifiedResponse } from '../../lib/conditional';
import { idempotencyKeyHeader, replayedResponseHeader } from '../../lib/idempotency';
import { pageQuery } from '../../lib/paging';
import { requireUser } from '../../middleware/auth';
import { barcodeParams, bookCopiesParams, copyCreateBody, copyPageSchema, copyPatchBody, copySchema } from './copies.schemas';

const tags = ['Copies'];
const admin = requireUser('admin');
const ETAG = etagResponseHeader;

export const createCopy = createRoute({
  method: 'post',
  path: '/books/{id}/copies',
  tags,
  summary: 'Add a copy of a book (admin)',
  description:
    'A new physical item of the book. `barcode` (1–32 of A–Z, a–z, 0–9, -) is stored upper-case and unique ignoring ' +
    'case; omitted, the service assigns `C` + the copy id on 8 digits, a form clients may not choose (400). A new ' +
    'copy goes at once to the first waiting hold on the book (status `on_hold_shelf`), else to the shelf.',
  security: bearer,
  middleware: [admin] as const,
  request: { params: bookCopiesParams, body: jsonBody(copyCreateBody), headers: idempotencyKeyHeader },
  responses: {
    201: {
      ...json(copySchema, 'The new copy; `Location` names it'),
      headers: { Location: { schema: { type: 'string' } }, ...ETAG, ...replayedResponseHeader },
    },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 422], 'BARCODE_TAKEN'),
  },
});

export const listBookCopies = createRoute({
  method: 'get',
  path: '/books/{id}/copies',
  tags,
  summary: 'List the copies of a book',
  description: 'Every copy of the book (withdrawn ones included), by id. Anyone may read it.',
  request: { params: bookCopiesParams, query: pageQuery },
  responses: { 200: pagedJson(copyPageSchema, 'A page of copies, by id'), ...problems([400, 404]) },
});

export const getCopy = createRoute({
  method: 'get',
  path: '/copies/{id}',
  tags,
  summary: 'Read a copy',
  request: { params: idParams, headers: ifNoneMatchHeader },
  responses: { 200: { ...json(copySchema, 'The copy'), headers: ETAG }, ...notModifiedResponse, ...problems([400, 404]) },
});

export const getCopyByBarcode = createRoute({
  method: 'get',
  path: '/copies/by-barcode/{barcode}',
  tags,
  summary: 'Find a copy by barcode',
  description: 'The barcode’s case is ignored. A malformed barcode is 400.',
  request: { params: barcodeParams, headers: ifNoneMatchHeader },
  responses: { 200: { ...json(copySchema, 'The copy'), headers: ETAG }, ...notModifiedResponse, ...problems([400, 404]) },
});

export const patchCopy = createRoute({
  method: 'patch',
  path: '/copies/{id}',
  tags,
  summary: 'Change a copy’s location or status (admin)',
  description:
    '`location` may always change. `status` is refused (409 COPY_ON_LOAN) for a copy on the hold shelf, and ' +
    '`available`/`withdrawn` for a copy that is out. `lost` for a copy that is out checks it in on its loan (the ' +
    'loan ends if that was its last copy out) and leaves it `lost`. A copy set back to `available` goes to the ' +
    'first waiting hold on its book, else to the shelf.',
  security: bearer,
  middleware: [admin] as const,
  request: { params: idParams, body: jsonBody(copyPatchBody), headers: ifMatchHeader },
  responses: {
    200: { ...json(copySchema, 'The copy as it is now'), headers: ETAG },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 412], 'COPY_ON_LOAN'),
  },
});

export const deleteCopy = createRoute({
  method: 'delete',
  path: '/copies/{id}',
  tags,
  summary: 'Delete a copy (admin)',
  description:
    'Refused (409 COPY_ON_LOAN) while the copy is out or on the hold shelf. The copy’s rows on returned loans go with ' +
    'it; to keep a copy’s history, set it `withdrawn` instead.',
  security: bearer,
  middleware: [admin] as const,
  request: { params: idParams, body: noBody, headers: ifMatchHeader },
  responses: { 200: json(messageSchema, 'Deleted'), ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 403, 404, 409, 412], 'COPY_ON_LOAN') },
});
