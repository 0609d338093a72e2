import { asc, gt } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { books } from '../../db/schema';
import { csvRow } from '../../lib/csv';
import { IMPORT_COLUMNS } from './books.import';

/** Books per read while exporting: each page is one indexed range read by id. */
export const EXPORT_PAGE_SIZE = 500;

const exportPage = (db: Database, afterId: number) =>
  db
    .select({ id: books.id, title: books.title, author: books.author, genre: books.genre, age_category: books.age_category, publish_date: books.publish_date, isbn: books.isbn, copies: books.copies })
    .from(books)
    .where(gt(books.id, afterId))
    .orderBy(asc(books.id))
    .limit(EXPORT_PAGE_SIZE);

/**
 * The catalogue as CSV with the import's columns, read one keyset page (by id) at a time as the
 * client consumes the stream: memory holds one page, whatever the catalogue's size. Not a snapshot:
 * a book added while the export runs appears if its id is past the pages already sent.
 */
export function exportCsv(db: Database, onError: (err: unknown) => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let afterId = 0;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(csvRow([...IMPORT_COLUMNS])));
      },
      async pull(controller) {
        try {
          const rows = await exportPage(db, afterId);
          if (rows.length === 0) return controller.close();
          afterId = rows[rows.length - 1]!.id;
          controller.enqueue(encoder.encode(rows.map((book) => csvRow(IMPORT_COLUMNS.map((column) => (column === 'copies' ? String(book.copies) : book[column])))).join('')));
          if (rows.length < EXPORT_PAGE_SIZE) controller.close();
        } catch (err) {
          // The status line is gone already: cut the stream short, so the client sees a failed download.
          onError(err);
          controller.error(new Error('export failed'));
        }
      },
    },
    { highWaterMark: 0 },
  );
}
