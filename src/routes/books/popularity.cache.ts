import type { Context } from 'hono';
import type { AppEnv } from '../../env';

/**
 * The popular-books ranking lives in Workers KV under one key (the top 50; a request slices
 * its `limit`). Every change to loans or books deletes it in the same request, so the next read
 * recomputes; the TTL only bounds a stale write that raced an invalidation.
 */
export const POPULARITY_KEY = 'popularity:top50:v1';
export const POPULARITY_MAX = 50;
export const POPULARITY_TTL_SECONDS = 300;

/** Call after any write that changes loans or books. KV trouble is logged, never a 5xx. */
export async function invalidatePopularity(c: Context<AppEnv>): Promise<void> {
  try {
    await c.env.CACHE.delete(POPULARITY_KEY);
  } catch {
    console.warn(JSON.stringify({ level: 'warn', msg: 'popularity cache invalidation failed', id: c.get('requestId') }));
  }
}
