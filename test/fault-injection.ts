import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import app from '../src/app';
import { auditPassed, d1Runner, formatVerdicts, runAudit } from '../src/db/audit';
import type { Bindings } from '../src/env';
import { freshIp } from './helpers';

/** Messages D1 throws in production for its bad moments (D1 docs, "Debug D1", list of D1_ERRORs). */
export const D1_TRANSIENT = {
  networkLost: 'D1_ERROR: Network connection lost.',
  overloaded: 'D1_ERROR: D1 DB is overloaded. Requests queued for too long.',
  tooManyQueued: 'D1_ERROR: D1 DB is overloaded. Too many requests queued.',
  codeUpdated: 'D1_ERROR: D1 DB reset because its code was updated.',
  storageTimeout: 'D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.',
  storageReset: 'D1_ERROR: Internal error in D1 DB storage caused object to be reset.',
  startingUp: 'D1_ERROR: Internal error while starting up D1 DB storage caused object to be reset.',
  unreachable: 'D1_ERROR: Cannot resolve D1 DB due to transient issue on remote node.',
} as const;

export interface D1Fault {
  /** Which calls count: statement executions (all/run/first/raw), batches, or both. */
  on: 'statement' | 'batch' | 'any';
  /** The 1-based call that fails. */
  nth: number;
  message: string;
  /** `before`: nothing reaches the database; `after`: the call ran and committed, then the answer was lost. */
  when?: 'before' | 'after';
  /** How many calls fail from the nth on (default 1). */
  times?: number;
}

export interface FaultyD1 {
  db: D1Database;
  /** Calls counted so far, by kind. */
  calls: { statement: number; batch: number };
  /** Calls that were failed. */
  failed: number;
}

/**
 * Wraps a D1 binding: counts every statement execution and batch, fails the chosen one with a
 * real-looking D1 error, and can delay every call. Sessions (`withSession`) are wrapped the same way.
 */
export function faultyD1(real: D1Database, fault?: D1Fault, delayMs = 0): FaultyD1 {
  const state: FaultyD1 = { db: real, calls: { statement: 0, batch: 0 }, failed: 0 };
  const realOf = new WeakMap<object, D1PreparedStatement>();

  const gate = async <T>(kind: 'statement' | 'batch', work: () => Promise<T>): Promise<T> => {
    state.calls[kind] += 1;
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const count = fault?.on === 'any' ? state.calls.statement + state.calls.batch : state.calls[kind];
    const hit = fault && (fault.on === 'any' || fault.on === kind) && count >= fault.nth && count < fault.nth + (fault.times ?? 1);
    if (!hit) return work();
    state.failed += 1;
    if (fault.when === 'after') await work();
    throw new Error(fault.message);
  };

  const wrapStatement = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === 'bind') return (...values: unknown[]) => wrapStatement(target.bind(...values));
        if (prop === 'all' || prop === 'run' || prop === 'first' || prop === 'raw') {
          return (...args: unknown[]) => gate('statement', () => (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args));
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    realOf.set(proxy, stmt);
    return proxy;
  };

  const wrap = <T extends Pick<D1Database, 'prepare' | 'batch'>>(db: T): T =>
    new Proxy(db, {
      get(target, prop) {
        if (prop === 'prepare') return (query: string) => wrapStatement(target.prepare(query));
        if (prop === 'batch')
          return (statements: D1PreparedStatement[]) => gate('batch', () => target.batch(statements.map((s) => realOf.get(s) ?? s)));
        if (prop === 'withSession') return (...args: unknown[]) => wrap((target as unknown as D1Database).withSession(...(args as [string])));
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

  state.db = wrap(real);
  return state;
}

export interface RequestSpec {
  method: string;
  path: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Calls the app as the Worker would, with some bindings replaced. */
export async function callWith(bindings: Partial<Bindings>, spec: RequestSpec): Promise<Response> {
  const headers = new Headers(spec.headers);
  if (!headers.has('CF-Connecting-IP')) headers.set('CF-Connecting-IP', freshIp());
  if (spec.token) headers.set('Authorization', `Bearer ${spec.token}`);
  let body: string | undefined;
  if (typeof spec.body === 'string') body = spec.body; // sent as is, with the spec's Content-Type
  else if (spec.body !== undefined) {
    body = JSON.stringify(spec.body);
    headers.set('Content-Type', 'application/json');
  }
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://library.test${spec.path}`, { method: spec.method, headers, body }), { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/**
 * Every row of every table the app writes (whatever the schema version: copies, holds, accounts,
 * idempotency records…), to compare before and after a failed write. The FTS index follows books.
 */
export async function snapshot(): Promise<string> {
  const { results: names } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%' AND name NOT LIKE 'books_fts%' ORDER BY name",
  ).all<{ name: string }>();
  const tables = names.map((row) => row.name);
  const results = await env.DB.batch(tables.map((t) => env.DB.prepare(`SELECT * FROM ${t} ORDER BY rowid`)));
  return JSON.stringify(results.map((r) => r.results));
}

/** Throws with the report when the integrity audit finds anything. */
export async function expectAuditPasses(): Promise<void> {
  const verdicts = await runAudit(d1Runner(env.DB));
  if (!auditPassed(verdicts)) throw new Error(`integrity audit failed:\n${formatVerdicts(verdicts)}`);
}
