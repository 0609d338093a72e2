import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectStatus, makeAdmin, makeUser } from './helpers';
import { emptyDatabase } from './migration-helpers';

/**
 * Migration 0006 on data shaped like Part one's: this file empties its own database (storage is
 * per test file), applies 0000–0003, writes books, loans and loan rows as Part one did, then
 * applies the rest and checks that every book has one copy and every loan row points at it.
 */
const PART_ONE = ['0000', '0001', '0002', '0003'];


beforeAll(async () => {
  await emptyDatabase();
  const migrations = env.TEST_MIGRATIONS;
  await applyD1Migrations(env.DB, migrations.filter((m) => PART_ONE.some((n) => m.name.startsWith(n))));
  // Part one's data: four books, one returned loan (books 1 and 2), one active loan (books 2 and 3).
  await env.DB.batch([
    env.DB.prepare("INSERT INTO users (first_name, last_name, email, password_hash) VALUES ('Ada', 'L', 'ada@example.org', 'x')"),
    ...[1, 2, 3, 4].map((i) =>
      env.DB.prepare("INSERT INTO books (title, genre, age_category, publish_date, author) VALUES (?, 'G', 'A', '2001-01-01', 'Au')").bind(`Old ${i}`),
    ),
    env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline, return_date) VALUES (1, '2026-01-01', '2026-01-15', '2026-01-10')"),
    env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline) VALUES (1, '2026-02-01', '2026-02-15')"),
    env.DB.prepare('INSERT INTO loan_books (loan_id, book_id, active) VALUES (1, 1, 0), (1, 2, 0), (2, 2, 1), (2, 3, 1)'),
  ]);
  await applyD1Migrations(env.DB, migrations);
});

describe('migration 0006 on Part one data', () => {
  it('gives every book one copy with an assigned barcode, on loan exactly when the book was', async () => {
    const copies = await env.DB.prepare('SELECT id, book_id, barcode, status FROM copies ORDER BY id').all();
    expect(copies.results).toEqual([
      { id: 1, book_id: 1, barcode: 'C00000001', status: 'available' },
      { id: 2, book_id: 2, barcode: 'C00000002', status: 'on_loan' },
      { id: 3, book_id: 3, barcode: 'C00000003', status: 'on_loan' },
      { id: 4, book_id: 4, barcode: 'C00000004', status: 'available' },
    ]);
    const books = await env.DB.prepare('SELECT id, readers, copies, available_copies, holds_waiting FROM books ORDER BY id').all();
    expect(books.results).toEqual([
      { id: 1, readers: 1, copies: 1, available_copies: 1, holds_waiting: 0 },
      { id: 2, readers: 2, copies: 1, available_copies: 0, holds_waiting: 0 },
      { id: 3, readers: 1, copies: 1, available_copies: 0, holds_waiting: 0 },
      { id: 4, readers: 0, copies: 1, available_copies: 1, holds_waiting: 0 },
    ]);
  });

  it('moves every loan row to its book’s copy, returned rows dated by their loan', async () => {
    const rows = await env.DB.prepare('SELECT loan_id, book_id, copy_id, active, return_date FROM loan_books ORDER BY loan_id, book_id').all();
    expect(rows.results).toEqual([
      { loan_id: 1, book_id: 1, copy_id: 1, active: 0, return_date: '2026-01-10' },
      { loan_id: 1, book_id: 2, copy_id: 2, active: 0, return_date: '2026-01-10' },
      { loan_id: 2, book_id: 2, copy_id: 2, active: 1, return_date: null },
      { loan_id: 2, book_id: 3, copy_id: 3, active: 1, return_date: null },
    ]);
  });

  it('keeps existing data working: the migrated loan is returned through the API, its copies back on the shelf', async () => {
    const admin = await makeAdmin();
    const loan = await expectStatus(await call('GET', '/loans/2', { token: admin.token }), 200);
    expect(loan.copies).toEqual([
      { id: 2, barcode: 'C00000002', book_id: 2, return_date: null },
      { id: 3, barcode: 'C00000003', book_id: 3, return_date: null },
    ]);
    const member = await makeUser();
    await expectStatus(await call('POST', '/holds', { token: member.token, body: { book_id: 2 } }), 201);
    const returned = await expectStatus(await call('POST', '/loans/2/return', { token: admin.token }), 200);
    expect(returned.status).toBe('returned');
    const copies = await env.DB.prepare('SELECT id, status FROM copies WHERE id IN (2, 3) ORDER BY id').all();
    expect(copies.results).toEqual([
      { id: 2, status: 'on_hold_shelf' },
      { id: 3, status: 'available' },
    ]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM copies WHERE barcode IS NULL").first('n')).toBe(0);
  });
});
