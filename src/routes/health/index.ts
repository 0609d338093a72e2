import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { createRouter } from '../../lib/create-app';
import { json, problems } from '../../lib/openapi';
import { ApiError } from '../../lib/problem';

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
  } catch {
    throw new ApiError(503, 'SERVICE_UNAVAILABLE', 'The database is not answering.');
  }
  return c.json({ status: 'ok' as const }, 200);
});
