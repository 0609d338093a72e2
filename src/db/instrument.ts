import { batchClass, statementClass, tagFailure } from './failures';

/** What one request cost in D1: each round trip is a network hop from the edge; D1 bills rows read. */
export interface D1Stats {
  roundTrips: number;
  rowsRead: number;
  rowsWritten: number;
  ms: number;
}

export const newD1Stats = (): D1Stats => ({ roundTrips: 0, rowsRead: 0, rowsWritten: 0, ms: 0 });

const UNWRAPPED = Symbol('unwrapped');
const STATEMENT = Symbol('statement class');

type Meta = { rows_read?: number; rows_written?: number } | undefined;

/** What Drizzle and the app call on a database: the binding itself or one of its D1 sessions. */
export type D1Queryable = Pick<D1Database, 'prepare' | 'batch'>;

/**
 * Wraps a D1 binding or session so every call is counted in `stats` (for Server-Timing, the bench
 * and cost tests). `raw()` reports no `meta`, so it is served from `all()`, the same mapping Drizzle
 * applies to batch results. Anything else (a session's `getBookmark`) passes through untouched.
 */
export function instrumentD1<T extends D1Queryable>(db: T, stats: D1Stats): T {
  // A failure is tagged with its statement class ("insert loans"), so the error log can say what
  // failed without the SQL's parameters (see ./failures).
  const timed = async <T>(statement: string, work: () => Promise<T>, metas: (result: T) => Meta[]): Promise<T> => {
    const started = performance.now();
    stats.roundTrips += 1;
    try {
      const result = await work();
      for (const meta of metas(result)) {
        stats.rowsRead += meta?.rows_read ?? 0;
        stats.rowsWritten += meta?.rows_written ?? 0;
      }
      return result;
    } catch (err) {
      tagFailure(err, statement);
      throw err;
    } finally {
      stats.ms += performance.now() - started;
    }
  };

  const wrapStatement = (stmt: D1PreparedStatement, statement: string): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        switch (prop) {
          case UNWRAPPED:
            return target;
          case STATEMENT:
            return statement;
          case 'bind':
            return (...values: unknown[]) => wrapStatement(target.bind(...values), statement);
          case 'all':
            return () => timed(statement, () => target.all(), (r) => [r.meta]);
          case 'run':
            return () => timed(statement, () => target.run(), (r) => [r.meta]);
          case 'first':
            return (column?: string) =>
              timed(
                statement,
                () => target.all<Record<string, unknown>>(),
                (r) => [r.meta],
              ).then((r) => {
                const row = r.results[0];
                return row === undefined ? null : column === undefined ? row : row[column];
              });
          case 'raw':
            return (options?: { columnNames?: boolean }) =>
              timed(statement, () => target.all<Record<string, unknown>>(), (r) => [r.meta]).then((r) => {
                const rows = r.results.map((row) => Object.values(row));
                return options?.columnNames ? [Object.keys(r.results[0] ?? {}), ...rows] : rows;
              });
          default: {
            const value = Reflect.get(target, prop, target);
            return typeof value === 'function' ? value.bind(target) : value;
          }
        }
      },
    });

  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => wrapStatement(target.prepare(query), statementClass(query));
      if (prop === 'batch')
        return (statements: D1PreparedStatement[]) =>
          timed(
            batchClass(statements.map(classOf)),
            () => target.batch(statements.map(unwrap)),
            (results) => results.map((r) => r.meta),
          );
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const classOf = (stmt: D1PreparedStatement): string =>
  ((stmt as unknown as Record<symbol, string | undefined>)[STATEMENT] ?? 'statement') as string;

/** D1's batch() needs its own statement objects, not proxies. */
function unwrap(stmt: D1PreparedStatement): D1PreparedStatement {
  return ((stmt as unknown as Record<symbol, D1PreparedStatement>)[UNWRAPPED] ?? stmt) as D1PreparedStatement;
}
