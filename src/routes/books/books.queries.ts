import { books } from '../../db/schema';

/** The columns a Book needs; `on_loan` is kept by triggers, so `available` costs no extra read. */
export const bookColumns = {
  id: books.id,
  title: books.title,
  genre: books.genre,
  age_category: books.age_category,
  publish_date: books.publish_date,
  author: books.author,
  on_loan: books.on_loan,
};

export type BookRecord = { [K in keyof typeof bookColumns]: (typeof bookColumns)[K]['_']['data'] };
export type Book = Omit<BookRecord, 'on_loan'> & { available: boolean };

export const toBook = ({ on_loan, ...book }: BookRecord): Book => ({ ...book, available: !on_loan });
