// The local D1 database that `wrangler dev` / `wrangler d1 execute --local` use, opened through
// Miniflare's API: one process for many statements, instead of one wrangler run per query.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { ROOT } from './wrangler.ts';

/** The top-level `database_id` of the DB binding in wrangler.toml (wrangler keys local state by it). */
function localDatabaseId(): string {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const id = /^\s*database_id\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!id) throw new Error('no database_id in wrangler.toml');
  return id;
}

export interface LocalD1 {
  db: D1Database;
  dispose(): Promise<void>;
}

/** Opens local D1 in `.wrangler/state` (or `persistTo`, as wrangler's --persist-to). */
export async function openLocalD1(persistTo?: string): Promise<LocalD1> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      resourcePersistencePath: join(persistTo ?? join(ROOT, '.wrangler', 'state'), 'v3'),
      workers: [
        {
          name: 'local-d1',
          modules: true,
          script: 'export default { fetch() { return new Response(null, { status: 404 }); } };',
          d1Databases: { DB: localDatabaseId() },
        },
      ],
    }),
  );
  const db = (await mf.getD1Database('DB')) as unknown as D1Database;
  return { db, dispose: () => mf.dispose() };
}
