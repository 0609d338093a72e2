import { sql, type SQL } from 'drizzle-orm';
import type { SQLiteRaw } from 'drizzle-orm/sqlite-core/query-builders/raw';
import type { Database } from './client';

/**
 * Raw SQL (CTEs, INSERT … SELECT with computed choices) usable inside `db.batch()`. Drizzle's D1
 * batch binds parameters on a prepared statement that its raw queries do not carry (drizzle-orm
 * 0.45), so this prepares one for them; outside a batch they run as usual.
 */
function batchable<T>(db: Database, raw: SQLiteRaw<T>): SQLiteRaw<T> {
  const client = (db as unknown as { session: { client: D1Database } }).session.client;
  Object.assign(raw, { stmt: client.prepare(raw.getQuery().sql) });
  return raw;
}

/** Rows of a raw SELECT (or a statement with RETURNING). */
export const rawAll = <T>(db: Database, query: SQL) => batchable(db, db.all<T>(query));

/** A raw write; its D1 result says how many rows it changed (`meta.changes`). */
export const rawRun = (db: Database, query: SQL) => batchable(db, db.run(query));

/**
 * A lookup key that names its row only while `condition` holds, else NULL (the lookup reads no
 * row): for probes only a refusal needs, e.g. `keyWhen(sql`changes() = 0`, id)` right after a write.
 */
export const keyWhen = (condition: SQL, key: number | string | SQL) => sql`CASE WHEN ${condition} THEN ${key} END`;

/** True right after a write that changed no row (D1 runs a batch's statements on one connection, in order). */
export const nothingChanged = sql`changes() = 0`;
