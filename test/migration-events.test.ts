import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyDatabase } from './migration-helpers';

/**
 * Migration 0010 rebuilds `events` without AUTOINCREMENT. On a database with events already
 * recorded (and a deleted user's anonymised ones), it must keep every row and id, keep the table
 * append-only, keep anonymising on user deletion, and give the next event the next id.
 */

const allEvents = () => env.DB.prepare('SELECT * FROM events ORDER BY id').all().then((r) => r.results);
let before: Awaited<ReturnType<typeof allEvents>>;

beforeAll(async () => {
  await emptyDatabase();
  const migrations = env.TEST_MIGRATIONS;
  const index = migrations.findIndex((m) => m.name.startsWith('0010'));
  expect(index).toBeGreaterThan(0);
  await applyD1Migrations(env.DB, migrations.slice(0, index));
  await env.DB.batch([
    env.DB.prepare("INSERT INTO users (first_name, last_name, email, password_hash) VALUES ('Ada', 'L', 'ada@example.org', 'x'), ('Bo', 'M', 'bo@example.org', 'x')"),
    env.DB.prepare(
      `INSERT INTO events (at, actor_id, action, user_id, book_id) VALUES
       ('2026-01-01T00:00:00.000Z', 1, 'book.created', NULL, 7),
       ('2026-01-02T00:00:00.000Z', 1, 'payment.recorded', 2, NULL),
       ('2026-01-03T00:00:00.000Z', 2, 'policy.changed', NULL, NULL)`,
    ),
  ]);
  before = await allEvents();
  await applyD1Migrations(env.DB, migrations);
});

describe('migration 0010 on recorded events', () => {
  it('keeps every event and id', async () => {
    expect(before).toHaveLength(3);
    expect(await allEvents()).toEqual(before);
    const table = await env.DB.prepare("SELECT sql FROM sqlite_master WHERE name = 'events'").first<{ sql: string }>();
    expect(table!.sql).not.toMatch(/AUTOINCREMENT/i);
  });

  it('stays append-only, and the next event takes the next id', async () => {
    await expect(env.DB.prepare('DELETE FROM events').run()).rejects.toThrow(/append-only/);
    await expect(env.DB.prepare("UPDATE events SET action = 'book.deleted'").run()).rejects.toThrow(/append-only/);
    const next = await env.DB.prepare("INSERT INTO events (at, action) VALUES ('2026-01-04T00:00:00.000Z', 'policy.changed') RETURNING id").first<{ id: number }>();
    expect(next!.id).toBe(Number(before[2]!.id) + 1);
  });

  it('still anonymises a deleted user’s events', async () => {
    await env.DB.prepare('DELETE FROM users WHERE id = 2').run();
    expect(await env.DB.prepare('SELECT count(*) AS n FROM events WHERE user_id = 2 OR actor_id = 2').first('n')).toBe(0);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM events').first('n')).toBe(4);
  });
});
