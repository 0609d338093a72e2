import { z } from '@hono/zod-openapi';
import { createSchemaFactory } from 'drizzle-zod';
import { books } from '../../db/schema';
import { boundedText, calendarDate, queryInt } from '../../lib/fields';
import { isbnInput, isbnOutput } from '../../lib/isbn';
import { pageQuery, pageSchema } from '../../lib/paging';
import { POPULARITY_MAX } from './popularity.cache';

const { createInsertSchema, createSelectSchema } = createSchemaFactory({ zodInstance: z });

/** A book as the API shows it: the table's columns minus internal ones, plus `available`. */
export const bookSchema = createSelectSchema(books)
  .omit({ readers: true, title_key: true, version: true })
  .extend({
    isbn: isbnOutput,
    copies: z.number().int().openapi({ description: 'Copies of the book that are not withdrawn.' }),
    available_copies: z.number().int().openapi({ description: 'Copies on the shelf, free to borrow.' }),
    holds_waiting: z.number().int().openapi({ description: 'Holds waiting in the queue for this book.' }),
    available: z.boolean().openapi({ description: 'True while at least one copy is available (`available_copies` > 0).' }),
  })
  .openapi('Book', {
    example: {
      id: 7,
      title: 'The Left Hand of Darkness',
      genre: 'Science fiction',
      age_category: 'Adult',
      publish_date: '1969-03-01',
      author: 'Ursula K. Le Guin',
      isbn: '9780441478125',
      copies: 2,
      available_copies: 1,
      holds_waiting: 0,
      available: true,
    },
  });

/** Create and replace (PUT): every writable column, with the contract's bounds; nothing else. */
export const bookBody = createInsertSchema(books, {
  title: () => boundedText(200).openapi({ description: 'Unique, case-insensitively.', example: 'The Dispossessed' }),
  author: () => boundedText(200).openapi({ example: 'Ursula K. Le Guin' }),
  genre: () => boundedText(50).openapi({ example: 'Science fiction' }),
  age_category: () => boundedText(50).openapi({ example: 'Adult' }),
  publish_date: () => calendarDate.openapi({ example: '1974-05-01' }),
})
  .omit({ id: true, readers: true, title_key: true, isbn: true, version: true, copies: true, available_copies: true, holds_waiting: true })
  // Optional everywhere, PUT included: omitted leaves it as it is, null clears it.
  .extend({ isbn: isbnInput.nullable().optional().openapi({ description: 'Optional; unique. In PUT and PATCH an omitted isbn is left unchanged and null clears it.' }) })
  .strict()
  .openapi('BookInput');

export const MAX_COPIES_PER_BOOK_CREATE = 50;

/** Create: the fields of a book, plus how many copies to make (assigned barcodes). Not accepted by PUT/PATCH. */
export const bookCreateBody = bookBody
  .extend({
    copies: z
      .number({ error: `Must be an integer from 0 to ${MAX_COPIES_PER_BOOK_CREATE}.` })
      .int(`Must be an integer from 0 to ${MAX_COPIES_PER_BOOK_CREATE}.`)
      .min(0, `Must be an integer from 0 to ${MAX_COPIES_PER_BOOK_CREATE}.`)
      .max(MAX_COPIES_PER_BOOK_CREATE, `Must be an integer from 0 to ${MAX_COPIES_PER_BOOK_CREATE}.`)
      .optional()
      .openapi({ description: 'Copies to create with the book, each with an assigned barcode (default 1).', default: 1, example: 3 }),
  })
  .strict()
  .openapi('BookCreate');
export type BookCreateInput = z.output<typeof bookCreateBody>;
export type BookInput = z.output<typeof bookBody>;

/** PATCH: any of the fields, at least one (an empty patch is a client mistake, not a no-op). */
export const bookPatchBody = bookBody
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'Send at least one field to change.')
  .openapi('BookPatch');

export type BookChanges = z.output<typeof bookPatchBody>;

export const bookPageSchema = pageSchema(bookSchema, 'BookPage');

/** A search term: trimmed, bounded like the longest field; empty means "no criterion". */
const searchTerm = (name: string) =>
  boundedText(200, 0)
    .transform((value) => value || undefined)
    .optional()
    .openapi({
      param: { name, in: 'query' },
      type: 'string',
      maxLength: 200,
      description: `Case-insensitive substring of the book's ${name}; empty = no criterion.`,
    });

/** `?isbn=`: either form, matched exactly; empty = no criterion, malformed = 400. */
const isbnTerm = z
  .string()
  .optional()
  .transform((value) => value?.trim() || undefined)
  .pipe(isbnInput.optional())
  .openapi({ param: { name: 'isbn', in: 'query' }, type: 'string', description: 'ISBN-10 or ISBN-13, matched exactly; empty = no criterion.' });

export const searchQuery = pageQuery
  .extend({ title: searchTerm('title'), author: searchTerm('author'), genre: searchTerm('genre'), isbn: isbnTerm })
  .refine((q) => q.title !== undefined || q.author !== undefined || q.genre !== undefined || q.isbn !== undefined, {
    message: 'Give at least one of title, author, genre, isbn.',
  });
export type SearchCriteria = Pick<z.output<typeof searchQuery>, 'title' | 'author' | 'genre' | 'isbn'>;

export const isbnParams = z.object({
  isbn: isbnInput.openapi({ param: { name: 'isbn', in: 'path' }, example: '0-06-025492-0' }),
});

export const popularityQuery = z.object({ limit: queryInt('limit', POPULARITY_MAX, 5) });

export const popularBookSchema = z
  .object({ book: bookSchema, readers: z.number().int().openapi({ description: 'Loans, active or returned, that hold the book.' }) })
  .openapi('PopularBook');
export const popularitySchema = z.array(popularBookSchema).openapi('Popularity');
export type PopularBook = z.output<typeof popularBookSchema>;

export const importResultSchema = z
  .object({
    created: z.number().int().openapi({ description: 'Books added.' }),
    skipped: z.number().int().openapi({ description: 'Valid rows left out: the title or ISBN exists already, or appeared on an earlier row of the file.' }),
    failed: z
      .array(
        z.object({
          line: z.number().int().openapi({ description: 'The 1-based line where the row starts (the CSV header is line 1).' }),
          errors: z.record(z.string(), z.array(z.string())).openapi({ description: 'Field (or `row`) → messages, as POST /books reports them.' }),
        }),
      )
      .openapi({ description: 'Rows that were not valid, in file order.' }),
  })
  .openapi('ImportResult');
