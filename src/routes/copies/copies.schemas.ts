import { z } from '@hono/zod-openapi';
import { COPY_STATUSES } from '../../db/schema';
import { barcodeParam, boundedText, idParam, newBarcode } from '../../lib/fields';
import { pageSchema } from '../../lib/paging';

export const copyStatusSchema = z.enum(COPY_STATUSES).openapi({
  description:
    '`available` (on the shelf), `on_loan` (out on a loan), `on_hold_shelf` (set aside for a ready hold), `lost` or `withdrawn`.',
});

export const copySchema = z
  .object({
    id: z.number().int(),
    book_id: z.number().int(),
    barcode: z.string().openapi({ description: 'Upper-case; unique ignoring case.' }),
    location: z.string().nullable(),
    status: copyStatusSchema,
  })
  .openapi('Copy', { example: { id: 42, book_id: 7, barcode: 'C00000042', location: 'Shelf B3', status: 'available' } });

const location = boundedText(100).nullable().openapi({ description: 'Where the copy is shelved; at most 100 characters, or null.', example: 'Shelf B3' });

export const copyCreateBody = z
  .strictObject({ barcode: newBarcode.optional(), location: location.optional() })
  .openapi('CopyCreate');

/** Statuses an admin may set: the others follow from circulation. */
export const SETTABLE_STATUSES = ['available', 'lost', 'withdrawn'] as const;

export const copyPatchBody = z
  .strictObject({
    location: location.optional(),
    status: z.enum(SETTABLE_STATUSES).optional().openapi({ description: '`available`, `lost` or `withdrawn`.' }),
  })
  .refine((body) => Object.keys(body).length > 0, 'Send at least one field to change.')
  .openapi('CopyPatch');
export type CopyPatch = z.output<typeof copyPatchBody>;

export const bookCopiesParams = z.object({ id: idParam('id') });
export const barcodeParams = z.object({ barcode: barcodeParam('barcode') });

export const copyPageSchema = pageSchema(copySchema, 'CopyPage');
