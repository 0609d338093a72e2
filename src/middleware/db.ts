import { createMiddleware } from 'hono/factory';
import { createDb } from '../db/client';
import { instrumentD1, newD1Stats } from '../db/instrument';
import type { AppEnv } from '../env';

/** One Drizzle client per request, over a D1 binding that counts what the request costs. */
export const database = () =>
  createMiddleware<AppEnv>(async function database(c, next) {
    const started = performance.now();
    const stats = newD1Stats();
    c.set('d1Stats', stats);
    c.set('db', createDb(instrumentD1(c.env.DB, stats)));
    await next();
    // Cost made visible to browsers and to `npm run bench`.
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
