// `npm run audit`: the integrity audit of the derived state (src/db/audit.ts) against local D1, or
// the deployed database with --remote. Prints each invariant with its verdict; exits 1 when one is
// violated (or could not be checked), 2 when the database could not be reached.
//
//   npm run audit                              # local D1 (the database `npm run dev` serves)
//   npm run audit -- --remote                  # the deployed database ([env.production])
//   npm run audit -- --persist-to DIR          # another local state directory
//   npm run audit -- --only books.readers --page 5000 --json
//
// Read-only: every statement is a SELECT. Tables are walked in id ranges of --page ids, several
// ranges per round trip (--per-call), so each statement stays small on a large catalogue. Local D1
// is read through Miniflare's API (the same files wrangler uses); the deployed one through
// `wrangler d1 execute --remote --json`, one call per round trip.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { auditPassed, d1Runner, formatVerdicts, type RunSql, runAudit } from '../src/db/audit.ts';
import { type LocalD1, openLocalD1 } from './lib/local-d1.ts';
import { d1QueryEach } from './lib/wrangler.ts';

const { values } = parseArgs({
  options: {
    remote: { type: 'boolean', default: false },
    env: { type: 'string' },
    'persist-to': { type: 'string' },
    only: { type: 'string', multiple: true },
    page: { type: 'string', default: '5000' },
    'per-call': { type: 'string', default: '20' },
    sample: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});

const positive = (name: 'page' | 'per-call' | 'sample', max: number) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    console.error(`audit: --${name} must be an integer from 1 to ${max}`);
    process.exit(2);
  }
  return n;
};

const target = values.remote ? ['--remote', '--env', values.env ?? 'production'] : ['--local', ...(values.env ? ['--env', values.env] : [])];
if (values['persist-to']) target.push('--persist-to', values['persist-to']);
const where = values.remote ? `the deployed database (${target.join(' ')})` : `local D1${values['persist-to'] ? ` in ${values['persist-to']}` : ''}`;

let local: LocalD1 | undefined;
let trips = 0;
let run: RunSql;
try {
  if (values.remote) run = async (statements) => d1QueryEach(statements, target);
  else {
    local = await openLocalD1(values['persist-to'] ? resolve(values['persist-to']) : undefined);
    run = d1Runner(local.db);
  }
} catch (err) {
  console.error(`audit: could not open ${where}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
const counted: RunSql = (statements) => {
  trips++;
  return run(statements);
};

const started = performance.now();
console.log(`integrity audit of ${where}\n`);
let verdicts;
try {
  verdicts = await runAudit(counted, {
    page: positive('page', 100_000),
    perTrip: positive('per-call', 100),
    sample: positive('sample', 100),
    ...(values.only ? { only: values.only } : {}),
  });
} catch (err) {
  console.error(`audit: could not read the database: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
} finally {
  await local?.dispose();
}
if (values.json) console.log(JSON.stringify(verdicts, null, 2));
else console.log(formatVerdicts(verdicts));

const count = (status: string) => verdicts.filter((v) => v.status === status).length;
const passed = auditPassed(verdicts);
console.log(
  `\n${passed ? 'PASSED' : 'FAILED'}: ${count('ok')} ok, ${count('violated')} violated, ${count('error')} could not run, ${count('skipped')} skipped ` +
    `(${trips} round trips, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
);
process.exit(passed ? 0 : 1);
