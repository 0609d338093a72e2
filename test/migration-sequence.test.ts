import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyDatabase } from './migration-helpers';

/**
 * sqlite_sequence, which SQLite reads from the top on every insert into an AUTOINCREMENT table:
 * migration 0012 puts the circulation tables' rows first, and 0015 takes `holds` and `loan_books`
 * off it (they lose AUTOINCREMENT). This file first reads what a fresh database gets, then empties
 * its database, applies 0000–0011, writes rows in the order a library's first day would (users and
 * books before any loan) and deletes the newest loan, then applies the rest.
 */

type SequenceRow = { name: string; seq: number };
const sequence = async () => (await env.DB.prepare('SELECT name, seq FROM sqlite_sequence ORDER BY rowid').all<SequenceRow>()).results;
const CIRCULATION_FIRST = ['loans', 'copies'];
const NO_SEQUENCE = ['loan_books', 'holds'];

let fresh: SequenceRow[];
let before: SequenceRow[];

beforeAll(async () => {
  fresh = await sequence();
  await emptyDatabase();
  const migrations = env.TEST_MIGRATIONS;
  const index = migrations.findIndex((m) => m.name.startsWith('0012'));
  expect(index).toBeGreaterThan(0);
  await applyD1Migrations(env.DB, migrations.slice(0, index));
  await env.DB.batch([
    env.DB.prepare("INSERT INTO users (first_name, last_name, email, password_hash) VALUES ('Ada', 'L', 'ada@example.org', 'x'), ('Bo', 'M', 'bo@example.org', 'x')"),
    env.DB.prepare("INSERT INTO books (title, genre, age_category, publish_date, author) VALUES ('One', 'G', 'A', '2001-01-01', 'Au'), ('Two', 'G', 'A', '2001-01-01', 'Au')"),
    env.DB.prepare('INSERT INTO copies (book_id) VALUES (1), (2)'),
    env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline) VALUES (1, '2026-02-01', '2026-02-15'), (2, '2026-02-01', '2026-02-15')"),
    env.DB.prepare('INSERT INTO loan_books (loan_id, book_id, copy_id, active) VALUES (1, 1, 1, 1)'),
    env.DB.prepare("INSERT INTO holds (user_id, book_id, placed_on) VALUES (2, 1, '2026-02-01'), (1, 2, '2026-02-01')"),
    // The newest loan goes: its id must not come back.
    env.DB.prepare('DELETE FROM loans WHERE id = 2'),
  ]);
  before = await sequence();
  expect(before.map((r) => r.name).indexOf('loans')).toBeGreaterThan(2);
  await applyD1Migrations(env.DB, migrations);
});

describe('migrations 0012 and 0015: sqlite_sequence holds only what needs it, in the order the circulation writes read it', () => {
  it('a fresh database starts with the circulation tables', () => {
    expect(fresh.slice(0, 2).map((r) => r.name)).toEqual(CIRCULATION_FIRST);
    expect(fresh.slice(0, 2).map((r) => r.seq)).toEqual([0, 0]);
    expect(fresh.map((r) => r.name)).not.toContain('holds');
  });

  it('moves the circulation tables first and keeps every counter and the others’ order', async () => {
    const after = await sequence();
    expect(after.slice(0, 2).map((r) => r.name)).toEqual(CIRCULATION_FIRST);
    const others = (rows: SequenceRow[]) => rows.filter((r) => ![...CIRCULATION_FIRST, ...NO_SEQUENCE, 'd1_migrations'].includes(r.name));
    expect(others(after)).toEqual(others(before));
    const seqOf = (rows: SequenceRow[], name: string) => rows.find((r) => r.name === name)?.seq;
    for (const name of CIRCULATION_FIRST) expect(seqOf(after, name), name).toBe(seqOf(before, name));
    for (const name of NO_SEQUENCE) expect(seqOf(after, name), name).toBeUndefined();
  });

  it('keeps the rebuilt tables’ rows and ids; a deleted newest loan’s id never comes back', async () => {
    expect((await env.DB.prepare('SELECT id, user_id, book_id, status FROM holds ORDER BY id').all()).results).toEqual([
      { id: 1, user_id: 2, book_id: 1, status: 'waiting' },
      { id: 2, user_id: 1, book_id: 2, status: 'waiting' },
    ]);
    expect((await env.DB.prepare('SELECT id, loan_id, copy_id, active FROM loan_books').all()).results).toEqual([{ id: 1, loan_id: 1, copy_id: 1, active: 1 }]);
    const loan = await env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline) VALUES (1, '2026-03-01', '2026-03-15') RETURNING id").first('id');
    const hold = await env.DB.prepare("INSERT INTO holds (user_id, book_id, placed_on) VALUES (2, 2, '2026-03-01') RETURNING id").first('id');
    expect(loan).toBe(3);
    expect(hold).toBe(3);
    // The triggers came back: the new hold counts in its book's queue.
    expect(await env.DB.prepare('SELECT holds_waiting FROM books WHERE id = 2').first('holds_waiting')).toBe(2);
    // Ids of holds only grow because no hold is ever deleted (events name them): the database refuses it.
    await expect(env.DB.prepare('DELETE FROM holds WHERE id = 3').run()).rejects.toThrow(/holds are never deleted/);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM holds').first('n')).toBe(3);
  });

  it('an insert into loans reads one row of sqlite_sequence', async () => {
    // The same insert with the loans row moved last: the difference is the walk.
    const insert = () => env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline) VALUES (NULL, '2026-03-01', '2026-03-15')").run();
    const first = (await insert()).meta.rows_read;
    const rows = (await sequence()).length;
    await env.DB.prepare("UPDATE sqlite_sequence SET rowid = (SELECT max(rowid) + 1 FROM sqlite_sequence) WHERE name = 'loans'").run();
    const last = (await insert()).meta.rows_read;
    expect(last - first).toBe(rows - 1);
  });
});
