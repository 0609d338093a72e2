import { createDb, type Database } from '../db/client';
import { d1ErrorSummary, failedStatement, transientD1Failure } from '../db/failures';
import { instrumentD1, newD1Stats } from '../db/instrument';
import type { Bindings } from '../env';
import type { EventContext } from '../lib/events';
import { deleteExpiredIdempotencyKeys } from '../lib/idempotency';
import { CIRCULATION_STEPS } from './circulation-steps';

/**
 * The daily job (Cron Trigger, `[triggers] crons` in wrangler.toml): a list of steps run in order,
 * each idempotent by construction — a conditional write keyed on dates or on a row's state, so a
 * second run on the same day finds nothing left to do and changes nothing.
 *
 * A step reads only the rows due today through an index (never a scan of loans or holds), and
 * works in bounded chunks: one invocation may make at most 1,000 D1 queries, so a step that could
 * have more to do than one chunk loops, and stops at its own query budget (the next run carries on).
 *
 * To add a step:
 * append `{ name, run }` to DAILY_STEPS; `run` returns how many rows it changed, and writes its
 * events with `context.events` (actor null, one timestamp for the run).
 */
export interface JobContext {
  db: Database;
  /** The run's date (UTC, YYYY-MM-DD) from the scheduled time, so a fake clock applies. */
  today: string;
  now: Date;
  /** For `recordEvent`: the daily job acts as nobody (actor_id null). */
  events: EventContext;
}

export interface DailyStep {
  name: string;
  run(context: JobContext): Promise<number>;
}

export const DAILY_STEPS: DailyStep[] = [
  // Records older than 24 h through the created_at index (keyed writes also delete a few each).
  { name: 'delete expired idempotency records', run: ({ db, now }) => deleteExpiredIdempotencyKeys(db, now) },
  // Ready holds past pickup_by expire (the copy passes on), then the due_soon and overdue notices.
  ...CIRCULATION_STEPS,
];

export interface StepReport {
  step: string;
  changed: number;
  ok: boolean;
  d1_queries: number;
  d1_rows_read: number;
  d1_rows_written: number;
  ms: number;
}

/**
 * Runs every step; one step failing is logged and does not stop the others, and the run then
 * throws so the Cron invocation is reported as failed (and retried the next day: steps are
 * idempotent). Logs one JSON line per step: name, rows changed and D1 cost.
 */
export async function runDailyJob(env: Pick<Bindings, 'DB'>, now: Date, steps: DailyStep[] = DAILY_STEPS): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  const failed: string[] = [];
  for (const step of steps) {
    const stats = newD1Stats();
    const context: JobContext = {
      db: createDb(instrumentD1(env.DB, stats)),
      today: now.toISOString().slice(0, 10),
      now,
      events: { actorId: null, at: now.toISOString() },
    };
    const started = performance.now();
    let changed = 0;
    let ok = true;
    try {
      changed = await step.run(context);
    } catch (err) {
      ok = false;
      failed.push(step.name);
      // The statement class and D1's fixed reason only: Drizzle's message lists parameters, and some
      // of D1's own messages quote a value (src/db/failures.ts).
      console.error(
        JSON.stringify({
          level: 'error',
          msg: 'daily job step failed',
          step: step.name,
          error: err instanceof Error ? err.name : typeof err,
          statement: failedStatement(err),
          reason: transientD1Failure(err)?.reason ?? d1ErrorSummary(err),
        }),
      );
    }
    const report = {
      step: step.name,
      changed,
      ok,
      d1_queries: stats.roundTrips,
      d1_rows_read: stats.rowsRead,
      d1_rows_written: stats.rowsWritten,
      ms: Math.round((performance.now() - started) * 10) / 10,
    };
    reports.push(report);
    console.log(JSON.stringify({ level: ok ? 'info' : 'error', msg: 'daily job step', ...report }));
  }
  if (failed.length) throw new Error(`daily job: ${failed.join(', ')} failed`);
  return reports;
}

/** The Worker's `scheduled` handler: the run's clock is the trigger's scheduled time. */
export const scheduled: ExportedHandlerScheduledHandler<Bindings> = async (controller, env, ctx) => {
  ctx.waitUntil(runDailyJob(env, new Date(controller.scheduledTime)));
};
