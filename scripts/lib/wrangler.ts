// Runs the project's wrangler (node_modules/.bin) non-interactively.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url).href);

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `npx wrangler ...args` in the repo root; `quiet` captures the output instead of showing it. */
export function wrangler(args: string[], options: { quiet?: boolean } = {}): RunResult {
  const result = spawnSync('npx', ['wrangler', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: options.quiet ? 'pipe' : 'inherit',
    maxBuffer: 256 * 1024 * 1024,
    // CI=true: no prompts, no interactive spinners.
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
  });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** Rows of a `wrangler d1 execute --json --command` query (local). */
export function d1Query<T>(sql: string, target: string[]): T[] {
  const result = wrangler(['d1', 'execute', 'DB', ...target, '--json', '--command', sql], { quiet: true });
  if (result.status !== 0) {
    throw new Error(`wrangler d1 execute failed:\n${result.stderr || result.stdout}`);
  }
  // The JSON is the last thing printed; anything before it is a banner.
  const start = result.stdout.indexOf('[');
  const parsed = JSON.parse(result.stdout.slice(start)) as { results: T[] }[];
  return parsed.flatMap((statement) => statement.results);
}

/** Each statement's rows, for several `;`-separated statements run by one `wrangler d1 execute`. */
export function d1QueryEach<T>(statements: string[], target: string[]): T[][] {
  const sql = statements.map((s) => s.trim().replace(/;$/, '')).join(';\n');
  const result = wrangler(['d1', 'execute', 'DB', ...target, '--json', '--command', sql], { quiet: true });
  if (result.status !== 0) throw new Error(`wrangler d1 execute failed:\n${result.stderr || result.stdout}`);
  const start = result.stdout.indexOf('[');
  const parsed = JSON.parse(result.stdout.slice(start)) as { results: T[] }[];
  if (parsed.length !== statements.length) throw new Error(`expected ${statements.length} results from wrangler, got ${parsed.length}`);
  return parsed.map((statement) => statement.results);
}
