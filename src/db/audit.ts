/**
 * The integrity audit: every piece of state the schema derives (trigger-kept counters, `readers`,
 * `on_loan`, the FTS index, …) checked against the rows it summarises. Each invariant is one
 * entry of INVARIANTS; its queries return the violating rows only (a few, for the report).
 *
 * Shared by `npm run audit` (local or remote D1 through wrangler), `npm run soak` (Miniflare's D1)
 * and the tests (the binding), so it only needs "run these SQL statements, give me their rows".
 * Statements carry no bound parameters (wrangler's --command has none): the only values spliced in
 * are integers computed here.
 *
 * Large tables are read in id ranges (keyset: `id > lo AND id <= hi`, PAGE ids at a time), so no
 * query scans or returns a whole big table at once and every statement stays far within D1's
 * per-query limits on a large catalogue; whole-table aggregates (count(*)) are single statements.
 *
 * No extension-less imports: scripts run this file on Node.
 */
import { titleKey } from '../lib/title-key.ts';

export type Row = Record<string, unknown>;

/** Runs statements (in one round trip where the target allows) and returns each one's rows. */
export type RunSql = (statements: string[]) => Promise<Row[][]>;

/** The tables and columns present, so entries for state a migration has not created yet are skipped. */
export interface Schema {
  has(table: string, column?: string): boolean;
}

export interface AuditContext {
  run: RunSql;
  schema: Schema;
  /** Ids per range when walking a table. */
  page: number;
  /** Violating rows kept per invariant (the report's sample). */
  sample: number;
  /** Statements sent per round trip. */
  perTrip: number;
}

export interface Invariant {
  name: string;
  /** What must hold, in words, for the report. */
  rule: string;
  /** Tables (or `table.column`) the invariant needs; skipped when any is missing. */
  needs: string[];
  /** Skipped when any of these is present (a rule a later schema replaced). */
  unless?: string[];
  check(ctx: AuditContext): Promise<Row[]>;
}

export interface Verdict {
  name: string;
  rule: string;
  status: 'ok' | 'violated' | 'skipped' | 'error';
  /** Up to `sample` violating rows. */
  violations: Row[];
  /** Set for `error` (the check itself failed) and `skipped` (what is missing). */
  note?: string;
}

// ---------------------------------------------------------------------------------------------
// Building blocks.

const int = (value: unknown): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`expected an integer, got ${String(value)}`);
  return n;
};

/** One statement returning violations (an aggregate over the whole table, or a bounded table). */
const single =
  (statement: (limit: number) => string) =>
  async (ctx: AuditContext): Promise<Row[]> => {
    const [rows = []] = await ctx.run([statement(ctx.sample)]);
    return rows;
  };

/**
 * Walks `table` by `id` ranges: `statement(lo, hi)` reads the rows with `lo < id <= hi`, `perTrip`
 * ranges per round trip, each trip's rows handed to `onRows`; stops when it returns false.
 */
async function walk(
  ctx: AuditContext,
  table: string,
  id: string,
  statement: (lo: number, hi: number) => string,
  onRows: (rows: Row[]) => boolean,
): Promise<void> {
  const [[bounds] = []] = await ctx.run([`SELECT coalesce(min(${id}), 0) AS lo, coalesce(max(${id}), 0) AS hi FROM ${table}`]);
  const last = int(bounds?.hi);
  for (let lo = int(bounds?.lo) - 1; lo < last; ) {
    const statements: string[] = [];
    for (let i = 0; i < ctx.perTrip && lo < last; i++, lo += ctx.page) statements.push(statement(lo, Math.min(lo + ctx.page, last)));
    if (!onRows((await ctx.run(statements)).flat())) return;
  }
}

/** Violations found by walking `table` in id ranges; stops once `sample` are found. */
const paged =
  (table: string, statement: (lo: number, hi: number, limit: number) => string, id = 'id') =>
  async (ctx: AuditContext): Promise<Row[]> => {
    const found: Row[] = [];
    await walk(ctx, table, id, (lo, hi) => statement(lo, hi, ctx.sample), (rows) => {
      found.push(...rows);
      return found.length < ctx.sample;
    });
    return found.slice(0, ctx.sample);
  };

// ---------------------------------------------------------------------------------------------
// The registry. Add one entry per derived piece of state (see README, "Integrity audit").

export const INVARIANTS: Invariant[] = [
  {
    name: 'counters.totals',
    rule: "counters 'users', 'books', 'loans' equal count(*) of their tables",
    needs: ['counters', 'users', 'books', 'loans'],
    check: single(
      (limit) => `SELECT name, value, actual FROM (
        SELECT 'users' AS name, (SELECT count(*) FROM users) AS actual
        UNION ALL SELECT 'books', (SELECT count(*) FROM books)
        UNION ALL SELECT 'loans', (SELECT count(*) FROM loans)
      ) AS t LEFT JOIN counters USING (name) WHERE value IS NOT actual LIMIT ${limit}`,
    ),
  },
  {
    name: 'counters.loans_per_user',
    rule: "counter 'loans:user:<id>' equals that user's loans (absent counts as 0)",
    needs: ['counters', 'users', 'loans'],
    check: paged(
      'users',
      (lo, hi, limit) => `SELECT u.id AS user_id, coalesce(c.value, 0) AS value, (SELECT count(*) FROM loans l WHERE l.user_id = u.id) AS actual
        FROM users u LEFT JOIN counters c ON c.name = 'loans:user:' || u.id
        WHERE u.id > ${lo} AND u.id <= ${hi} AND coalesce(c.value, 0) <> (SELECT count(*) FROM loans l WHERE l.user_id = u.id)
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'counters.deleted_users',
    rule: "a deleted user's 'loans:user:<id>' counter is 0",
    needs: ['counters', 'users'],
    // Bounded by the number of users ever registered; returns only the violations.
    check: single(
      (limit) => `SELECT c.name, c.value FROM counters c
        WHERE c.name LIKE 'loans:user:%' AND c.value <> 0
          AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = CAST(substr(c.name, 12) AS INTEGER))
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'users.items_out',
    rule: "users.items_out (migration 0011) equals the user's active loan rows (copies out)",
    needs: ['users.items_out', 'loan_books.active', 'loans'],
    check: paged(
      'users',
      (lo, hi, limit) => `SELECT u.id AS user_id, u.items_out, (SELECT count(*) FROM loans l JOIN loan_books lb ON lb.loan_id = l.id
          WHERE l.user_id = u.id AND lb.active = 1) AS actual
        FROM users u WHERE u.id > ${lo} AND u.id <= ${hi}
          AND u.items_out <> (SELECT count(*) FROM loans l JOIN loan_books lb ON lb.loan_id = l.id WHERE l.user_id = u.id AND lb.active = 1)
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'books.readers',
    rule: 'books.readers equals the number of loans that ever held the book',
    needs: ['books.readers', 'loan_books'],
    check: paged(
      'books',
      (lo, hi, limit) => `SELECT b.id AS book_id, b.readers, (SELECT count(DISTINCT lb.loan_id) FROM loan_books lb WHERE lb.book_id = b.id) AS actual
        FROM books b WHERE b.id > ${lo} AND b.id <= ${hi}
          AND b.readers <> (SELECT count(DISTINCT lb.loan_id) FROM loan_books lb WHERE lb.book_id = b.id)
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'books.on_loan',
    rule: 'books.on_loan (so `available`) is 1 exactly when an active loan_books row holds the book',
    needs: ['books.on_loan', 'loan_books'],
    check: paged(
      'books',
      (lo, hi, limit) => `SELECT b.id AS book_id, b.on_loan, EXISTS (SELECT 1 FROM loan_books lb WHERE lb.book_id = b.id AND lb.active = 1) AS actual
        FROM books b WHERE b.id > ${lo} AND b.id <= ${hi}
          AND b.on_loan IS NOT EXISTS (SELECT 1 FROM loan_books lb WHERE lb.book_id = b.id AND lb.active = 1)
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'loan_books.active',
    rule: "loan_books.active is 1 exactly for the rows of loans not returned",
    needs: ['loan_books.active', 'loans'],
    unless: ['loan_books.copy_id'],
    check: paged(
      'loans',
      (lo, hi, limit) => `SELECT lb.loan_id, lb.book_id, lb.active, l.return_date
        FROM loans l JOIN loan_books lb ON lb.loan_id = l.id
        WHERE l.id > ${lo} AND l.id <= ${hi} AND lb.active IS NOT (l.return_date IS NULL)
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'loans.one_active_per_book',
    rule: 'a book is on at most one open loan',
    needs: ['loan_books.active', 'loans'],
    unless: ['copies'],
    check: paged(
      'books',
      (lo, hi, limit) => `SELECT lb.book_id, count(*) AS open_loans FROM loan_books lb JOIN loans l ON l.id = lb.loan_id
        WHERE lb.book_id > ${lo} AND lb.book_id <= ${hi} AND l.return_date IS NULL
        GROUP BY lb.book_id HAVING count(*) > 1 LIMIT ${limit}`,
    ),
  },
  {
    name: 'books_fts.rows',
    rule: 'the search index has one document per book (no missing, no orphaned entries)',
    needs: ['books', 'books_fts_docsize'],
    check: single(
      (limit) => `SELECT 'count' AS what, (SELECT count(*) FROM books) AS books, (SELECT count(*) FROM books_fts_docsize) AS indexed
        WHERE (SELECT count(*) FROM books) <> (SELECT count(*) FROM books_fts_docsize) LIMIT ${limit}`,
    ),
  },
  {
    name: 'books_fts.orphans',
    rule: 'every search index document belongs to an existing book',
    needs: ['books', 'books_fts_docsize'],
    check: paged(
      'books_fts_docsize',
      (lo, hi, limit) => `SELECT d.id AS indexed_id FROM books_fts_docsize d
        WHERE d.id > ${lo} AND d.id <= ${hi} AND NOT EXISTS (SELECT 1 FROM books b WHERE b.id = d.id) LIMIT ${limit}`,
    ),
  },
  {
    name: 'books_fts.content',
    rule: "the search index finds each book by its current title, author and genre (fields of 3+ characters)",
    needs: ['books', 'books_fts'],
    check: paged('books', (lo, hi, limit) => {
      // A column-filtered phrase per field the trigram index can match (3+ characters).
      const phrase = (column: string) =>
        `CASE WHEN length(b.${column}) >= 3 THEN ' AND ${column} : "' || replace(b.${column}, '"', '""') || '"' ELSE '' END`;
      const query = `substr(${phrase('title')} || ${phrase('author')} || ${phrase('genre')}, 6)`;
      return `SELECT b.id AS book_id FROM books b
        WHERE b.id > ${lo} AND b.id <= ${hi} AND ${query} <> ''
          AND NOT EXISTS (SELECT 1 FROM books_fts WHERE books_fts MATCH ${query} AND books_fts.rowid = b.id)
        LIMIT ${limit}`;
    }),
  },
  {
    name: 'books.title_key',
    rule: 'title_key is the folded title (or lower(title) for rows inserted by raw SQL) and no two titles fold alike',
    needs: ['books.title_key'],
    // Folding is Unicode-aware (src/lib/title-key.ts), which SQLite cannot do: pages of titles are
    // folded here, and the folds of all pages are compared for duplicates.
    async check(ctx) {
      const seen = new Map<string, number>();
      const found: Row[] = [];
      await walk(ctx, 'books', 'id', (lo, hi) => `SELECT id, title, title_key FROM books WHERE id > ${lo} AND id <= ${hi}`, (rows) => {
        for (const row of rows) {
          const title = String(row.title);
          const folded = titleKey(title);
          if (row.title_key !== folded && row.title_key !== title.toLowerCase()) found.push({ book_id: row.id, problem: 'title_key does not match the title' });
          const twin = seen.get(folded);
          if (twin !== undefined) found.push({ book_id: row.id, problem: `title folds like book ${twin}'s` });
          else seen.set(folded, int(row.id));
        }
        return found.length < ctx.sample;
      });
      return found.slice(0, ctx.sample);
    },
  },
  {
    name: 'counters.stats',
    rule: "counters 'open_loans' and 'balance_total_cents' (migration 0008) equal the open loans and the sum of balances",
    needs: ['counters', 'loans', 'account_balances.balance_cents'],
    // Before migration 0008 the counter rows do not exist, and nothing is compared.
    check: single(
      (limit) => `SELECT name, value, actual FROM (
        SELECT 'open_loans' AS name, (SELECT count(*) FROM loans WHERE return_date IS NULL) AS actual
        UNION ALL SELECT 'balance_total_cents', (SELECT coalesce(sum(balance_cents), 0) FROM account_balances)
      ) AS t JOIN counters USING (name) WHERE value IS NOT actual LIMIT ${limit}`,
    ),
  },
  // Copies, holds and notices (migration 0006): a loan row lends one copy; holds queue per book.
  {
    name: 'loans.copies_returned_with_loan',
    rule: 'a loan is open exactly while one of its copies is still out (active rows), and a row is active exactly while its return_date is empty',
    needs: ['loan_books.copy_id', 'loan_books.return_date', 'loans'],
    check: paged(
      'loans',
      (lo, hi, limit) => `SELECT l.id AS loan_id, l.return_date,
          (SELECT count(*) FROM loan_books lb WHERE lb.loan_id = l.id AND lb.active = 1) AS active_rows,
          (SELECT count(*) FROM loan_books lb WHERE lb.loan_id = l.id AND (lb.active = 1) = (lb.return_date IS NOT NULL)) AS rows_with_wrong_return_date
        FROM loans l WHERE l.id > ${lo} AND l.id <= ${hi}
          AND EXISTS (SELECT 1 FROM loan_books lb WHERE lb.loan_id = l.id)
          AND ((l.return_date IS NULL) <> EXISTS (SELECT 1 FROM loan_books lb WHERE lb.loan_id = l.id AND lb.active = 1)
            OR EXISTS (SELECT 1 FROM loan_books lb WHERE lb.loan_id = l.id AND (lb.active = 1) = (lb.return_date IS NOT NULL)))
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'copies.on_loan',
    rule: "a copy's status is 'on_loan' exactly when one active loan row lends it, and that row names the copy's book",
    needs: ['copies.status', 'loan_books.copy_id'],
    check: paged(
      'copies',
      (lo, hi, limit) => `SELECT c.id AS copy_id, c.status,
          (SELECT count(*) FROM loan_books lb WHERE lb.copy_id = c.id AND lb.active = 1) AS active_rows
        FROM copies c WHERE c.id > ${lo} AND c.id <= ${hi}
          AND ((c.status = 'on_loan') <> EXISTS (SELECT 1 FROM loan_books lb WHERE lb.copy_id = c.id AND lb.active = 1)
            OR (SELECT count(*) FROM loan_books lb WHERE lb.copy_id = c.id AND lb.active = 1) > 1
            OR EXISTS (SELECT 1 FROM loan_books lb WHERE lb.copy_id = c.id AND lb.book_id <> c.book_id))
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'copies.hold_shelf',
    rule: "a copy is 'on_hold_shelf' exactly when one ready hold on its book has set it aside",
    needs: ['copies.status', 'holds.copy_id'],
    check: paged(
      'copies',
      (lo, hi, limit) => `SELECT c.id AS copy_id, c.status,
          (SELECT count(*) FROM holds h WHERE h.copy_id = c.id AND h.status = 'ready') AS ready_holds
        FROM copies c WHERE c.id > ${lo} AND c.id <= ${hi}
          AND ((c.status = 'on_hold_shelf') <> EXISTS (SELECT 1 FROM holds h WHERE h.copy_id = c.id AND h.status = 'ready')
            OR (SELECT count(*) FROM holds h WHERE h.copy_id = c.id AND h.status = 'ready') > 1
            OR EXISTS (SELECT 1 FROM holds h WHERE h.copy_id = c.id AND h.status = 'ready' AND h.book_id <> c.book_id))
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'holds.ready_have_copy',
    rule: 'a ready hold has a copy, a ready date and a pick-up date; a waiting hold has none of them',
    needs: ['holds.copy_id', 'holds.pickup_by'],
    check: paged(
      'holds',
      (lo, hi, limit) => `SELECT h.id AS hold_id, h.status, h.copy_id, h.ready_on, h.pickup_by FROM holds h
        WHERE h.id > ${lo} AND h.id <= ${hi}
          AND ((h.status = 'ready' AND (h.copy_id IS NULL OR h.ready_on IS NULL OR h.pickup_by IS NULL))
            OR (h.status = 'waiting' AND (h.copy_id IS NOT NULL OR h.closed_on IS NOT NULL)))
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'holds.queue',
    rule: 'no hold waits while a copy of its book sits available on the shelf (an available copy goes to the first waiting hold)',
    needs: ['holds', 'copies.status'],
    check: paged(
      'books',
      (lo, hi, limit) => `SELECT b.id AS book_id FROM books b WHERE b.id > ${lo} AND b.id <= ${hi}
          AND EXISTS (SELECT 1 FROM holds h WHERE h.book_id = b.id AND h.status = 'waiting')
          AND EXISTS (SELECT 1 FROM copies c WHERE c.book_id = b.id AND c.status = 'available')
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'books.copy_counts',
    rule: 'books.copies, available_copies and holds_waiting equal the copies (not withdrawn), available copies and waiting holds of the book',
    needs: ['books.copies', 'books.available_copies', 'books.holds_waiting', 'copies', 'holds'],
    check: paged(
      'books',
      (lo, hi, limit) => `SELECT * FROM (SELECT b.id AS book_id, b.copies, b.available_copies, b.holds_waiting,
            (SELECT count(*) FROM copies c WHERE c.book_id = b.id AND c.status <> 'withdrawn') AS actual_copies,
            (SELECT count(*) FROM copies c WHERE c.book_id = b.id AND c.status = 'available') AS actual_available,
            (SELECT count(*) FROM holds h WHERE h.book_id = b.id AND h.status = 'waiting') AS actual_waiting
          FROM books b WHERE b.id > ${lo} AND b.id <= ${hi}) AS t
        WHERE copies <> actual_copies OR available_copies <> actual_available OR holds_waiting <> actual_waiting
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'counters.circulation',
    rule: "counters 'copies', 'available_copies', 'holds_waiting', 'holds_ready' equal their counts",
    needs: ['counters', 'copies.status', 'holds.status'],
    check: single(
      (limit) => `SELECT name, value, actual FROM (
        SELECT 'copies' AS name, (SELECT count(*) FROM copies WHERE status <> 'withdrawn') AS actual
        UNION ALL SELECT 'available_copies', (SELECT count(*) FROM copies WHERE status = 'available')
        UNION ALL SELECT 'holds_waiting', (SELECT count(*) FROM holds WHERE status = 'waiting')
        UNION ALL SELECT 'holds_ready', (SELECT count(*) FROM holds WHERE status = 'ready')
      ) AS t LEFT JOIN counters USING (name) WHERE value IS NOT actual LIMIT ${limit}`,
    ),
  },
  {
    name: 'notices.refer',
    rule: "a notice's hold and loan exist (a notice goes with its patron)",
    needs: ['notices.hold_id', 'notices.loan_id', 'holds', 'loans'],
    check: paged(
      'notices',
      (lo, hi, limit) => `SELECT n.id AS notice_id, n.hold_id, n.loan_id FROM notices n
        WHERE n.id > ${lo} AND n.id <= ${hi}
          AND ((n.hold_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.id = n.hold_id))
            OR (n.loan_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM loans l WHERE l.id = n.loan_id)))
        LIMIT ${limit}`,
    ),
  },
  // Accounts and events (migration 0007).
  {
    name: 'accounts.balance',
    rule: "account_balances.balance_cents is the sum of the patron's fines and charges minus payments and waivers, and `entries` their count",
    needs: ['account_balances.balance_cents', 'account_entries.amount_cents'],
    check: paged(
      'users',
      (lo, hi, limit) => `SELECT * FROM (SELECT u.id AS user_id, coalesce(a.balance_cents, 0) AS balance_cents, coalesce(a.entries, 0) AS entries,
            (SELECT coalesce(sum(CASE WHEN e.kind IN ('fine', 'charge') THEN e.amount_cents ELSE -e.amount_cents END), 0)
               FROM account_entries e WHERE e.user_id = u.id) AS actual_balance,
            (SELECT count(*) FROM account_entries e WHERE e.user_id = u.id) AS actual_entries
          FROM users u LEFT JOIN account_balances a ON a.user_id = u.id WHERE u.id > ${lo} AND u.id <= ${hi}) AS t
        WHERE balance_cents <> actual_balance OR entries <> actual_entries
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'events.people',
    rule: "an event's patron and actor are existing users (a deleted user's events are anonymised)",
    needs: ['events.user_id', 'events.actor_id'],
    check: paged(
      'events',
      (lo, hi, limit) => `SELECT ev.id AS event_id, ev.user_id, ev.actor_id FROM events ev
        WHERE ev.id > ${lo} AND ev.id <= ${hi}
          AND ((ev.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = ev.user_id))
            OR (ev.actor_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = ev.actor_id)))
        LIMIT ${limit}`,
    ),
  },
  {
    name: 'events.once',
    rule: 'each subject has each event of its life at most once (a book, copy, loan or hold created, ended or deleted; a hold made ready), and a loan is recorded returned only if it is',
    needs: ['events.loan_id', 'events.hold_id', 'events.copy_id', 'holds'],
    // One grouping per action over that action's events (through events_action_idx): the whole
    // record is read once, repeats across any distance are found.
    check: single(
      (limit) => `SELECT * FROM (
          SELECT action, max(id) AS event_id, book_id, copy_id, loan_id, hold_id, count(*) AS times FROM events INDEXED BY events_action_idx
          WHERE action IN ('book.created', 'book.deleted', 'copy.created', 'copy.deleted', 'loan.opened', 'loan.returned', 'loan.deleted',
            'hold.placed', 'hold.ready', 'hold.fulfilled', 'hold.cancelled', 'hold.expired')
          GROUP BY action, CASE WHEN action LIKE 'book.%' THEN book_id WHEN action LIKE 'copy.%' THEN copy_id
            WHEN action LIKE 'loan.%' THEN loan_id ELSE hold_id END
          HAVING times > 1
        UNION ALL
          SELECT ev.action, ev.id, ev.book_id, ev.copy_id, ev.loan_id, ev.hold_id, 1 FROM events ev INDEXED BY events_action_idx
          JOIN loans l ON l.id = ev.loan_id WHERE ev.action = 'loan.returned' AND l.return_date IS NULL
        ) LIMIT ${limit}`,
    ),
  },
];

// ---------------------------------------------------------------------------------------------
// Running it.

/**
 * Tables and columns of the database, from sqlite_master's CREATE TABLE text (one statement; D1
 * refuses pragma_table_info()). SQLite rewrites that text on ADD and DROP COLUMN.
 */
export async function readSchema(run: RunSql): Promise<Schema> {
  const [rows = []] = await run(["SELECT name, sql FROM sqlite_master WHERE type = 'table'"]);
  const tables = new Map(rows.map((row) => [String(row.name), String(row.sql ?? '')]));
  return {
    has(table, column) {
      const sql = tables.get(table);
      if (sql === undefined) return false;
      if (column === undefined) return true;
      // A column definition starts after "(" or "," with the name, bare or quoted.
      return new RegExp(`[(,]\\s*[\`"\\[]?${column}[\`"\\]]?\\s`, 'i').test(sql);
    },
  };
}

export interface AuditOptions {
  page?: number;
  sample?: number;
  perTrip?: number;
  /** Only these invariants (by name); all by default. */
  only?: string[];
}

/** Runs every invariant in turn; a check that throws is reported as `error`, not thrown. */
export async function runAudit(run: RunSql, options: AuditOptions = {}): Promise<Verdict[]> {
  const schema = await readSchema(run);
  const ctx: AuditContext = { run, schema, page: options.page ?? 2000, sample: options.sample ?? 5, perTrip: options.perTrip ?? 10 };
  const verdicts: Verdict[] = [];
  for (const invariant of INVARIANTS) {
    if (options.only && !options.only.includes(invariant.name)) continue;
    const base = { name: invariant.name, rule: invariant.rule };
    const present = (need: string) => {
      const [table, column] = need.split('.') as [string, string | undefined];
      return schema.has(table, column);
    };
    const missing = invariant.needs.filter((need) => !present(need));
    const replaced = (invariant.unless ?? []).filter(present);
    if (missing.length > 0 || replaced.length > 0) {
      const note = missing.length > 0 ? `not in this schema: ${missing.join(', ')}` : `replaced in this schema (${replaced.join(', ')})`;
      verdicts.push({ ...base, status: 'skipped', violations: [], note });
      continue;
    }
    try {
      const violations = await invariant.check(ctx);
      verdicts.push({ ...base, status: violations.length ? 'violated' : 'ok', violations });
    } catch (err) {
      verdicts.push({ ...base, status: 'error', violations: [], note: err instanceof Error ? err.message.slice(0, 300) : String(err) });
    }
  }
  return verdicts;
}

/** True when nothing is violated and every check ran (skipped entries are fine). */
export const auditPassed = (verdicts: Verdict[]) => verdicts.every((v) => v.status === 'ok' || v.status === 'skipped');

/** A RunSql over a D1 binding (Worker, tests, Miniflare): one batch per call. */
export const d1Runner =
  (db: Pick<D1Database, 'prepare' | 'batch'>): RunSql =>
  async (statements) =>
    (await db.batch(statements.map((s) => db.prepare(s)))).map((r) => (r.results ?? []) as Row[]);

/** One line per invariant: `ok  books.readers — rule` plus sample violations. */
export function formatVerdicts(verdicts: Verdict[]): string {
  const mark = { ok: 'ok      ', violated: 'VIOLATED', skipped: 'skipped ', error: 'ERROR   ' } as const;
  return verdicts
    .map((v) => {
      const head = `${mark[v.status]}  ${v.name.padEnd(28)} ${v.rule}${v.note ? ` (${v.note})` : ''}`;
      return [head, ...v.violations.map((row) => `            ${JSON.stringify(row)}`)].join('\n');
    })
    .join('\n');
}
