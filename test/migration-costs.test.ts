import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyDatabase } from './migration-helpers';

/**
 * Migration 0011 (leaner circulation triggers, users.items_out, notices without AUTOINCREMENT) on
 * data written before it: this file empties its own database, applies 0000–0010, writes patrons
 * with copies out, a returned loan, a ready hold and its notice, then applies 0011.
 */

const itemsOut = async () =>
  (await env.DB.prepare('SELECT id, items_out FROM users ORDER BY id').all<{ id: number; items_out: number }>()).results;
const actualItemsOut = async () =>
  (
    await env.DB.prepare(
      `SELECT u.id, (SELECT count(*) FROM loans l JOIN loan_books lb ON lb.loan_id = l.id WHERE l.user_id = u.id AND lb.active = 1) AS items_out
       FROM users u ORDER BY u.id`,
    ).all<{ id: number; items_out: number }>()
  ).results;
const notices = async () => (await env.DB.prepare('SELECT * FROM notices ORDER BY id').all()).results;

const entries = async () => (await env.DB.prepare('SELECT * FROM account_entries ORDER BY id').all()).results;
const balances = async () => (await env.DB.prepare('SELECT * FROM account_balances ORDER BY user_id').all()).results;

let noticesBefore: unknown[];
let entriesBefore: unknown[];

beforeAll(async () => {
  await emptyDatabase();
  const migrations = env.TEST_MIGRATIONS;
  const index = migrations.findIndex((m) => m.name.startsWith('0011'));
  expect(index).toBeGreaterThan(0);
  await applyD1Migrations(env.DB, migrations.slice(0, index));
  await env.DB.batch([
    env.DB.prepare("INSERT INTO users (first_name, last_name, email, password_hash) VALUES ('Ada', 'L', 'ada@example.org', 'x'), ('Bo', 'M', 'bo@example.org', 'x'), ('Cy', 'N', 'cy@example.org', 'x')"),
    ...[1, 2, 3, 4].map((i) =>
      env.DB.prepare("INSERT INTO books (title, genre, age_category, publish_date, author) VALUES (?, 'G', 'A', '2001-01-01', 'Au')").bind(`Book ${i}`),
    ),
    env.DB.prepare('INSERT INTO copies (book_id) VALUES (1), (2), (3), (4), (4)'),
    // Ada: a returned loan of book 1, an open loan with books 2 and 3 out; Bo: book 4's first copy out.
    env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline, return_date) VALUES (1, '2026-01-01', '2026-01-15', '2026-01-10')"),
    env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline) VALUES (1, '2026-02-01', '2026-02-15'), (2, '2026-02-01', '2026-02-15')"),
    env.DB.prepare("INSERT INTO loan_books (loan_id, book_id, copy_id, active, return_date) VALUES (1, 1, 1, 0, '2026-01-10')"),
    env.DB.prepare('INSERT INTO loan_books (loan_id, book_id, copy_id, active) VALUES (2, 2, 2, 1), (2, 3, 3, 1), (3, 4, 4, 1)'),
    // Cy's hold on book 4 takes its free copy at once (ready, with a notice).
    env.DB.prepare("UPDATE circulation_context SET today = '2026-02-02', now = '2026-02-02T10:00:00.000Z' WHERE id = 1"),
    env.DB.prepare("INSERT INTO holds (user_id, book_id, status, copy_id, placed_on, ready_on, pickup_by) VALUES (3, 4, 'ready', 5, '2026-02-02', '2026-02-02', '2026-02-09')"),
    env.DB.prepare("INSERT INTO account_entries (user_id, kind, amount_cents, created_at) VALUES (1, 'fine', 300, 'a'), (1, 'payment', 100, 'b'), (2, 'charge', 50, 'c')"),
  ]);
  entriesBefore = await entries();
  noticesBefore = await notices();
  expect(noticesBefore).toHaveLength(1);
  await applyD1Migrations(env.DB, migrations);
});

describe('migration 0011 on data written before it', () => {
  it('counts the copies each patron has out', async () => {
    expect(await itemsOut()).toEqual([
      { id: 1, items_out: 2 },
      { id: 2, items_out: 1 },
      { id: 3, items_out: 0 },
    ]);
  });

  it('keeps every notice, and numbers new ones after them', async () => {
    expect(await notices()).toEqual(noticesBefore);
    // Bo's copy comes back and goes to a new waiting hold of Ada's: a hold_ready notice through the rebuilt table.
    await env.DB.batch([
      env.DB.prepare("INSERT INTO holds (user_id, book_id, status, placed_on) VALUES (1, 4, 'waiting', '2026-02-02')"),
      env.DB.prepare("UPDATE loan_books SET active = 0, return_date = '2026-02-03' WHERE copy_id = 4 AND active = 1"),
    ]);
    const after = await notices();
    expect(after).toHaveLength(2);
    expect(after[1]).toMatchObject({ id: (noticesBefore[0] as { id: number }).id + 1, user_id: 1, kind: 'hold_ready', book_id: 4 });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM sqlite_sequence WHERE name = 'notices'").first('n')).toBe(0);
  });

  it('keeps account entries append-only, their balances, and numbers new ones after them', async () => {
    expect(await entries()).toEqual(entriesBefore);
    expect(await balances()).toEqual([
      { user_id: 1, balance_cents: 200, entries: 2 },
      { user_id: 2, balance_cents: 50, entries: 1 },
    ]);
    await expect(env.DB.prepare('DELETE FROM account_entries WHERE id = 1').run()).rejects.toThrow(/append-only/);
    const row = await env.DB.prepare("INSERT INTO account_entries (user_id, kind, amount_cents, created_at) VALUES (2, 'waiver', 50, 'd') RETURNING id").first<{ id: number }>();
    expect(row!.id).toBe(4);
    expect((await balances())[1]).toEqual({ user_id: 2, balance_cents: 0, entries: 2 });
    await expect(env.DB.prepare("INSERT INTO account_entries (user_id, kind, amount_cents, created_at) VALUES (2, 'payment', 1, 'e')").run()).rejects.toThrow(/CHECK/);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM sqlite_sequence WHERE name = 'account_entries'").first('n')).toBe(0);
  });

  it('keeps items_out with every change to loan rows: lend, check in, delete a row, delete a loan, reassign', async () => {
    await env.DB.prepare('INSERT INTO loan_books (loan_id, book_id, copy_id, active) VALUES (3, 1, 1, 1)').run(); // Bo borrows book 1
    expect(await itemsOut()).toEqual(await actualItemsOut());
    await env.DB.prepare('DELETE FROM loan_books WHERE loan_id = 2 AND book_id = 3').run(); // Ada's book 3 taken off her loan
    expect(await itemsOut()).toEqual(await actualItemsOut());
    await env.DB.prepare('DELETE FROM loans WHERE id = 2').run(); // Ada's open loan deleted with book 2 still out
    expect(await itemsOut()).toEqual(await actualItemsOut());
    expect((await itemsOut())[0]).toEqual({ id: 1, items_out: 0 });
    await env.DB.prepare('UPDATE loans SET user_id = 3 WHERE id = 3').run(); // a hand-run reassignment
    expect(await itemsOut()).toEqual(await actualItemsOut());
    expect((await itemsOut())[2]).toEqual({ id: 3, items_out: 1 });
  });
});
