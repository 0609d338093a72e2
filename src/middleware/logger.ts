import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';

/**
 * One JSON line per request. Only these fields are logged: never bodies, headers,
 * query strings (search text), tokens, or database errors (Drizzle's carry bound parameters).
 */
export const requestLogger = () =>
  createMiddleware<AppEnv>(async function requestLogger(c, next) {
    const started = performance.now();
    await next();
    const stats = c.get('d1Stats');
    console.log(
      JSON.stringify({
        level: c.res.status >= 500 ? 'error' : 'info',
        msg: 'request',
        id: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ...(stats ? { d1_round_trips: stats.roundTrips, d1_rows_read: stats.rowsRead } : {}),
      }),
    );
  });
