import { createMiddleware } from 'hono/factory';
import { createDb } from '../db/client';
import { instrumentD1, newD1Stats } from '../db/instrument';
import type { AppEnv } from '../env';

/**
 * One Drizzle client per request, over a D1 binding that counts what the request costs.
 *
 * The cost is published in `Server-Timing` on 2xx/3xx answers only. A refusal's cost says what
 * the refused request found (rows read by a wrong-password login, by another member's loan, by a
 * forbidden list), so any answer of 400 or above carries no Server-Timing at all: every refusal
 * then looks exactly like its "missing" twin. Routes never set the header themselves. The request
 * log line still records the cost of every answer, for operators.
 */
export const database = () =>
  createMiddleware<AppEnv>(async function database(c, next) {
    const started = performance.now();
    const stats = newD1Stats();
    c.set('d1Stats', stats);
    c.set('db', createDb(instrumentD1(c.env.DB, stats)));
    await next();
    // onError and notFound have rendered by now, so this sees every answer, errors included.
    if (c.res.status >= 400) {
      c.res.headers.delete('Server-Timing');
      return;
    }
    c.header(
      'Server-Timing',
      [
        `d1;dur=${stats.ms.toFixed(1)};desc="D1 time"`,
        `d1_round_trips;desc="${stats.roundTrips}"`,
        `d1_rows_read;desc="${stats.rowsRead}"`,
        `d1_rows_written;desc="${stats.rowsWritten}"`,
        `app;dur=${(performance.now() - started).toFixed(1)}`,
      ].join(', '),
    );
  });
