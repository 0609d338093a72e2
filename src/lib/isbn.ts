import { z } from '@hono/zod-openapi';

/**
 * ISBNs as the catalogue keeps them: ISBN-13, 13 digits, no separators. Input may be an ISBN-10
 * or an ISBN-13, with hyphens or spaces between the characters; the check digit must be right.
 */

/** Longest input accepted: 13 characters plus generous room for separators. */
export const ISBN_INPUT_MAX = 32;

const checkDigit13 = (first12: string) => {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return String((10 - (sum % 10)) % 10);
};

const validIsbn10 = (isbn: string) => {
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += (isbn[i] === 'X' ? 10 : Number(isbn[i])) * (10 - i);
  return sum % 11 === 0;
};

/** The ISBN-13 for `input`, or an error message saying what is wrong with it. */
export function toIsbn13(input: string): { isbn: string } | { error: string } {
  const text = input.trim();
  if (text.length > ISBN_INPUT_MAX) return { error: `Must be at most ${ISBN_INPUT_MAX} characters.` };
  // Separators only between characters, never two in a row.
  if (!/^[0-9Xx]+(?:[- ][0-9Xx]+)*$/.test(text)) return { error: 'Must be an ISBN: digits, with hyphens or spaces between them.' };
  const compact = text.replace(/[- ]/g, '').toUpperCase();
  if (/^\d{9}[\dX]$/.test(compact)) {
    if (!validIsbn10(compact)) return { error: 'The ISBN-10 check digit is wrong.' };
    const first12 = `978${compact.slice(0, 9)}`;
    return { isbn: first12 + checkDigit13(first12) };
  }
  if (/^\d{13}$/.test(compact)) {
    if (!/^97[89]/.test(compact)) return { error: 'An ISBN-13 starts with 978 or 979.' };
    if (checkDigit13(compact.slice(0, 12)) !== compact[12]) return { error: 'The ISBN-13 check digit is wrong.' };
    return { isbn: compact };
  }
  return { error: 'Must be an ISBN-10 or ISBN-13 (10 or 13 characters besides hyphens and spaces).' };
}

const DESCRIPTION =
  'ISBN-13 or ISBN-10, hyphens or spaces allowed between characters; the check digit is verified. ' +
  'Stored and shown as ISBN-13 (13 digits).';

/** An ISBN in a request (body, query or path), parsed to its ISBN-13. */
export const isbnInput = z
  .string()
  .transform((value, ctx) => {
    const result = toIsbn13(value);
    if ('error' in result) {
      ctx.addIssue({ code: 'custom', message: result.error });
      return z.NEVER;
    }
    return result.isbn;
  })
  .openapi({ type: 'string', maxLength: ISBN_INPUT_MAX, description: DESCRIPTION, example: '978-0-06-025492-6' });

/** An ISBN as the API shows it. */
export const isbnOutput = z
  .string()
  .regex(/^97[89]\d{10}$/)
  .nullable()
  .openapi({ description: 'ISBN-13 (13 digits), or null when the book has none.', example: '9780060254926' });
