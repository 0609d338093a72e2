import { z } from '@hono/zod-openapi';

/** Field rules shared by every resource (contract, "Conventions"). */

/*
 * The text rule, one for every text field (bodies and query strings alike):
 * - well-formed UTF-16 only: a lone surrogate cannot be stored or hashed faithfully (D1 and
 *   TextEncoder turn each into U+FFFD, so "\ud800" and "\ud801" would become the same text);
 * - no control characters (Cc), line/paragraph separators (Zl, Zp) nor format characters (Cf:
 *   zero-width spaces and joiners, soft hyphen, BOM, bidirectional overrides), which make
 *   invisible differences between look-alike texts or disguise them. With the `u` flag a lone
 *   surrogate is a code point of category Cs, so the pattern as published excludes those too.
 */
const VISIBLE_TEXT = /^[^\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]*$/u;
const ILL_FORMED = 'Must be well-formed Unicode text (no lone surrogates).';
const INVISIBLE = 'Must not contain control or invisible format characters.';

const wellFormed = (value: string) => value.isWellFormed();

/** A string obeying the text rule; `trim` for everything but passwords. */
const text = (trim: boolean) => {
  const base = trim ? z.string().trim() : z.string();
  // abort: an ill-formed string gets one message, not also the pattern's.
  return base.refine(wellFormed, { message: ILL_FORMED, abort: true });
};

export const boundedText = (max: number, min = 1) =>
  text(true)
    .min(min, min === 1 ? 'Must not be empty.' : `Must be at least ${min} characters.`)
    .max(max, `Must be at most ${max} characters.`)
    .regex(VISIBLE_TEXT, INVISIBLE)
    // The generator would print the regex with its `/u` flag; JSON Schema wants the bare source.
    .openapi({ pattern: VISIBLE_TEXT.source });

/**
 * RFC 5321 §4.5.3.1 (local part ≤ 64 octets, address ≤ 254) and RFC 1035 §2.3.1 (labels of 1–63
 * letters, digits and hyphens, neither starting nor ending with a hyphen), on top of zod's syntax.
 */
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const withinEmailLimits = (address: string) => {
  const at = address.lastIndexOf('@');
  return new TextEncoder().encode(address.slice(0, at)).byteLength <= 64 && address.slice(at + 1).split('.').every((label) => DOMAIN_LABEL.test(label));
};

/** An address as registered or changed: the text rule, zod's syntax, then the RFC limits. */
export const email = text(true)
  .toLowerCase()
  .max(254, 'Must be at most 254 characters.')
  .pipe(z.email('Must be a valid email address.').refine(withinEmailLimits, 'Must be a valid email address (local part ≤ 64 octets, domain labels of 1–63 characters, not starting or ending with "-").'))
  .openapi({ example: 'ada@example.org' });

/**
 * The address given at login: the older, looser syntax, so accounts registered before the RFC
 * limits can still sign in. An address that breaks them just matches no account (401).
 */
export const loginEmail = text(true)
  .toLowerCase()
  .max(254, 'Must be at most 254 characters.')
  .pipe(z.email('Must be a valid email address.'))
  .openapi({ example: 'ada@example.org' });

/**
 * Not trimmed: spaces are part of a password. Lone surrogates are refused (see the text rule:
 * two different ones would hash alike); other characters are allowed, format characters included,
 * as a password is never shown and accounts may already use them.
 */
export const password = text(false)
  .min(8, 'Must be at least 8 characters.')
  .max(128, 'Must be at most 128 characters.')
  .openapi({ format: 'password', example: 'correct horse battery' });

/** The password given at login: any length up to the bound (older accounts), same text rule. */
export const loginPassword = text(false).min(1, 'Required.').max(128, 'Must be at most 128 characters.');

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
export const barcode = text(true)
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
