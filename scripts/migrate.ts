// `npm run db:migrate` applies migrations/ to local D1; `npm run db:migrate -- --remote` to the
// deployed database (the production environment in wrangler.toml). Other flags pass through.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const target = args.includes('--remote') ? ['--env', 'production'] : args.includes('--local') ? [] : ['--local'];
const result = spawnSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', ...target, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
