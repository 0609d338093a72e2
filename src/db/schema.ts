import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const ROLES = ['member', 'admin'] as const;
export type Role = (typeof ROLES)[number];

// TypeScript keys are the API's field names (snake_case, `DOB` as in the contract), so the
// drizzle-zod schemas derived in each route folder match the wire format with no mapping.
export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    first_name: text('first_name').notNull(),
    last_name: text('last_name').notNull(),
    // Stored trimmed and lower-cased, so the plain UNIQUE index is case-insensitive.
    email: text('email').notNull(),
    password_hash: text('password_hash').notNull(),
    DOB: text('dob'),
    address: text('address'),
    role: text('role', { enum: ROLES }).notNull().default('member'),
    // Carried in every token (`ver`) and raised by a password change: older tokens stop working.
    token_version: integer('token_version').notNull().default(0),
    // The ETag: raised by every change to what a user answer shows (the app's UPDATEs raise it
    // themselves; a trigger catches any other write, migrations/0004).
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('users_email_unique').on(t.email),
    check('users_email_lower', sql`${t.email} = lower(${t.email})`),
    check('users_role_valid', sql`${t.role} IN ('member', 'admin')`),
    // The admins alone, so the last-admin triggers (migrations/0005) count them without a scan.
    index('users_admin_idx').on(t.id).where(sql`${t.role} = 'admin'`),
  ],
);

export const books = sqliteTable(
  'books',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    title: text('title').notNull(),
    genre: text('genre').notNull(),
    age_category: text('age_category').notNull(),
    publish_date: text('publish_date').notNull(),
    author: text('author').notNull(),
    // The title folded for comparison (Unicode case, NFC), set by the app: SQLite's lower() folds
    // ASCII only. A raw INSERT without it gets lower(title) from a trigger (migrations/0002).
    title_key: text('title_key'),
    // ISBN-13, digits only (ISBN-10 input is converted); optional, unique when present.
    isbn: text('isbn'),
    // Both maintained by triggers on loan_books (migrations/0001), so reads never aggregate.
    readers: integer('readers').notNull().default(0),
    on_loan: integer('on_loan', { mode: 'boolean' }).notNull().default(false),
    // The ETag: raised by every change to what a book answer shows, `available` included (the
    // loan triggers change on_loan; a trigger raises the version then, migrations/0004).
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('books_title_key_unique').on(t.title_key),
    uniqueIndex('books_isbn_unique').on(t.isbn).where(sql`${t.isbn} IS NOT NULL`),
    index('books_popularity_idx').on(sql`${t.readers} DESC`, t.id),
  ],
);

export const loans = sqliteTable(
  'loans',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    // NULL once the borrower's account is deleted: history and popularity keep the loan.
    user_id: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
    loan_date: text('loan_date').notNull(),
    deadline: text('deadline').notNull(),
    return_date: text('return_date'),
    renewals: integer('renewals').notNull().default(0),
  },
  (t) => [
    index('loans_user_idx').on(t.user_id, t.id),
    index('loans_open_deadline_idx').on(t.deadline, t.id).where(sql`${t.return_date} IS NULL`),
    // Pages of open loans by id (status active/overdue) walk this instead of the whole table.
    index('loans_open_id_idx').on(t.id, t.deadline).where(sql`${t.return_date} IS NULL`),
    check('loans_renewals_range', sql`${t.renewals} BETWEEN 0 AND 2`),
  ],
);

export const loanBooks = sqliteTable(
  'loan_books',
  {
    loan_id: integer('loan_id')
      .notNull()
      .references(() => loans.id, { onDelete: 'cascade' }),
    book_id: integer('book_id')
      .notNull()
      .references(() => books.id, { onDelete: 'cascade' }),
    // 1 while the loan is not returned; the partial unique index below turns
    // "a book is on at most one active loan" into a database constraint.
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
  },
  (t) => [
    primaryKey({ columns: [t.loan_id, t.book_id] }),
    uniqueIndex('loan_books_one_active_loan_per_book').on(t.book_id).where(sql`${t.active} = 1`),
    index('loan_books_book_idx').on(t.book_id),
  ],
);

/** Row counts kept current by triggers, so a page's `total` reads one row instead of the table. */
export const counters = sqliteTable('counters', {
  name: text('name').primaryKey(),
  value: integer('value').notNull().default(0),
});

/**
 * One row per Idempotency-Key (scope = caller + method + path), written in the same batch as the
 * change it guards. `status` is null only inside that batch; a refused request deletes its row.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    status: integer('status'),
    resource_id: integer('resource_id'),
    // Unix milliseconds; records older than 24 h are ignored and deleted through this index.
    created_at: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_created_idx').on(t.created_at)],
);

export type UserRow = typeof users.$inferSelect;
export type BookRow = typeof books.$inferSelect;
export type LoanRow = typeof loans.$inferSelect;
