// Serving the built Worker locally for `npm run bench` and `npm run soak`: the bundle exactly as
// deployed (`wrangler deploy --dry-run`), on workerd through Miniflare's API (not `wrangler dev`),
// with its own temporary D1, KV and rate-limit bindings, migrated and seeded with scale data.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { hashPassword } from '../../src/lib/password.ts';
import { ADMIN_PASSWORD, MEMBER_PASSWORD, type SeedData, generateSeed, seedStatements, DELETE_GUARDS_QUERY, type DeleteGuard, todayUtc } from './seed-data.ts';
import { ROOT, wrangler } from './wrangler.ts';

type V4Options = Parameters<typeof convertV4MiniflareOptions>[0];
type V4Worker = NonNullable<Extract<V4Options, { workers: unknown }>['workers']>[number];

export interface WorkerLogs {
  total: number;
  /** Warnings and errors (first `keep`), and counts by level. */
  problems: string[];
  warnings: number;
  errors: number;
}

export interface ServedWorker {
  origin: string;
  db: D1Database;
  logs: WorkerLogs;
  compatibilityDate: string;
  dispose(): Promise<void>;
}

export interface ServeOptions {
  /** Scratch directory (bundle and state); the caller removes it. */
  workDir: string;
  /** Every rate limiter's limit per 60 s; high, so the binding is called but never says no. */
  limiterLimit?: number;
  /** More workers served by the same Miniflare (e.g. a baseline at a route). */
  extraWorkers?: (compatibilityDate: string) => V4Worker[];
  /** Warnings/errors kept in `logs.problems`. */
  keep?: number;
}

/** The rate-limit bindings declared at the top of wrangler.toml: name → namespace_id. */
function rateLimiters(toml: string): Record<string, string> {
  const top = toml.split(/^\[env\./m)[0] ?? '';
  const limiters: Record<string, string> = {};
  for (const block of top.split(/^\[\[ratelimits\]\]/m).slice(1)) {
    const name = /^\s*name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    const namespace = /^\s*namespace_id\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    if (name && namespace) limiters[name] = namespace;
  }
  return limiters;
}

/** Builds the Worker as deployed and serves it on 127.0.0.1 (a free port). */
export async function serveBuiltWorker(options: ServeOptions): Promise<ServedWorker> {
  const outDir = join(options.workDir, 'dist');
  const build = wrangler(['deploy', '--dry-run', '--outdir', outDir, '--env', ''], { quiet: true });
  if (build.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${build.stderr || build.stdout}`);
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!compatibilityDate) throw new Error('no compatibility_date in wrangler.toml');
  const compatibilityFlags = [...(/^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]!);

  const limit = options.limiterLimit ?? 1_000_000_000;
  const ratelimits = Object.fromEntries(
    Object.entries(rateLimiters(toml)).map(([name, namespace_id]) => [name, { namespace_id, simple: { limit, period: 60 as const } }]),
  );
  const keep = options.keep ?? 20;
  const logs: WorkerLogs = { total: 0, problems: [], warnings: 0, errors: 0 };
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      resourcePersistencePath: join(options.workDir, 'state'),
      // The app logs one JSON line per request: count them, keep warnings and errors.
      handleStructuredLogs: ({ level, message }) => {
        logs.total++;
        const warn = level === 'warn' || /"level":"warn"/.test(message);
        const error = level === 'error' || /"level":"error"/.test(message);
        if (warn) logs.warnings++;
        if (error) logs.errors++;
        if ((warn || error) && logs.problems.length < keep) logs.problems.push(message.slice(0, 300));
      },
      workers: [
        {
          name: 'library-api',
          scriptPath: join(outDir, 'index.js'),
          modulesRoot: outDir, // module names relative to the bundle, not to the cwd
          modules: true,
          compatibilityDate,
          compatibilityFlags,
          bindings: { JWT_SECRET: randomBytes(48).toString('base64url'), CORS_ORIGINS: '' },
          d1Databases: { DB: 'served-db' },
          kvNamespaces: { CACHE: 'served-cache' },
          ratelimits,
        },
        ...(options.extraWorkers?.(compatibilityDate) ?? []),
      ],
    }),
  );
  const origin = (await mf.ready).origin;
  const db = (await mf.getD1Database('DB', 'library-api')) as unknown as D1Database;
  return { origin, db, logs, compatibilityDate, dispose: () => mf.dispose() };
}

/** Applies migrations/*.sql in order, as wrangler would. */
export async function applyMigrations(db: D1Database): Promise<void> {
  const migrationsDir = join(ROOT, 'migrations');
  for (const file of readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort()) {
    const statements = readFileSync(join(migrationsDir, file), 'utf8')
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter((s) => s.replace(/^--.*$/gm, '').trim() !== '');
    await db.batch(statements.map((s) => db.prepare(s)));
  }
}

export interface ScaleOptions {
  books: number;
  loans: number;
  members: number;
}

/** `npm run seed`'s data at scale, written in batches of 25 statements. */
export async function seedScaleData(db: D1Database, options: ScaleOptions): Promise<SeedData> {
  const [memberHash, adminHash] = await Promise.all([hashPassword(MEMBER_PASSWORD), hashPassword(ADMIN_PASSWORD)]);
  const data = generateSeed({ ...options, memberHash, adminHash, today: todayUtc() });
  const guards = (await db.prepare(DELETE_GUARDS_QUERY).all<DeleteGuard>()).results;
  const seedSql = [...seedStatements(data, guards)];
  for (let i = 0; i < seedSql.length; i += 25) {
    await db.batch(seedSql.slice(i, i + 25).map((s) => db.prepare(s)));
  }
  return data;
}
