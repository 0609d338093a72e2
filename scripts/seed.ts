// `npm run seed`: demo data in LOCAL D1 (the database `npm run dev` serves).
//
//   npm run seed                                  # 20 members, 1 admin, 300 books, 200 loans
//   npm run seed -- --books 10000 --loans 50000   # scale data
//   npm run seed -- --persist-to /tmp/seed-state  # another local state directory
//
// Flags: --books N, --loans N, --members N, --persist-to DIR, --sql FILE (keep the generated SQL).
// It REPLACES all users, books and loans of the local database with the demo set (explicit ids,
// a seeded random generator), so running it twice gives the same rows. The demo password hashes
// already stored are reused when they still match, so a re-run leaves even those unchanged.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hashPassword, needsRehash, verifyPassword } from '../src/lib/password.ts';
import { POPULARITY_KEY } from '../src/routes/books/popularity.cache.ts';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  DEFAULTS,
  MEMBER_PASSWORD,
  generateSeed,
  seedStatements,
  DELETE_GUARDS_QUERY,
  type DeleteGuard,
  todayUtc,
} from './lib/seed-data.ts';
import { d1Query, wrangler } from './lib/wrangler.ts';


const { values } = parseArgs({
  options: {
    books: { type: 'string', default: String(DEFAULTS.books) },
    loans: { type: 'string', default: String(DEFAULTS.loans) },
    members: { type: 'string', default: String(DEFAULTS.members) },
    'persist-to': { type: 'string' },
    sql: { type: 'string' },
  },
});

const fail = (message: string): never => {
  console.error(`seed: ${message}`);
  process.exit(1);
};

const count = (name: 'books' | 'loans' | 'members', min: number) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min || n > 1_000_000) fail(`--${name} must be an integer from ${min} to 1000000`);
  return n;
};
const books = count('books', 0);
const loans = count('loans', 0);
const members = count('members', 1);

const target = ['--local'];
if (values['persist-to']) target.push('--persist-to', values['persist-to']);
const started = performance.now();

// 1. Schema (a fresh clone has no local database yet).
if (wrangler(['d1', 'migrations', 'apply', 'DB', ...target]).status !== 0) fail('applying migrations failed (see above)');

// 2. Password hashes: reuse the stored ones when they still verify, so a re-run changes nothing.
const memberEmail = generateSeed({ books: 0, loans: 0, members: 1, memberHash: '', adminHash: '' }).demoMember.email;
const stored = new Map(
  d1Query<{ email: string; password_hash: string }>(
    `SELECT email, password_hash FROM users WHERE email IN ('${ADMIN_EMAIL}', '${memberEmail}')`,
    target,
  ).map((row) => [row.email, row.password_hash]),
);
async function hashFor(email: string, password: string): Promise<string> {
  const existing = stored.get(email);
  return existing && !needsRehash(existing) && (await verifyPassword(password, existing)) ? existing : hashPassword(password);
}
const adminHash = await hashFor(ADMIN_EMAIL, ADMIN_PASSWORD);
const memberHash = await hashFor(memberEmail, MEMBER_PASSWORD);

// 3. Generate and execute the SQL.
const today = todayUtc();
const data = generateSeed({ books, loans, members, memberHash, adminHash, today });
const statements = [...seedStatements(data, d1Query<DeleteGuard>(DELETE_GUARDS_QUERY, target))];
const workDir = mkdtempSync(join(tmpdir(), 'library-seed-'));
const file = values.sql ?? join(workDir, 'seed.sql');
writeFileSync(file, `-- npm run seed (${today}): ${members} members, ${books} books, ${loans} loans\n${statements.join('\n')}\n`);
console.log(
  `\nseed: ${data.users.length} users, ${data.books.length} books, ${data.loans.length} loans ` +
    `(${data.stats.active} active, ${data.stats.overdue} overdue, ${data.stats.returned} returned; ` +
    `${data.stats.loanBooks} loan_books rows), ${data.stats.copies} copies, ${data.stats.holds} holds in ${statements.length} statements`,
);
const executed = wrangler(['d1', 'execute', 'DB', ...target, '--file', file, '--yes'], { quiet: true });
rmSync(workDir, { recursive: true, force: true });
if (executed.status !== 0) fail(`wrangler d1 execute failed:\n${executed.stderr || executed.stdout}`);

// 4. The cached popularity ranking describes the old data: drop it (local KV, same state dir).
const kv = wrangler(['kv', 'key', 'delete', POPULARITY_KEY, '--binding', 'CACHE', ...target], { quiet: true });
if (kv.status !== 0) console.warn(`seed: could not clear the cached popularity ranking (it expires within 60 seconds):\n${kv.stderr}`);

// 5. Check what landed.
const [check] = d1Query<Record<string, number>>(
  `SELECT (SELECT count(*) FROM users) AS users,
          (SELECT count(*) FROM users WHERE role = 'admin') AS admins,
          (SELECT count(*) FROM books) AS books,
          (SELECT count(*) FROM loans) AS loans,
          (SELECT count(*) FROM loans WHERE return_date IS NULL) AS open_loans,
          (SELECT count(*) FROM loan_books) AS loan_books,
          (SELECT count(*) FROM loan_books WHERE active = 1) AS active_loan_books,
          (SELECT count(*) FROM copies WHERE status = 'on_loan') AS copies_on_loan,
          (SELECT count(*) FROM copies) AS copies,
          (SELECT count(*) FROM holds WHERE status = 'waiting') AS holds_waiting,
          (SELECT sum(holds_waiting) FROM books) AS book_holds_waiting,
          (SELECT sum(copies) - sum(available_copies) FROM books) AS copies_not_available,
          (SELECT count(*) FROM books_fts WHERE books_fts MATCH '"garden"') AS fts_garden,
          (SELECT count(*) FROM books WHERE title LIKE '%garden%' OR author LIKE '%garden%' OR genre LIKE '%garden%') AS like_garden,
          (SELECT group_concat(name || '=' || value, ' ') FROM counters WHERE name IN ('users', 'books', 'loans')) AS counters`,
  target,
);
console.log(`seed: database now holds ${Object.entries(check ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')}`);
if (
  !check ||
  check.users !== data.users.length ||
  check.books !== data.books.length ||
  check.loans !== data.loans.length ||
  check.loan_books !== data.stats.loanBooks ||
  check.active_loan_books !== data.stats.booksOnLoan ||
  check.copies_on_loan !== data.stats.booksOnLoan ||
  check.copies_not_available !== data.stats.booksOnLoan ||
  check.copies !== data.stats.copies ||
  check.holds_waiting !== data.stats.holds ||
  check.book_holds_waiting !== data.stats.holds ||
  check.fts_garden !== check.like_garden
) {
  fail('the row counts do not match what was generated');
}

const where = values['persist-to'] ? ` (state in ${values['persist-to']})` : '';
console.log(`
Seeded local D1${where} in ${((performance.now() - started) / 1000).toFixed(1)} s. This replaced all local users, books and loans.
Start the API with \`npm run dev${values['persist-to'] ? ` -- --persist-to ${values['persist-to']}` : ''}\`, then log in:

  Member: ${data.demoMember.email} / ${MEMBER_PASSWORD}   (all ${members} members share this password)
  Admin:  ${ADMIN_EMAIL} / ${ADMIN_PASSWORD}

  curl -s http://localhost:8787/users/login -H 'content-type: application/json' \\
    -d '{"email": "${data.demoMember.email}", "password": "${MEMBER_PASSWORD}"}'
  curl -s http://localhost:8787/users/login -H 'content-type: application/json' \\
    -d '{"email": "${ADMIN_EMAIL}", "password": "${ADMIN_PASSWORD}"}'

  TOKEN=$(curl -s http://localhost:8787/users/login -H 'content-type: application/json' \\
    -d '{"email": "${ADMIN_EMAIL}", "password": "${ADMIN_PASSWORD}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')
  curl -s 'http://localhost:8787/loans?status=overdue' -H "authorization: Bearer $TOKEN"
`);
