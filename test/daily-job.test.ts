import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DAILY_STEPS, type DailyStep, type JobContext, runDailyJob } from '../src/jobs/daily';
import worker from '../src/index';

describe('the daily job', () => {
  afterEach(() => {
    DAILY_STEPS.splice(0, DAILY_STEPS.length, ...original);
    vi.restoreAllMocks();
  });
  const original = [...DAILY_STEPS];

  it('is the Worker’s scheduled handler and runs every step with the trigger’s scheduled time as its clock', async () => {
    const seen: JobContext[] = [];
    DAILY_STEPS.push({ name: 'probe', run: async (context) => (seen.push(context), 0) });
    const controller = createScheduledController({ scheduledTime: new Date('2033-02-28T03:00:00Z'), cron: '0 3 * * *' });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ today: '2033-02-28', events: { actorId: null, at: '2033-02-28T03:00:00.000Z' } });
  });

  it('runs steps in order, reports rows changed and D1 cost, and a second run on the same day changes nothing', async () => {
    // A step built as the real ones are: a conditional write keyed on the date, idempotent by construction.
    await env.DB.prepare("CREATE TABLE IF NOT EXISTS job_probe (day TEXT PRIMARY KEY)").run();
    const order: string[] = [];
    const markDay: DailyStep = {
      name: 'mark day',
      run: async ({ db, today }) => {
        order.push('mark day');
        const result = await db.$client.prepare('INSERT INTO job_probe (day) VALUES (?) ON CONFLICT DO NOTHING').bind(today).run();
        return result.meta.changes;
      },
    };
    const second: DailyStep = { name: 'second', run: async () => (order.push('second'), 0) };
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const now = new Date('2033-03-01T03:00:00Z');
    const first = await runDailyJob(env, now, [markDay, second]);
    expect(order).toEqual(['mark day', 'second']);
    expect(first[0]).toMatchObject({ step: 'mark day', changed: 1, ok: true, d1_queries: 1 });
    expect(first[0]!.d1_rows_written).toBeGreaterThan(0);
    const again = await runDailyJob(env, now, [markDay, second]);
    expect(again[0]).toMatchObject({ changed: 0, d1_rows_written: 0 });
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line))).filter((line) => line.msg === 'daily job step')).toHaveLength(4);
  });

  it('deletes idempotency records older than 24 h, once', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const now = new Date('2033-04-01T03:00:00Z').getTime();
    const insert = (key: string, age: number) =>
      env.DB.prepare("INSERT INTO idempotency_keys (scope, key, fingerprint, status, created_at) VALUES ('user:1 POST /books', ?, 'f', 201, ?)")
        .bind(key, now - age)
        .run();
    await insert('old', 24 * 3600_000 + 1);
    await insert('day-old', 24 * 3600_000);
    await insert('fresh', 3600_000);
    const [first] = await runDailyJob(env, new Date(now));
    expect(first).toMatchObject({ step: 'delete expired idempotency records', changed: 2, ok: true });
    const keys = await env.DB.prepare('SELECT key FROM idempotency_keys ORDER BY key').all();
    expect(keys.results).toEqual([{ key: 'fresh' }]);
    const [second] = await runDailyJob(env, new Date(now));
    expect(second).toMatchObject({ changed: 0 });
  });

  it('a failing step is logged without its parameters, the others still run, and the run fails', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const ran: string[] = [];
    const broken: DailyStep = {
      name: 'broken',
      run: async ({ db }) => {
        await db.$client.prepare('SELECT * FROM no_such_table WHERE secret = ?').bind('s3cret').all();
        return 0;
      },
    };
    const after: DailyStep = { name: 'after', run: async () => (ran.push('after'), 0) };
    await expect(runDailyJob(env, new Date('2033-03-02T03:00:00Z'), [broken, after])).rejects.toThrow('broken failed');
    expect(ran).toEqual(['after']);
    const logged = error.mock.calls.map(([line]) => String(line)).join('\n');
    expect(logged).toContain('"step":"broken"');
    expect(logged).not.toContain('s3cret');
  });
});
