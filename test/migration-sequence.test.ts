import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyDatabase } from './migration-helpers';

/**
 * Migration 0012 puts the circulation tables' rows first in sqlite_sequence, which SQLite reads
 * from the top on every insert into an AUTOINCREMENT table. This file first reads the order a
 * fresh database gets, then empties its database, applies 0000–0011, writes rows in the order a
 * library's first day would (users and books before any loan) and deletes the newest loan and hold,
 * then applies 0012.
 */

type SequenceRow = { name: string; seq: number };
const sequence = async () => (await env.DB.prepare('SELECT name, seq FROM sqlite_sequence ORDER BY rowid').all<SequenceRow>()).results;
const CIRCULATION_FIRST = ['loans', 'loan_books', 'holds', 'copies'];

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
    // The newest loan and hold go: their ids must not come back.
    env.DB.prepare('DELETE FROM loans WHERE id = 2'),
    env.DB.prepare('DELETE FROM holds WHERE id = 2'),
  ]);
  before = await sequence();
  expect(before.map((r) => r.name).indexOf('loans')).toBeGreaterThan(2);
  await applyD1Migrations(env.DB, migrations);
});

describe('migration 0012: sqlite_sequence in the order the circulation writes read it', () => {
  it('a fresh database starts with the circulation tables', () => {
    expect(fresh.slice(0, 4).map((r) => r.name)).toEqual(CIRCULATION_FIRST);
    expect(fresh.slice(0, 4).map((r) => r.seq)).toEqual([0, 0, 0, 0]);
  });

  it('moves the circulation tables first and keeps every counter and the others’ order', async () => {
    const after = await sequence();
    expect(after.slice(0, 4).map((r) => r.name)).toEqual(CIRCULATION_FIRST);
    const others = (rows: SequenceRow[]) => rows.filter((r) => !CIRCULATION_FIRST.includes(r.name) && r.name !== 'd1_migrations');
    expect(others(after)).toEqual(others(before));
    const seqOf = (rows: SequenceRow[], name: string) => rows.find((r) => r.name === name)?.seq;
    for (const name of CIRCULATION_FIRST) expect(seqOf(after, name), name).toBe(seqOf(before, name));
  });

  it('never reuses the id of a deleted newest row', async () => {
    const loan = await env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline) VALUES (1, '2026-03-01', '2026-03-15') RETURNING id").first('id');
    const hold = await env.DB.prepare("INSERT INTO holds (user_id, book_id, placed_on) VALUES (1, 2, '2026-03-01') RETURNING id").first('id');
    expect(loan).toBe(3);
    expect(hold).toBe(3);
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
