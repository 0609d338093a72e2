import { z } from '@hono/zod-openapi';
import { and, eq, lte, sql, type SQL } from 'drizzle-orm';
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import type { Context } from 'hono';
import type { Database } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { idempotencyKeys } from '../db/schema';
import type { AppEnv } from '../env';
import { ApiError, validationFailed } from './problem';

/**
 * Idempotent retries for POST (the contract's "Idempotent retries"), recorded in the write's own batch:
 *
 *   open    forget this key's expired record, delete a few other expired ones, claim the key (INSERT).
 *           A live record already there aborts the whole batch on the primary key: the request is a
 *           repeat, and `replayIdempotent` answers it from the record in one more round trip.
 *   write   the route's statements, unchanged.
 *   settle  right after the statement whose change means success (after each, for a write that can
 *           succeed more than one way): records the status and the resource's id, `WHERE changes() > 0`.
 *           It updates one row exactly when that write changed something, so a following statement
 *           that tests `changes() = 1` still sees the same answer.
 *   close   last: deletes the claim when nothing was settled, so a refused request leaves no record.
 *
 * One batch is atomic, so the record exists exactly when the change does; racing repeats are
 * serialised by D1 and all but the first find the record.
 */

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const KEY = /^[A-Za-z0-9._:-]{1,255}$/;
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Expired records each write deletes on the way (through the created_at index), besides its own. */
const OPPORTUNISTIC_CLEANUP = 10;

/** Objects with sorted keys, so two spellings of one JSON value fingerprint alike. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export async function fingerprint(body: unknown): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(canonical(body))));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export class Idempotency {
  constructor(
    readonly scope: string,
    readonly key: string,
    readonly fingerprint: string,
    readonly now: number,
  ) {}

  private get cutoff() {
    return this.now - IDEMPOTENCY_TTL_MS;
  }

  private get own(): SQL {
    return and(eq(idempotencyKeys.scope, this.scope), eq(idempotencyKeys.key, this.key))!;
  }

  open(db: Database) {
    return [
      db.delete(idempotencyKeys).where(and(this.own, lte(idempotencyKeys.created_at, this.cutoff))),
      expiredBatch(db, this.now, OPPORTUNISTIC_CLEANUP),
      db.insert(idempotencyKeys).values({ scope: this.scope, key: this.key, fingerprint: this.fingerprint, created_at: this.now }),
    ] as const;
  }

  /** `resourceId`: the id the answer is about (a scalar subquery may name it), or 'inserted' for the row the write just inserted. */
  settle(db: Database, status: number, resourceId: Settle['resourceId']) {
    const id = resourceId === 'inserted' ? sql`last_insert_rowid()` : resourceId;
    return db
      .update(idempotencyKeys)
      .set({ status, resource_id: id as number | null })
      .where(and(this.own, sql`changes() > 0`));
  }

  close(db: Database) {
    return db.delete(idempotencyKeys).where(and(this.own, sql`${idempotencyKeys.status} IS NULL`));
  }

  /** The record as a subquery: the answer's resource id, for replay statements. */
  resourceId(db: Database) {
    return db.select({ id: idempotencyKeys.resource_id }).from(idempotencyKeys).where(this.own);
  }

  record(db: Database) {
    return db
      .select({ fingerprint: idempotencyKeys.fingerprint, status: idempotencyKeys.status, resource_id: idempotencyKeys.resource_id })
      .from(idempotencyKeys)
      .where(this.own);
  }
}

/** Deletes up to `limit` records older than 24 h, oldest first, through the created_at index. */
const expiredBatch = (db: Database, now: number, limit: number) =>
  db.delete(idempotencyKeys).where(
    sql`rowid IN (SELECT rowid FROM ${idempotencyKeys} WHERE ${idempotencyKeys.created_at} <= ${now - IDEMPOTENCY_TTL_MS} ORDER BY ${idempotencyKeys.created_at} LIMIT ${limit})`,
  );

/**
 * Deletes every record older than 24 h (the daily job calls this). Walks the created_at index over
 * the expired records only, never the whole table. Returns how many went.
 */
export async function deleteExpiredIdempotencyKeys(db: Database, now: Date | number): Promise<number> {
  const cutoff = (typeof now === 'number' ? now : now.getTime()) - IDEMPOTENCY_TTL_MS;
  const deleted = await db.delete(idempotencyKeys).where(lte(idempotencyKeys.created_at, cutoff)).returning({ key: idempotencyKeys.key });
  return deleted.length;
}

/**
 * The request's Idempotency-Key, scoped to the caller (the verified token's user, else the client
 * IP) + method + path (ids included, query excluded), with the body's fingerprint; undefined when no
 * key is sent; 400 for a malformed one.
 */
export async function idempotencyOf(c: Context<AppEnv>): Promise<Idempotency | undefined> {
  const key = c.req.header(IDEMPOTENCY_HEADER);
  if (key === undefined) return undefined;
  if (!KEY.test(key)) {
    throw validationFailed({ [IDEMPOTENCY_HEADER]: ['Must be 1 to 255 characters of A-Z, a-z, 0-9, ".", "_", ":" and "-".'] });
  }
  const token = c.get('token');
  const caller = token ? `user:${token.id}` : `ip:${c.req.header('CF-Connecting-IP') ?? 'unknown'}`;
  // bodyGuard has parsed (and cached) the body; an absent one reads as {}.
  const body: unknown = await c.req.json().catch(() => ({}));
  return new Idempotency(`${caller} ${c.req.method} ${c.req.path}`, key, await fingerprint(body), Date.now());
}

/** Thrown by `idempotentBatch` when the key was already used: the handler answers with a replay. */
export class IdempotentRepeat extends Error {
  constructor(readonly idempotency: Idempotency) {
    super('Idempotency-Key already used');
  }
}

export interface Settle {
  /** Index (in `statements`) of the write whose change means success. */
  after: number;
  status: number;
  resourceId: number | 'inserted' | SQL | null;
}

/**
 * Runs the write's batch, wrapped in the key's open/settle/close statements when a key was sent;
 * returns the results of `statements` alone, as `db.batch(statements)` would. A write that can
 * succeed in one of several ways (at most one per request) settles after each of them.
 */
export async function idempotentBatch<T extends readonly [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]>(
  db: Database,
  idempotency: Idempotency | undefined,
  statements: T,
  settles: Settle | readonly Settle[],
): Promise<BatchResponse<T>> {
  if (!idempotency) return db.batch(statements);
  const settleAfter = new Map(('after' in settles ? [settles] : settles).map((settle) => [settle.after, settle]));
  const all: unknown[] = [...idempotency.open(db)];
  const ours: number[] = [];
  statements.forEach((statement, index) => {
    ours.push(all.length);
    all.push(statement);
    const settle = settleAfter.get(index);
    if (settle) all.push(idempotency.settle(db, settle.status, settle.resourceId));
  });
  all.push(idempotency.close(db));
  let results: unknown[];
  try {
    results = (await db.batch(all as unknown as T)) as unknown[];
  } catch (err) {
    if (isUniqueViolation(err, 'idempotency_keys.')) throw new IdempotentRepeat(idempotency);
    throw err;
  }
  return ours.map((index) => results[index]) as unknown as BatchResponse<T>;
}

/**
 * Answers a repeat: one round trip reads the record and, through `statements(resourceId)`, the
 * resource as it is now. Another body under the key is 422 IDEMPOTENCY_KEY_REUSED; otherwise the
 * recorded status with `Idempotent-Replayed: true`; `answer` shapes the body (and throws 404 when
 * the resource has gone since).
 */
export async function replayIdempotent<T extends readonly BatchItem<'sqlite'>[]>(
  c: Context<AppEnv>,
  idempotency: Idempotency,
  statements: (resourceId: ReturnType<Idempotency['resourceId']>) => readonly [...T],
  answer: (results: BatchResponse<T>, record: { status: number; resource_id: number | null }) => { body: unknown; location?: string; etag?: number },
): Promise<Response> {
  const db = c.var.db;
  const [records, ...rest] = (await db.batch([idempotency.record(db), ...statements(idempotency.resourceId(db))] as unknown as [
    BatchItem<'sqlite'>,
  ])) as unknown as [{ fingerprint: string; status: number | null; resource_id: number | null }[], ...BatchResponse<T>];
  const record = records[0];
  if (!record || record.status === null) {
    // Gone between the two round trips (expired and cleaned): the client may simply retry.
    throw new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key expired while the request was answered; retry it.');
  }
  if (record.fingerprint !== idempotency.fingerprint) {
    throw new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request body.');
  }
  const { body, location, etag } = answer(rest as unknown as BatchResponse<T>, { status: record.status, resource_id: record.resource_id });
  c.header('Idempotent-Replayed', 'true');
  if (location) c.header('Location', location);
  if (etag !== undefined) c.header('ETag', `"${etag}"`);
  return c.json(body as object, record.status as 200);
}

/**
 * Runs a POST handler's work; a repeat of an earlier key is answered by `replayIdempotent` instead.
 * The whole adoption for a route: `idempotent(c, (key) => work(key), (resourceId) => [...reads], answer)`.
 */
export async function idempotent<R, T extends readonly BatchItem<'sqlite'>[]>(
  c: Context<AppEnv>,
  work: (idempotency: Idempotency | undefined) => Promise<R>,
  replayStatements: (resourceId: ReturnType<Idempotency['resourceId']>) => readonly [...T],
  answer: (results: BatchResponse<T>, record: { status: number; resource_id: number | null }) => { body: unknown; location?: string; etag?: number },
): Promise<R> {
  const idempotency = await idempotencyOf(c);
  try {
    return await work(idempotency);
  } catch (err) {
    // The replay's typed answer is the route's own (same status, same schema), so the cast holds.
    if (err instanceof IdempotentRepeat) return (await replayIdempotent(c, err.idempotency, replayStatements, answer)) as R;
    throw err;
  }
}

/** OpenAPI: the request header every idempotent POST documents, and the replay's response header. */
export const idempotencyKeyHeader = z.object({
  'Idempotency-Key': z.string().optional().openapi({
    description:
      '1–255 characters of `A-Z a-z 0-9 . _ : -`. A repeat within 24 h with the same body (compared as parsed JSON) changes ' +
      'nothing and answers the first success again (same status and `Location`, the resource as it is now) with ' +
      '`Idempotent-Replayed: true`; another body is 422 IDEMPOTENCY_KEY_REUSED. Scoped to the caller, method and path. ' +
      'Refused requests are not recorded.',
    example: 'checkout-7f3c2a',
  }),
});
export const replayedResponseHeader = {
  'Idempotent-Replayed': { schema: { type: 'string' as const, enum: ['true'] }, description: 'Present on a replayed answer.' },
};
