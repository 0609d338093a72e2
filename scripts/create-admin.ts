// Creates an admin, or promotes an existing user to admin, in local D1 (default) or the deployed
// database (--remote). The public API never grants the admin role to an anonymous caller.
//
//   npm run create-admin -- --email ada@example.org --password 'a long passphrase' [--first-name Ada] [--last-name Lovelace] [--remote]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { hashPassword } from '../src/lib/password.ts';

const { values } = parseArgs({
  options: {
    email: { type: 'string' },
    password: { type: 'string' },
    'first-name': { type: 'string', default: 'Library' },
    'last-name': { type: 'string', default: 'Admin' },
    remote: { type: 'boolean', default: false },
    'persist-to': { type: 'string' },
  },
});

const fail = (message: string): never => {
  console.error(`create-admin: ${message}`);
  process.exit(1);
};

const email = values.email?.trim().toLowerCase() ?? fail('--email is required');
const password = values.password ?? fail('--password is required');
if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) fail('--email is not a valid address');
if (password.length < 8 || password.length > 128) fail('--password must be 8 to 128 characters');

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const hash = await hashPassword(password);

// Promotes an existing account without touching its password; creates it otherwise.
const sql = `INSERT INTO users (first_name, last_name, email, password_hash, role)
VALUES (${quote(values['first-name']!)}, ${quote(values['last-name']!)}, ${quote(email)}, ${quote(hash)}, 'admin')
ON CONFLICT (email) DO UPDATE SET role = 'admin';`;

const target = values.remote ? ['--remote', '--env', 'production'] : ['--local'];
if (values['persist-to']) target.push('--persist-to', values['persist-to']);
const run = (args: string[]) => spawnSync('npx', ['wrangler', ...args], { stdio: 'inherit', env: { ...process.env, CI: 'true' } });

if (!values.remote) {
  // A fresh clone may not have a local database yet.
  run(['d1', 'migrations', 'apply', 'DB', ...target]);
}
const result = run(['d1', 'execute', 'DB', ...target, '--command', sql]);
if (result.status !== 0) fail('wrangler d1 execute failed (see above)');
console.log(`\n${email} is an admin ${values.remote ? 'in the deployed database' : 'in local D1'}. Log in with POST /users/login.`);
