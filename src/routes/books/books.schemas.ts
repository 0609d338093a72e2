import { z } from '@hono/zod-openapi';
import { createSchemaFactory } from 'drizzle-zod';
import { books } from '../../db/schema';

const { createSelectSchema } = createSchemaFactory({ zodInstance: z });

/** A book as the API shows it: the table's columns minus derived counters, plus `available`. */
export const bookSchema = createSelectSchema(books)
  .omit({ readers: true, on_loan: true })
  .extend({ available: z.boolean().openapi({ description: 'False while the book is on an active loan.' }) })
  .openapi('Book', {
    example: {
      id: 7,
      title: 'The Left Hand of Darkness',
      genre: 'Science fiction',
      age_category: 'Adult',
      publish_date: '1969-03-01',
      author: 'Ursula K. Le Guin',
      available: true,
    },
  });
