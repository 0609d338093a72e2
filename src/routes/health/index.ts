import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { createRouter } from '../../lib/create-app';
import { json, problems } from '../../lib/openapi';
import { d1ErrorSummary, transientD1Failure } from '../../db/failures';
import { databaseUnavailable } from '../../lib/problem';

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['Service'],
  summary: 'Liveness and database reachability',
  responses: {
    200: json(z.object({ status: z.literal('ok') }).openapi('Health'), 'D1 answers'),
    ...problems([503]),
  },
});

export const healthRouter = createRouter().openapi(health, async (c) => {
  try {
    await c.var.db.run(sql`SELECT 1`);
  } catch (err) {
    // Whatever D1 says, the answer to a probe is "not now": 503 with Retry-After, and a log line.
    const transient = transientD1Failure(err);
    console.warn(
      JSON.stringify({ level: 'warn', msg: 'health check: database not answering', id: c.get('requestId'), reason: transient?.reason ?? d1ErrorSummary(err) ?? 'unknown' }),
    );
    throw databaseUnavailable(transient?.retryAfter ?? 5);
  }
  return c.json({ status: 'ok' as const }, 200);
});
