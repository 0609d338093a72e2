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
    // Copies the user has out (active loan rows of their loans), kept by triggers (migrations/0011)
    // so the loan limit reads one row, however many loans the user has open. Never in an answer.
    items_out: integer('items_out').notNull().default(0),
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
    // Kept by triggers (migrations/0001, 0006), so reads never aggregate: loans that ever held the
    // book; its copies not withdrawn; those on the shelf (`available`); holds waiting for it.
    readers: integer('readers').notNull().default(0),
    copies: integer('copies').notNull().default(0),
    available_copies: integer('available_copies').notNull().default(0),
    holds_waiting: integer('holds_waiting').notNull().default(0),
    // The ETag: raised by every change to what a book answer shows, its counts included (the copy
    // and hold triggers change them; a trigger raises the version then, migrations/0004 and 0006).
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
    // Patron blocks count copies out over a patron's open loans only (a returned history is not read).
    index('loans_open_user_idx').on(t.user_id, t.deadline).where(sql`${t.return_date} IS NULL`),
    // The policy's max_renewals (0–10) is the limit a renewal applies; this is its outer bound.
    // (migrations/0007 moved Part one's column, CHECK 0–2, aside as `renewals_before_policy`.)
    check('loans_renewals_policy_range', sql`${t.renewals} BETWEEN 0 AND 10`),
  ],
);

export const COPY_STATUSES = ['available', 'on_loan', 'on_hold_shelf', 'lost', 'withdrawn'] as const;
export type CopyStatus = (typeof COPY_STATUSES)[number];

/** The physical items of a book. Circulation (loans, holds) is about copies; triggers keep the book's counts. */
export const copies = sqliteTable(
  'copies',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    book_id: integer('book_id')
      .notNull()
      .references(() => books.id, { onDelete: 'cascade' }),
    // Stored upper-case, so the plain UNIQUE index is case-insensitive. NULL only for the instant
    // between an insert without one and the trigger that assigns `C` + the id (migrations/0006).
    barcode: text('barcode'),
    location: text('location'),
    status: text('status', { enum: COPY_STATUSES }).notNull().default('available'),
    // The ETag: every statement that changes the row raises it (the app's and the triggers').
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('copies_barcode_unique').on(t.barcode),
    index('copies_book_idx').on(t.book_id, t.id),
    // "The available copy with the lowest id" for a checkout or a new hold: one index probe.
    index('copies_available_idx').on(t.book_id, t.id).where(sql`${t.status} = 'available'`),
    check('copies_barcode_upper', sql`${t.barcode} = upper(${t.barcode})`),
    check('copies_status_valid', sql`${t.status} IN ('available', 'on_loan', 'on_hold_shelf', 'lost', 'withdrawn')`),
  ],
);

/**
 * One row per copy a loan has held. `active` is 1 while the copy is out on the loan; the partial
 * unique indexes make "a copy is out on at most one loan" and "at most one copy of a book out per
 * loan" properties of the database.
 */
export const loanBooks = sqliteTable(
  'loan_books',
  {
    id: integer('id').primaryKey(),
    loan_id: integer('loan_id')
      .notNull()
      .references(() => loans.id, { onDelete: 'cascade' }),
    book_id: integer('book_id')
      .notNull()
      .references(() => books.id, { onDelete: 'cascade' }),
    copy_id: integer('copy_id')
      .notNull()
      .references(() => copies.id, { onDelete: 'cascade' }),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    return_date: text('return_date'),
  },
  (t) => [
    uniqueIndex('loan_books_one_active_loan_per_copy').on(t.copy_id).where(sql`${t.active} = 1`),
    uniqueIndex('loan_books_one_copy_per_book_per_loan').on(t.loan_id, t.book_id).where(sql`${t.active} = 1`),
    index('loan_books_loan_idx').on(t.loan_id, t.book_id),
    index('loan_books_book_idx').on(t.book_id, t.active),
    index('loan_books_copy_idx').on(t.copy_id, t.id),
  ],
);

export const HOLD_STATUSES = ['waiting', 'ready', 'fulfilled', 'cancelled', 'expired'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/**
 * The queue for a title, first come first served by id. Holds keep the book and copy ids they were
 * written with (no foreign key, no cascade); the user's goes NULL when the account does.
 */
export const holds = sqliteTable(
  'holds',
  {
    id: integer('id').primaryKey(),
    user_id: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
    book_id: integer('book_id').notNull(),
    status: text('status', { enum: HOLD_STATUSES }).notNull().default('waiting'),
    copy_id: integer('copy_id'),
    placed_on: text('placed_on').notNull(),
    ready_on: text('ready_on'),
    pickup_by: text('pickup_by'),
    closed_on: text('closed_on'),
  },
  (t) => [
    uniqueIndex('holds_one_ready_per_copy').on(t.copy_id).where(sql`${t.status} = 'ready'`),
    uniqueIndex('holds_one_open_per_user_book').on(t.user_id, t.book_id).where(sql`${t.status} IN ('waiting', 'ready')`),
    // The queue: the first waiting hold of a book, and positions, walk this.
    index('holds_waiting_idx').on(t.book_id, t.id).where(sql`${t.status} = 'waiting'`),
    index('holds_book_idx').on(t.book_id, t.status, t.id),
    index('holds_user_idx').on(t.user_id, t.id),
    // The daily job expires ready holds past pickup_by through this (no scan of holds).
    index('holds_ready_pickup_idx').on(t.pickup_by, t.id).where(sql`${t.status} = 'ready'`),
    check('holds_status_valid', sql`${t.status} IN ('waiting', 'ready', 'fulfilled', 'cancelled', 'expired')`),
  ],
);

export const NOTICE_KINDS = ['hold_ready', 'hold_expired', 'due_soon', 'overdue'] as const;

export const notices = sqliteTable(
  'notices',
  {
    // No AUTOINCREMENT (migrations/0011): every statement that could write a notice through a
    // trigger would otherwise pay a walk of sqlite_sequence. Notices go only with their user, so
    // an id a later notice might reuse was never seen by anyone else.
    id: integer('id').primaryKey(),
    user_id: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: NOTICE_KINDS }).notNull(),
    created_at: text('created_at').notNull(),
    book_id: integer('book_id'),
    loan_id: integer('loan_id'),
    hold_id: integer('hold_id'),
    message: text('message').notNull(),
    // For loan notices: the deadline they are about (once per loan, kind and deadline).
    due_on: text('due_on'),
  },
  (t) => [
    index('notices_user_idx').on(t.user_id, t.id),
    uniqueIndex('notices_loan_once').on(t.loan_id, t.kind, t.due_on).where(sql`${t.due_on} IS NOT NULL`),
    uniqueIndex('notices_hold_expired_once').on(t.hold_id).where(sql`${t.kind} = 'hold_expired'`),
  ],
);

/**
 * One row (id = 1) that every circulation write sets as its batch's first statement: triggers
 * cannot see the app's clock or caller, so they read today's date, the actor and the pickup period
 * from here (never date('now'), which would ignore a test's fake clock). D1 serialises batches, so
 * a batch's triggers always see its own values.
 */
export const circulationContext = sqliteTable(
  'circulation_context',
  {
    id: integer('id').primaryKey(),
    today: text('today').notNull(),
    /** The request's timestamp (ISO 8601 UTC), for rows triggers write such as notices. */
    now: text('now').notNull(),
    actor_id: integer('actor_id'),
    /** The policy's, copied over by a trigger whenever the policy changes (migration 0014), not by each write. */
    hold_pickup_days: integer('hold_pickup_days').notNull(),
  },
  (t) => [check('circulation_context_one_row', sql`${t.id} = 1`)],
);

/** Row counts kept current by triggers, so a page's `total` reads one row instead of the table. */
export const counters = sqliteTable('counters', {
  name: text('name').primaryKey(),
  value: integer('value').notNull().default(0),
});

/**
 * The circulation rules: exactly one row (id 1), bounds in CHECKs so no write can store a value the
 * API would refuse. Writes that apply a rule read it with a sub-select in their own SQL
 * (`policyValue` in src/lib/policy.ts), never in a separate round trip.
 */
export const policy = sqliteTable(
  'policy',
  {
    id: integer('id').primaryKey(),
    loan_days: integer('loan_days').notNull().default(14),
    renewal_days: integer('renewal_days').notNull().default(14),
    max_renewals: integer('max_renewals').notNull().default(2),
    max_active_copies: integer('max_active_copies').notNull().default(10),
    max_holds: integer('max_holds').notNull().default(5),
    hold_pickup_days: integer('hold_pickup_days').notNull().default(7),
    fine_per_day_cents: integer('fine_per_day_cents').notNull().default(25),
    max_fine_per_copy_cents: integer('max_fine_per_copy_cents').notNull().default(1000),
    block_balance_cents: integer('block_balance_cents').notNull().default(500),
    block_overdue_copies: integer('block_overdue_copies').notNull().default(1),
    // The ETag: raised by every change.
    version: integer('version').notNull().default(1),
  },
  (t) => [
    check('policy_single_row', sql`${t.id} = 1`),
    check('policy_loan_days', sql`${t.loan_days} BETWEEN 1 AND 365`),
    check('policy_renewal_days', sql`${t.renewal_days} BETWEEN 1 AND 365`),
    check('policy_max_renewals', sql`${t.max_renewals} BETWEEN 0 AND 10`),
    check('policy_max_active_copies', sql`${t.max_active_copies} BETWEEN 1 AND 100`),
    check('policy_max_holds', sql`${t.max_holds} BETWEEN 0 AND 100`),
    check('policy_hold_pickup_days', sql`${t.hold_pickup_days} BETWEEN 1 AND 60`),
    check('policy_fine_per_day_cents', sql`${t.fine_per_day_cents} BETWEEN 0 AND 100000`),
    check('policy_max_fine_per_copy_cents', sql`${t.max_fine_per_copy_cents} BETWEEN 0 AND 100000`),
    check('policy_block_balance_cents', sql`${t.block_balance_cents} BETWEEN 0 AND 100000`),
    check('policy_block_overdue_copies', sql`${t.block_overdue_copies} BETWEEN 0 AND 100`),
  ],
);

export const EVENT_ACTIONS = [
  'book.created',
  'book.updated',
  'book.deleted',
  'copy.created',
  'copy.updated',
  'copy.deleted',
  'copy.checked_in',
  'loan.opened',
  'loan.copy_added',
  'loan.copy_removed',
  'loan.renewed',
  'loan.returned',
  'loan.deleted',
  'hold.placed',
  'hold.ready',
  'hold.fulfilled',
  'hold.cancelled',
  'hold.expired',
  'fine.charged',
  'charge.recorded',
  'payment.recorded',
  'waiver.recorded',
  'policy.changed',
  'user.role_changed',
  'user.deleted',
] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

/**
 * The circulation record, append-only (triggers refuse UPDATE and DELETE, except the nulling of
 * `user_id`/`actor_id` that deleting a user performs). No foreign keys: events keep the book, copy,
 * loan and hold ids they were written with, and nothing cascades into them.
 */
export const events = sqliteTable(
  'events',
  {
    // No AUTOINCREMENT: events are never deleted, so max(id) + 1 never reuses an id, and an insert
    // does not scan sqlite_sequence (a row read per AUTOINCREMENT table, on every event).
    id: integer('id').primaryKey(),
    at: text('at').notNull(),
    actor_id: integer('actor_id'),
    action: text('action', { enum: EVENT_ACTIONS }).notNull(),
    user_id: integer('user_id'),
    book_id: integer('book_id'),
    copy_id: integer('copy_id'),
    loan_id: integer('loan_id'),
    hold_id: integer('hold_id'),
  },
  (t) => [
    // One per filter of GET /events, each ending in id so `id > after ORDER BY id LIMIT n` walks it.
    index('events_action_idx').on(t.action, t.id),
    index('events_user_idx').on(t.user_id, t.id),
    index('events_book_idx').on(t.book_id, t.id),
    // For the nulling when a user is deleted.
    index('events_actor_idx').on(t.actor_id).where(sql`${t.actor_id} IS NOT NULL`),
  ],
);

export const ENTRY_KINDS = ['fine', 'charge', 'payment', 'waiver'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** A patron's account: fines and charges raise the balance, payments and waivers lower it. */
export const accountEntries = sqliteTable(
  'account_entries',
  {
    // No AUTOINCREMENT (migrations/0011): entries are never deleted (a trigger refuses it), so ids
    // only grow anyway, and every check-in would otherwise walk sqlite_sequence for this table.
    id: integer('id').primaryKey(),
    // NULL once the patron's account is deleted (only possible at a zero balance).
    user_id: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: ENTRY_KINDS }).notNull(),
    amount_cents: integer('amount_cents').notNull(),
    // No foreign keys: entries keep the ids they were written with.
    loan_id: integer('loan_id'),
    copy_id: integer('copy_id'),
    book_id: integer('book_id'),
    note: text('note'),
    created_at: text('created_at').notNull(),
  },
  (t) => [
    index('account_entries_user_idx').on(t.user_id, t.id),
    check('account_entries_kind_valid', sql`${t.kind} IN ('fine', 'charge', 'payment', 'waiver')`),
    check('account_entries_amount_positive', sql`${t.amount_cents} > 0`),
  ],
);

/**
 * Per patron: the balance and the number of entries, kept by a trigger on account_entries, so an
 * account page reads one row for both instead of summing or counting the entries. The CHECK is the
 * last word on "no payment or waiver above the balance".
 */
export const accountBalances = sqliteTable(
  'account_balances',
  {
    user_id: integer('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    balance_cents: integer('balance_cents').notNull().default(0),
    entries: integer('entries').notNull().default(0),
  },
  (t) => [check('account_balances_not_negative', sql`${t.balance_cents} >= 0`)],
);

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
export type PolicyRow = typeof policy.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type AccountEntryRow = typeof accountEntries.$inferSelect;
export type CopyRow = typeof copies.$inferSelect;
export type HoldRow = typeof holds.$inferSelect;
export type NoticeRow = typeof notices.$inferSelect;
