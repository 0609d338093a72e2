import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { nothingChanged, rawAll } from '../../db/raw';
import type { Blocker } from '../../lib/problem';

/**
 * Which copy a loan takes, decided inside the write's SQL (never read first and written later):
 * D1 serialises batches, so of two racing checkouts the second sees the first one's copy gone and
 * takes the next, or none (409).
 *
 * A `book_id` entry takes the copy set aside for the borrower's ready hold on the book, else the
 * available copy with the lowest id. A `barcode` entry takes that copy when it is available, or on
 * the hold shelf for this borrower. Several entries are resolved once per statement (materialised),
 * so the triggers that fire as rows go in cannot change what later rows chose.
 */
export interface LoanEntry {
  book_id?: number;
  /** Upper-cased already: barcodes are stored upper-case. */
  barcode?: string;
}

/**
 * `resolved(pos, want_book, want_barcode, book_id, copy_id)`: one row per entry; ids NULL when not
 * found / not free. Several entries are resolved once into a table (materialised: D1 bills the rows
 * it writes and reads back); a single one is inlined, as no trigger can run before its only row is
 * chosen. `when`: the entries are read only while it holds (a probe only a refusal needs).
 */
export const resolvedEntries = (entries: LoanEntry[], borrower: SQL, when?: SQL) => sql`entry AS (
    SELECT CAST(key AS INTEGER) AS pos, json_extract(value, '$.book_id') AS want_book,
      json_extract(value, '$.barcode') AS want_barcode
    FROM json_each(${when ? sql`CASE WHEN ${when} THEN ${JSON.stringify(entries)} ELSE '[]' END` : JSON.stringify(entries)})
  ), resolved AS ${sql.raw(entries.length > 1 ? 'MATERIALIZED' : 'NOT MATERIALIZED')} (
    SELECT e.pos, e.want_book, e.want_barcode,
      CASE WHEN e.want_book IS NOT NULL THEN (SELECT b.id FROM books b WHERE b.id = e.want_book) ELSE bc.book_id END AS book_id,
      CASE WHEN e.want_book IS NOT NULL THEN coalesce(
          -- The borrower's one open hold on the book, by (user, book): never their closed holds (the
          -- IN repeats the partial index's own condition, which SQLite needs to use it).
          (SELECT h.copy_id FROM holds h INDEXED BY holds_one_open_per_user_book
            WHERE h.user_id = ${borrower} AND h.book_id = e.want_book AND h.status IN ('waiting', 'ready') AND h.status = 'ready'),
          (SELECT c.id FROM copies c WHERE c.book_id = e.want_book AND c.status = 'available' ORDER BY c.id LIMIT 1))
        WHEN bc.status = 'available' OR (bc.status = 'on_hold_shelf' AND EXISTS (
          SELECT 1 FROM holds h WHERE h.copy_id = bc.id AND h.status = 'ready' AND h.user_id = ${borrower})) THEN bc.id
      END AS copy_id
    -- A barcode entry's copy is looked up once (a join), not once per column.
    FROM entry e LEFT JOIN copies bc ON bc.barcode = e.want_barcode)`;

/**
 * A copy of `bookId` out on a loan of `borrower` other than `exceptLoan` (0: any). Walked from the
 * book's active rows (at most its copies), never from the borrower's loans, however many they have.
 */
const borrowedElsewhere = (bookId: SQL, borrower: SQL, exceptLoan: number) => sql`EXISTS (
  SELECT 1 FROM loan_books lb WHERE lb.book_id = ${bookId} AND lb.active = 1 AND lb.loan_id <> ${exceptLoan}
    AND (SELECT l.user_id FROM loans l WHERE l.id = lb.loan_id) = ${borrower})`;

/**
 * True when every entry resolved to a free copy of a distinct book that the borrower has no copy
 * of out on any loan (the one being added to included): the condition of the write itself.
 */
export const allEntriesLendable = (count: number, borrower: SQL) => sql`(
  SELECT count(r.copy_id) = ${count} AND count(DISTINCT r.book_id) = ${count}
    AND coalesce(max(${borrowedElsewhere(sql`r.book_id`, borrower, 0)}), 0) = 0
  FROM resolved r)`;

export interface EntryDiagnosis {
  pos: number;
  want_book: number | null;
  want_barcode: string | null;
  book_id: number | null;
  copy_id: number | null;
  copy_status: string | null;
  lendable_copies: number;
  earlier_same_book: number;
  on_this_loan: number;
  on_other_loan: number;
}

/**
 * Why each entry could not be lent: a probe for the same batch, right after the write's last
 * statement. It reads nothing, not even the entries, when that statement changed rows (changes() > 0,
 * the write succeeded), so a successful checkout does not pay for its own diagnosis.
 */
export const diagnoseEntries = (db: Database, entries: LoanEntry[], borrower: SQL, loanId = 0, onlyAfterNoChange = true) =>
  rawAll<EntryDiagnosis>(db, sql`WITH ${resolvedEntries(entries, borrower, onlyAfterNoChange ? nothingChanged : undefined)}
    SELECT r.pos, r.want_book, r.want_barcode, r.book_id, r.copy_id,
      (SELECT c.status FROM copies c WHERE c.barcode = r.want_barcode) AS copy_status,
      (SELECT count(*) FROM copies c WHERE c.book_id = r.book_id AND c.status IN ('available', 'on_loan', 'on_hold_shelf'))
        AS lendable_copies,
      EXISTS (SELECT 1 FROM resolved o WHERE o.book_id = r.book_id AND o.pos < r.pos) AS earlier_same_book,
      EXISTS (SELECT 1 FROM loan_books lb WHERE lb.loan_id = ${loanId} AND lb.book_id = r.book_id AND lb.active = 1) AS on_this_loan,
      ${borrowedElsewhere(sql`r.book_id`, borrower, loanId)} AS on_other_loan
    FROM resolved r`);
// No ORDER BY above: an empty sort still reads a row, and a successful write's probe is empty.

/** The diagnoses in the order the entries were given. */
export const inEntryOrder = (diagnoses: EntryDiagnosis[]) => diagnoses.toSorted((a, b) => a.pos - b.pos);

/** The first entry naming a book or barcode that does not exist, as the 404's subject. */
export function missingEntry(diagnoses: EntryDiagnosis[]): string | undefined {
  const missing = inEntryOrder(diagnoses).find((d) => d.book_id === null);
  if (!missing) return undefined;
  return missing.want_book !== null ? `Book ${missing.want_book}` : `Copy with barcode ${missing.want_barcode}`;
}

/** Every item-level reason, one per entry at most (orderBlockers keeps the first per book). */
export function entryBlockers(diagnoses: EntryDiagnosis[]): Blocker[] {
  const blockers: Blocker[] = [];
  for (const d of inEntryOrder(diagnoses)) {
    if (d.book_id === null) continue;
    const book_id = d.book_id;
    if (d.earlier_same_book || d.on_this_loan) {
      blockers.push({ code: 'BOOK_ALREADY_ON_LOAN', detail: `A copy of book ${book_id} is already on this loan.`, book_id });
    } else if (d.on_other_loan) {
      blockers.push({ code: 'ALREADY_BORROWED', detail: `The borrower already has a copy of book ${book_id} out.`, book_id });
    } else if (d.want_book !== null && d.lendable_copies === 0) {
      blockers.push({ code: 'NO_LENDABLE_COPIES', detail: `Book ${book_id} has no copy that can be lent (none, or all lost or withdrawn).`, book_id });
    } else if (d.copy_id === null && d.want_book !== null) {
      blockers.push({ code: 'BOOK_UNAVAILABLE', detail: `No copy of book ${book_id} is free for this borrower.`, book_id });
    } else if (d.copy_id === null) {
      const why = d.copy_status === 'on_hold_shelf' ? 'on the hold shelf for someone else' : d.copy_status?.replaceAll('_', ' ');
      blockers.push({ code: 'COPY_UNAVAILABLE', detail: `Copy ${d.want_barcode} is ${why}.`, book_id });
    }
  }
  return blockers;
}
