import { z } from '@hono/zod-openapi';

/** Field rules shared by every resource (contract, "Conventions"). */

const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;

export const boundedText = (max: number, min = 1) =>
  z
    .string()
    .trim()
    .min(min, min === 1 ? 'Must not be empty.' : `Must be at least ${min} characters.`)
    .max(max, `Must be at most ${max} characters.`)
    .regex(NO_CONTROL_CHARS, 'Must not contain control characters.');

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

const POSITIVE_ID = /^[1-9]\d{0,15}$/;
export const idParam = (name: string) =>
  z
    .string()
    .regex(POSITIVE_ID, 'Must be a positive integer.')
    .transform(Number)
    .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER, 'Must be a positive integer.'))
    .openapi({ param: { name, in: 'path' }, type: 'integer', minimum: 1, example: 7 });

export const idParams = z.object({ id: idParam('id') });

/** A positive integer in a query string ("3"), bounded; anything else is a 400, never a fallback. */
export const queryInt = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `Must be an integer from ${min} to ${max}.`)
    .transform(Number)
    .pipe(z.number().min(min, `Must be at least ${min}.`).max(max, `Must be at most ${max}.`))
    .optional()
    .transform((value) => value ?? fallback)
    .openapi({ param: { name, in: 'query' }, type: 'integer', minimum: min, maximum: max, default: fallback });

export const messageSchema = z.object({ message: z.string() }).openapi('Message');
