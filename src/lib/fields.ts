import { z } from '@hono/zod-openapi';

/** Field rules shared by every resource (contract, "Conventions"). */

// Control characters, line/paragraph separators and bidirectional overrides (which can disguise text).
const NO_CONTROL_CHARS = /^[^\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]*$/u;

export const boundedText = (max: number, min = 1) =>
  z
    .string()
    .trim()
    .min(min, min === 1 ? 'Must not be empty.' : `Must be at least ${min} characters.`)
    .max(max, `Must be at most ${max} characters.`)
    .regex(NO_CONTROL_CHARS, 'Must not contain control characters.')
    // The generator would print the regex with its `/u` flag; JSON Schema wants the bare source.
    .openapi({ pattern: NO_CONTROL_CHARS.source });

export const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'Must be at most 254 characters.')
  .pipe(z.email('Must be a valid email address.'))
  .openapi({ example: 'ada@example.org' });

/** Not trimmed: spaces are part of a password. */
export const password = z
  .string()
  .min(8, 'Must be at least 8 characters.')
  .max(128, 'Must be at most 128 characters.')
  .openapi({ format: 'password', example: 'correct horse battery' });

/** A real calendar date as YYYY-MM-DD (2023-02-29 is rejected). */
export const calendarDate = z.iso.date('Must be a real date as YYYY-MM-DD.').openapi({ example: '1990-04-01' });

export const today = () => new Date().toISOString().slice(0, 10);

/** The one spelling of a positive integer in paths, query strings and token subjects: no sign, no leading zero. */
const POSITIVE_INTEGER = /^[1-9]\d{0,15}$/;
export const parsePositiveInteger = (text: string): number | undefined =>
  POSITIVE_INTEGER.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined;

/** A positive integer written as text, e.g. "7", with `max` as its upper bound. */
const positiveIntegerText = (message: string, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(POSITIVE_INTEGER, message)
    .transform(Number)
    .pipe(z.number().max(max, max === Number.MAX_SAFE_INTEGER ? message : `Must be at most ${max}.`));

export const idParam = (name: string) =>
  positiveIntegerText('Must be a positive integer.').openapi({ param: { name, in: 'path' }, type: 'integer', minimum: 1, example: 7 });

export const idParams = z.object({ id: idParam('id') });

/** An optional positive integer in a query string, bounded by `max`; anything else is a 400, never a fallback. */
export const queryInt = (name: string, max: number, fallback: number) =>
  positiveIntegerText(`Must be an integer from 1 to ${max}.`, max)
    .optional()
    .transform((value) => value ?? fallback)
    .openapi({ param: { name, in: 'query' }, type: 'integer', minimum: 1, maximum: max, default: fallback });

/** An optional id filter in a query string (e.g. `user_id`). */
export const queryId = (name: string, description: string) =>
  positiveIntegerText('Must be a positive integer.').optional().openapi({ param: { name, in: 'query' }, type: 'integer', minimum: 1, description });

export const messageSchema = z.object({ message: z.string() }).openapi('Message');

/** A copy's barcode as clients write it: 1–32 of [A-Za-z0-9-], compared and stored upper-case. */
const BARCODE = /^[A-Za-z0-9-]{1,32}$/;
export const barcode = z
  .string()
  .trim()
  .regex(BARCODE, 'Must be 1–32 characters of A–Z, a–z, 0–9 and -.')
  .transform((value) => value.toUpperCase())
  .openapi({ type: 'string', pattern: BARCODE.source, example: 'LIB-0042' });

/** The form the service assigns (`C` + 8 digits): a client may look it up but never choose it. */
export const ASSIGNED_BARCODE = /^C\d{8}$/;
export const assignedBarcodeFor = (copyId: number) => `C${String(copyId).padStart(8, '0')}`;

export const newBarcode = barcode
  .refine((value) => !ASSIGNED_BARCODE.test(value), 'C followed by 8 digits is reserved for barcodes the service assigns.')
  .openapi({ description: 'Unique ignoring case, stored upper-case. Omit it to have `C` + the copy id on 8 digits assigned.' });

export const barcodeParam = (name: string) => barcode.openapi({ param: { name, in: 'path' }, example: 'C00000042' });
