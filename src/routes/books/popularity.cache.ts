import type { Context } from 'hono';
import type { AppEnv } from '../../env';
import type { Book } from './books.queries';

/**
 * The popular-books ranking lives in Workers KV under one key (the top 50; a request slices
 * its `limit`). Every change to loans or books deletes it in the same request, so the next read
 * recomputes; the TTL only bounds a stale write that raced an invalidation.
 */
export const POPULARITY_KEY = 'popularity:top50:v1';
export const POPULARITY_MAX = 50;
export const POPULARITY_TTL_SECONDS = 60; // KV minimum: bounds how long a put that raced an invalidation can serve a stale ranking

export type Ranking = { book: Book; readers: number }[];

const warn = (c: Context<AppEnv>, msg: string) => console.warn(JSON.stringify({ level: 'warn', msg, id: c.get('requestId') }));

/** Call after any write that changes loans or books. KV trouble is logged, never a 5xx. */
export async function invalidatePopularity(c: Context<AppEnv>): Promise<void> {
  try {
    await c.env.CACHE.delete(POPULARITY_KEY);
  } catch {
    warn(c, 'popularity cache invalidation failed');
  }
}

/** The cached ranking, or null on a miss, an unreadable value or a KV failure (the caller asks D1). */
export async function readRanking(c: Context<AppEnv>): Promise<Ranking | null> {
  try {
    const value = await c.env.CACHE.get<unknown>(POPULARITY_KEY, 'json');
    return Array.isArray(value) ? (value as Ranking) : null;
  } catch {
    warn(c, 'popularity cache read failed');
    return null;
  }
}

/** Stores the ranking after the response is sent; a failed put costs the next reader a D1 query, nothing more. */
export function storeRanking(c: Context<AppEnv>, ranking: Ranking): void {
  const put = (async () => {
    try {
      await c.env.CACHE.put(POPULARITY_KEY, JSON.stringify(ranking), { expirationTtl: POPULARITY_TTL_SECONDS });
    } catch {
      warn(c, 'popularity cache write failed');
    }
  })();
  try {
    c.executionCtx.waitUntil(put);
  } catch {
    // No execution context (e.g. app.request in a unit test): the put still runs, unawaited.
  }
}
