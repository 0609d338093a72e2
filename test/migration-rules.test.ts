import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { emptyDatabase } from './migration-helpers';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Migration 0007 on data shaped like Part one's: this file empties its own database (storage is
 * per test file), applies the migrations before it, writes users, books, loans and loan rows as
 * Part one did (a renewed loan, a returned one, a deleted one), then applies 0007 and checks that
 * nothing moved: loan rows, readers, availability, counters, the id sequence.
 */

// Later migrations (copies) reshape loan_books and books; these are what 0007 itself must keep.
const state = async () => ({
  loans: (await env.DB.prepare('SELECT id, user_id, loan_date, deadline, return_date, renewals FROM loans ORDER BY id').all()).results,
  loanRows: (await env.DB.prepare('SELECT loan_id, book_id, active FROM loan_books ORDER BY loan_id, book_id').all()).results,
  counters: (await env.DB.prepare("SELECT * FROM counters WHERE name LIKE 'loans%' ORDER BY name").all()).results,
});

let before: Awaited<ReturnType<typeof state>>;

beforeAll(async () => {
  await emptyDatabase();
  const migrations = env.TEST_MIGRATIONS;
  // Part one's schema (0000–0003), its data, then every later migration, 0007 included.
  const index = migrations.findIndex((m) => m.name.startsWith('0004'));
  expect(index).toBeGreaterThan(0);
  await applyD1Migrations(env.DB, migrations.slice(0, index));
  await env.DB.batch([
    env.DB.prepare("INSERT INTO users (first_name, last_name, email, password_hash) VALUES ('Ada', 'L', 'ada@example.org', 'x')"),
    ...[1, 2, 3, 4].map((i) =>
      env.DB.prepare("INSERT INTO books (title, genre, age_category, publish_date, author) VALUES (?, 'G', 'A', '2001-01-01', 'Au')").bind(`Old ${i}`),
    ),
    env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline, return_date) VALUES (1, '2026-01-01', '2026-01-15', '2026-01-10')"),
    env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline, renewals) VALUES (1, '2026-02-01', '2026-03-15', 2)"),
    env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline) VALUES (1, '2026-02-01', '2026-02-15')"),
    env.DB.prepare('INSERT INTO loan_books (loan_id, book_id, active) VALUES (1, 1, 0), (1, 2, 0), (2, 2, 1), (2, 3, 1), (3, 4, 1)'),
    env.DB.prepare('DELETE FROM loans WHERE id = 3'),
  ]);
  before = await state();
  await applyD1Migrations(env.DB, migrations);
});

describe('migration 0007 on Part one data', () => {
  it('leaves loans, their rows and the loan counters as they were', async () => {
    expect(before.loans).toHaveLength(2);
    expect(before.loans[1]).toMatchObject({ renewals: 2 });
    expect(await state()).toEqual(before);
  });

  it('lets renewals reach the policy’s ceiling (10) and no further', async () => {
    await env.DB.prepare('UPDATE loans SET renewals = 10 WHERE id = 2').run();
    await expect(env.DB.prepare('UPDATE loans SET renewals = 11 WHERE id = 2').run()).rejects.toThrow(/CHECK/);
    await expect(env.DB.prepare('UPDATE loans SET renewals = -1 WHERE id = 2').run()).rejects.toThrow(/CHECK/);
  });

  it('keeps ids growing past a deleted loan, and the loan triggers working', async () => {
    const row = await env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline) VALUES (1, '2026-04-01', '2026-04-15') RETURNING id").first<{ id: number }>();
    expect(row!.id).toBe(4);
    expect(await env.DB.prepare("SELECT value FROM counters WHERE name = 'loans'").first('value')).toBe(3);
  });

  it('stores the default policy and no events, entries or balances', async () => {
    expect(await env.DB.prepare('SELECT loan_days, renewal_days, max_renewals, version FROM policy').all().then((r) => r.results)).toEqual([
      { loan_days: 14, renewal_days: 14, max_renewals: 2, version: 1 },
    ]);
    for (const table of ['account_entries', 'account_balances']) {
      expect(await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first('n')).toBe(0);
    }
    // The migrations write no event; the loan the test above opened has its own (migration 0010).
    expect(await env.DB.prepare('SELECT action, loan_id FROM events').all().then((r) => r.results)).toEqual([{ action: 'loan.opened', loan_id: 4 }]);
  });
});
