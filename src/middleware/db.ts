import { createMiddleware } from 'hono/factory';
import { createDb } from '../db/client';
import { instrumentD1, newD1Stats } from '../db/instrument';
import type { AppEnv } from '../env';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The shape of a D1 bookmark (e.g. `00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683`):
 * hex groups joined by dashes, bounded. Anything else is ignored, so a client cannot make D1 throw.
 */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

/** The client's `X-D1-Bookmark` when it has a bookmark's shape; undefined otherwise (a fresh session). */
export function clientBookmark(header: string | undefined): string | undefined {
  const value = header?.trim();
  return value && BOOKMARK.test(value) ? value : undefined;
}

/**
 * One Drizzle client per request over a D1 session (read replication): reads start at any replica
 * (`first-unconstrained`) or at least as fresh as the client's bookmark; writes start at the primary.
 * The session's bookmark goes back in `X-D1-Bookmark` on every response that reached D1, refusals
 * included, so a client can read its own writes anywhere.
 *
 * Every call is counted; the cost is published in `Server-Timing` on 2xx/3xx answers only. A
 * refusal's cost says what the refused request found (rows read by a wrong-password login, by
 * another member's loan, by a forbidden list), so any answer of 400 or above carries no
 * Server-Timing at all: every refusal then looks exactly like its "missing" twin. Routes never set
 * the header themselves. The request log line still records the cost of every answer, for operators.
 */
export const database = () =>
  createMiddleware<AppEnv>(async function database(c, next) {
    const started = performance.now();
    const stats = newD1Stats();
    const constraint = WRITES.has(c.req.method) ? 'first-primary' : (clientBookmark(c.req.header('X-D1-Bookmark')) ?? 'first-unconstrained');
    const session = c.env.DB.withSession(constraint);
    c.set('d1Stats', stats);
    // Drizzle only calls prepare() and batch(), which a session has.
    c.set('db', createDb(instrumentD1(session, stats) as unknown as D1Database));
    await next();
    if (stats.roundTrips > 0) {
      const bookmark = session.getBookmark();
      if (bookmark) c.header('X-D1-Bookmark', bookmark);
    }
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
