// `npm run soak`: mixed traffic from many simulated patrons and librarians against the built
// Worker, with client retries and aborted requests, then the integrity audit.
//
//   npm run soak                                   # 3 minutes, 5,000 books, 20,000 loans
//   npm run soak -- --minutes 1 --concurrency 4 --books 1000 --loans 4000
//
// Serves the Worker exactly as `npm run bench` does (scripts/lib/serve.ts: the deployed bundle on
// workerd through Miniflare, temporary D1/KV, rate limits too high to say no), over loopback only.
// Bounded: stops after --minutes or --max-requests, whichever comes first (and a watchdog).
// Prints requests, status mix, 5xx, conflicts, retries and how they were answered, invariant
// violations and p50/p99; writes scripts/soak-results.json. Exit 1 unless: zero 5xx, zero
// violations, zero duplicate effects from retries.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { auditPassed, d1Runner, formatVerdicts, runAudit } from '../src/db/audit.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, MEMBER_PASSWORD, mulberry32 } from './lib/seed-data.ts';
import { applyMigrations, seedScaleData, serveBuiltWorker } from './lib/serve.ts';
import { ROOT } from './lib/wrangler.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    books: { type: 'string', default: '5000' },
    loans: { type: 'string', default: '20000' },
    patrons: { type: 'string', default: '40' },
    librarians: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '6' },
    'max-requests': { type: 'string', default: '300000' },
    'abort-rate': { type: 'string', default: '0.03' },
    'retry-rate': { type: 'string', default: '0.05' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: join(ROOT, 'scripts', 'soak-results.json') },
  },
});

const num = (name: keyof typeof values, min: number, max: number, integer = true) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    console.error(`soak: --${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
};
const MINUTES = num('minutes', 0.1, 60, false);
const BOOKS = num('books', 10, 200_000);
const LOANS = num('loans', 0, 500_000);
const PATRONS = num('patrons', 1, 500);
const LIBRARIANS = num('librarians', 1, 20);
const CONCURRENCY = num('concurrency', 1, 64);
const MAX_REQUESTS = num('max-requests', 1, 10_000_000);
const ABORT_RATE = num('abort-rate', 0, 0.5, false);
const RETRY_RATE = num('retry-rate', 0, 0.5, false);
const rnd = mulberry32(num('seed', 0, 2 ** 31));

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const workDir = mkdtempSync(join(os.tmpdir(), 'library-soak-'));
let dispose: (() => Promise<void>) | undefined;
const cleanUp = async () => {
  await dispose?.().catch(() => {});
  dispose = undefined;
  rmSync(workDir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
const watchdog = setTimeout(() => {
  console.error('soak: still running long after its time; giving up');
  void cleanUp().finally(() => process.exit(1));
}, (MINUTES + 6) * 60_000);
watchdog.unref();

// ---------------------------------------------------------------------------------------------
// Client side: requests, retries, aborts, figures.

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}
type Outcome = Answer | 'aborted';

const figures = {
  requests: 0,
  statuses: new Map<string, number>(),
  latencies: [] as number[],
  actions: new Map<string, number>(),
  aborted: 0,
  retries: 0,
  replayed: 0,
  retryAnswers: new Map<string, number>(),
  duplicates: [] as string[],
  /** Final answer of each write intent, by operation: `POST /loans 201`. */
  writes: new Map<string, number>(),
  unexpected: [] as string[],
};
const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

let origin = '';
let deadline = Number.POSITIVE_INFINITY;
const running = () => performance.now() < deadline && figures.requests < MAX_REQUESTS;
const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;

interface Req {
  method: string;
  path: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One HTTP request; `abortAfterMs` aborts it mid-flight (the client gives up, the server may not). */
async function send(req: Req, abortAfterMs?: number): Promise<Outcome> {
  const headers: Record<string, string> = { ...req.headers };
  if (req.token) headers.authorization = `Bearer ${req.token}`;
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  const controller = new AbortController();
  const timer = abortAfterMs === undefined ? undefined : setTimeout(() => controller.abort(), abortAfterMs);
  const t0 = performance.now();
  figures.requests++;
  try {
    const res = await fetch(`${origin}${req.path}`, {
      method: req.method,
      headers,
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      signal: controller.signal,
    });
    const text = await res.text();
    figures.latencies.push(performance.now() - t0);
    bump(figures.statuses, String(res.status));
    if (res.status >= 500 && figures.unexpected.length < 20) figures.unexpected.push(`${req.method} ${req.path} → ${res.status} ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, body, headers: res.headers };
  } catch (err) {
    if (controller.signal.aborted) {
      figures.aborted++;
      bump(figures.statuses, 'aborted');
      return 'aborted';
    }
    bump(figures.statuses, 'network error');
    if (figures.unexpected.length < 20) figures.unexpected.push(`${req.method} ${req.path} → ${String(err)}`);
    return 'aborted';
  } finally {
    clearTimeout(timer);
  }
}

/** `POST /loans/{id}/renew`-style operations whose OpenAPI entry takes an Idempotency-Key header. */
const idempotentOps = new Set<string>();
/** Paths the API documents (features of later branches are driven only when present). */
const documented = new Set<string>();
let checkoutTakesBarcodes = false;

/**
 * A write as a careful client makes it: an Idempotency-Key per intent; sometimes aborted mid-flight
 * or its answer treated as lost, then retried once with the same key. `retriable` says whether a
 * retry is safe without server-side idempotency (a PATCH with the same body, a return).
 * `duplicated(first, second)` says whether the retry's answer shows a second effect.
 */
async function write(
  req: Req,
  options: { op: string; retriable?: boolean; duplicated?: (first: Answer, second: Answer) => boolean },
): Promise<Answer | undefined> {
  const key = crypto.randomUUID();
  const headers = { ...req.headers, 'Idempotency-Key': key };
  const abort = rnd() < ABORT_RATE;
  const first = await send({ ...req, headers }, abort ? Math.floor(rnd() * 15) : undefined);
  const mayRetry = idempotentOps.has(options.op) || options.retriable === true;
  const lost = first === 'aborted' || first.status === 503 || rnd() < RETRY_RATE;
  if (!mayRetry || !lost || !running()) {
    bump(figures.writes, `${options.op} ${first === 'aborted' ? 'aborted' : first.status}`);
    return first === 'aborted' ? undefined : first;
  }
  figures.retries++;
  const second = await send({ ...req, headers });
  bump(figures.writes, `${options.op} ${second === 'aborted' ? 'aborted' : second.status}`);
  if (second === 'aborted') return undefined;
  const replayed = second.headers.get('idempotent-replayed') === 'true';
  if (replayed) figures.replayed++;
  bump(figures.retryAnswers, `${first === 'aborted' ? 'aborted' : first.status}→${second.status}${replayed ? ' replayed' : ''}`);
  if (first !== 'aborted' && !replayed && options.duplicated?.(first, second)) {
    figures.duplicates.push(`${req.method} ${req.path}: ${first.status} then ${second.status}`);
  }
  return second;
}

/** Two successes where the second was not a replay: the retry did the work a second time. */
const bothSucceeded = (first: Answer, second: Answer) => first.status < 300 && second.status < 300;

// ---------------------------------------------------------------------------------------------
// The simulated people.

interface Actor {
  kind: 'patron' | 'librarian';
  token: string;
  openLoans: number[];
  holds: number[];
}
const patronIds: number[] = [];

const WORDS = ['garden', 'river', 'house', 'light', 'winter', 'secret', 'storm', 'harbour', 'silent', 'map', 'fox', 'crown'];
const bookIds: number[] = [];
const randomBook = () => pick(bookIds);

type Action = { name: string; weight: number; needs?: () => boolean; run: (actor: Actor) => Promise<unknown> };

const PATRON_ACTIONS: Action[] = [
  { name: 'search', weight: 20, run: () => send({ method: 'GET', path: `/books/search?title=${pick(WORDS)}` }) },
  { name: 'browse', weight: 8, run: () => send({ method: 'GET', path: `/books?page=${1 + Math.floor(rnd() * 20)}` }) },
  { name: 'view book', weight: 10, run: () => send({ method: 'GET', path: `/books/${randomBook()}` }) },
  { name: 'popularity', weight: 4, run: () => send({ method: 'GET', path: '/books/popularity' }) },
  { name: 'my loans', weight: 5, run: (a) => send({ method: 'GET', path: '/loans', token: a.token }) },
  {
    name: 'borrow',
    weight: 14,
    async run(a) {
      const ids = [...new Set(Array.from({ length: rnd() < 0.7 ? 1 : 2 }, randomBook))];
      const answer = await write(
        { method: 'POST', path: '/loans', token: a.token, body: { book_ids: ids } },
        { op: 'POST /loans', duplicated: (first, second) => bothSucceeded(first, second) && first.body?.id !== second.body?.id },
      );
      if (answer?.status === 201) lent(a, answer.body);
    },
  },
  {
    name: 'renew',
    weight: 6,
    async run(a) {
      if (a.openLoans.length === 0) return;
      await write({ method: 'POST', path: `/loans/${pick(a.openLoans)}/renew`, token: a.token }, { op: 'POST /loans/{id}/renew', duplicated: bothSucceeded });
    },
  },
  {
    name: 'return',
    weight: 12,
    async run(a) {
      if (a.openLoans.length === 0) return;
      const id = a.openLoans.splice(Math.floor(rnd() * a.openLoans.length), 1)[0]!;
      // Returning twice is harmless: the second answers 409 LOAN_RETURNED (or replays).
      await write({ method: 'POST', path: `/loans/${id}/return`, token: a.token }, { op: 'POST /loans/{id}/return', retriable: true });
    },
  },
  // Copies and holds (when the API has them).
  {
    name: 'borrow by barcode',
    weight: 6,
    needs: () => checkoutTakesBarcodes,
    async run(a) {
      const copies = await send({ method: 'GET', path: `/books/${randomBook()}/copies` });
      if (copies === 'aborted' || copies.status !== 200) return;
      const items: { barcode?: string; status?: string }[] = copies.body?.items ?? copies.body ?? [];
      const available = items.filter((c) => c.status === 'available' && c.barcode);
      if (available.length === 0) return;
      const answer = await write(
        { method: 'POST', path: '/loans', token: a.token, body: { barcodes: [pick(available).barcode] } },
        { op: 'POST /loans', duplicated: (first, second) => bothSucceeded(first, second) && first.body?.id !== second.body?.id },
      );
      if (answer?.status === 201) lent(a, answer.body);
    },
  },
  {
    name: 'place hold',
    weight: 4,
    needs: () => documented.has('/holds'),
    async run(a) {
      const answer = await write(
        { method: 'POST', path: '/holds', token: a.token, body: { book_id: randomBook() } },
        { op: 'POST /holds', duplicated: (first, second) => bothSucceeded(first, second) && first.body?.id !== second.body?.id },
      );
      if (answer?.status === 201) a.holds.push(answer.body.id);
    },
  },
  {
    name: 'cancel hold',
    weight: 2,
    needs: () => documented.has('/holds/{id}'),
    async run(a) {
      if (a.holds.length === 0) return;
      const id = a.holds.splice(Math.floor(rnd() * a.holds.length), 1)[0]!;
      await write({ method: 'DELETE', path: `/holds/${id}`, token: a.token }, { op: 'DELETE /holds/{id}', retriable: true });
    },
  },
];

/** Remembers a new loan: its id for the patron, its copies' barcodes for the check-in desk. */
function lent(a: Actor, loan: { id: number; copies?: { barcode?: string | null }[] }) {
  a.openLoans.push(loan.id);
  for (const copy of loan.copies ?? []) if (copy.barcode) outBarcodes.push(copy.barcode);
}
const outBarcodes: string[] = [];

let titleCounter = 0;
const LIBRARIAN_ACTIONS: Action[] = [
  {
    name: 'edit book',
    weight: 10,
    async run(a) {
      const id = randomBook();
      const current = await send({ method: 'GET', path: `/books/${id}`, token: a.token });
      if (current === 'aborted' || current.status !== 200) return;
      const etag = current.headers.get('etag');
      // With If-Match (when the API sends ETags) a concurrent edit answers 412 instead of being overwritten.
      await write(
        { method: 'PATCH', path: `/books/${id}`, token: a.token, body: { genre: pick(['Fiction', 'Mystery', 'History', 'Poetry']) }, ...(etag ? { headers: { 'If-Match': etag } } : {}) },
        { op: 'PATCH /books/{id}', retriable: !etag },
      );
    },
  },
  {
    name: 'add book',
    weight: 2,
    async run(a) {
      const answer = await write(
        {
          method: 'POST',
          path: '/books',
          token: a.token,
          body: { title: `Soak ${process.pid} ${++titleCounter} ${pick(WORDS)}`, genre: 'Fiction', age_category: 'Adult', publish_date: '2020-02-02', author: 'Soak Writer' },
        },
        { op: 'POST /books', duplicated: bothSucceeded },
      );
      if (answer?.status === 201) bookIds.push(answer.body.id);
    },
  },
  { name: 'overdue loans', weight: 3, run: (a) => send({ method: 'GET', path: '/loans?status=overdue', token: a.token }) },
  {
    name: 'check in',
    weight: 6,
    needs: () => documented.has('/circulation/check-in'),
    async run(a) {
      if (outBarcodes.length === 0) return;
      const barcode = outBarcodes.splice(Math.floor(rnd() * outBarcodes.length), 1)[0]!;
      // Checking a copy in twice answers 409 COPY_NOT_ON_LOAN the second time: safe to retry.
      await write({ method: 'POST', path: '/circulation/check-in', token: a.token, body: { barcode } }, { op: 'POST /circulation/check-in', retriable: true });
    },
  },
  {
    name: 'take payment',
    weight: 3,
    needs: () => documented.has('/users/{id}/account/payments'),
    async run(a) {
      const patron = pick(patronIds);
      const account = await send({ method: 'GET', path: `/users/${patron}/account`, token: a.token });
      if (account === 'aborted' || account.status !== 200) return;
      const balance = Number(account.body?.balance_cents ?? 0);
      if (!(balance > 0)) return;
      await write(
        { method: 'POST', path: `/users/${patron}/account/payments`, token: a.token, body: { amount_cents: Math.min(balance, 1 + Math.floor(rnd() * 500)) } },
        { op: 'POST /users/{id}/account/payments', duplicated: bothSucceeded },
      );
    },
  },
  {
    name: 'charge',
    weight: 1,
    needs: () => documented.has('/users/{id}/account/charges'),
    async run(a) {
      const patron = pick(patronIds);
      await write(
        { method: 'POST', path: `/users/${patron}/account/charges`, token: a.token, body: { amount_cents: 50 + Math.floor(rnd() * 300), note: 'Soak: damaged cover' } },
        { op: 'POST /users/{id}/account/charges', duplicated: bothSucceeded },
      );
    },
  },
  { name: 'search', weight: 5, run: () => send({ method: 'GET', path: `/books/search?author=${pick(['ada', 'ben', 'chloe', 'hugo'])}` }) },
];

function choose(actions: Action[]): Action {
  const total = actions.reduce((sum, a) => sum + a.weight, 0);
  let r = rnd() * total;
  for (const action of actions) if ((r -= action.weight) < 0) return action;
  return actions[actions.length - 1]!;
}

async function login(email: string, password: string): Promise<string> {
  const res = await fetch(`${origin}/users/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const body = (await res.json()) as { token?: string };
  if (!body.token) throw new Error(`login of ${email} answered ${res.status}`);
  return body.token;
}

// ---------------------------------------------------------------------------------------------

let exitCode = 1;
try {
  const served = await serveBuiltWorker({ workDir, keep: 30 });
  dispose = served.dispose;
  origin = served.origin;
  console.log(`Library API soak — ${os.cpus()[0]?.model ?? 'CPU'}, ${os.availableParallelism()} cores; serving on ${origin} (${elapsed()})`);
  await applyMigrations(served.db);
  const data = await seedScaleData(served.db, { books: BOOKS, loans: LOANS, members: Math.max(PATRONS, 20) });
  for (const book of data.books) bookIds.push(book.id);
  console.log(`seeded ${data.books.length} books, ${data.loans.length} loans, ${data.users.length} users (${elapsed()})`);

  const doc = (await (await fetch(`${origin}/openapi.json`)).json()) as { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> };
  for (const [path, operations] of Object.entries(doc.paths)) {
    documented.add(path);
    for (const [method, operation] of Object.entries(operations)) {
      if (operation.parameters?.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')) idempotentOps.add(`${method.toUpperCase()} ${path}`);
    }
  }
  checkoutTakesBarcodes = JSON.stringify(doc).includes('"barcodes"');
  const activePatronActions = PATRON_ACTIONS.filter((a) => a.needs?.() ?? true);
  const activeLibrarianActions = LIBRARIAN_ACTIONS.filter((a) => a.needs?.() ?? true);

  // People: patrons are seeded members (with their open loans), librarians admins.
  const actors: Actor[] = [];
  const members = data.users.filter((u) => u.role === 'member').slice(0, PATRONS);
  for (const member of members) {
    const open = data.loans.filter((l) => l.user_id === member.id && l.return_date === null).map((l) => l.id);
    actors.push({ kind: 'patron', token: await login(member.email, MEMBER_PASSWORD), openLoans: open, holds: [] });
    patronIds.push(member.id);
  }
  const adminToken = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
  actors.push({ kind: 'librarian', token: adminToken, openLoans: [], holds: [] });
  // The seed dates its loans in the past, so most seeded patrons start with overdue copies and
  // would be refused every checkout, add and hold (OVERDUE_COPIES). That block is switched off so
  // the soak exercises the circulation writes; the balance block and the limits stay as stored.
  const relaxed = await fetch(`${origin}/policy`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ block_overdue_copies: 0 }),
  });
  if (!relaxed.ok) throw new Error(`PATCH /policy answered ${relaxed.status}`);
  for (let i = 1; i < LIBRARIANS; i++) {
    const email = `soak.librarian.${i}@library.example`;
    const res = await fetch(`${origin}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ first_name: 'Soak', last_name: `Librarian ${i}`, email, password: 'soak-librarian-password' }),
    });
    if (res.status !== 201) throw new Error(`registering a librarian answered ${res.status}`);
    await served.db.prepare("UPDATE users SET role = 'admin' WHERE email = ?").bind(email).run();
    actors.push({ kind: 'librarian', token: await login(email, 'soak-librarian-password'), openLoans: [], holds: [] });
  }
  const librarians = actors.filter((a) => a.kind === 'librarian');
  const patrons = actors.filter((a) => a.kind === 'patron');
  console.log(
    `${patrons.length} patrons, ${librarians.length} librarians, ${CONCURRENCY} at a time for ${MINUTES} min (≤ ${MAX_REQUESTS} requests); ` +
      `aborts ${ABORT_RATE * 100}%, lost answers ${RETRY_RATE * 100}%; Idempotency-Key on ${idempotentOps.size} operations ` +
      `(${[...idempotentOps].join(', ') || 'none'}; other writes are retried only when naturally idempotent) (${elapsed()})\n` +
      `patron actions: ${activePatronActions.map((a) => a.name).join(', ')}\nlibrarian actions: ${activeLibrarianActions.map((a) => a.name).join(', ')}\n`,
  );

  // The drive: CONCURRENCY loops, each playing a random person per step (1 in 6 a librarian).
  const figuresStart = figures.requests;
  const driveStart = performance.now();
  deadline = driveStart + MINUTES * 60_000;
  const progress = setInterval(() => {
    const s5 = figures.statuses;
    const fivexx = [...s5].filter(([k]) => k.startsWith('5')).reduce((n, [, v]) => n + v, 0);
    console.log(`  ${((performance.now() - driveStart) / 1000).toFixed(0)} s: ${figures.requests - figuresStart} requests, ${fivexx} 5xx, ${figures.retries} retries`);
  }, 30_000);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (running()) {
        const librarian = rnd() < 1 / 6;
        const actor = librarian ? pick(librarians) : pick(patrons);
        const action = choose(librarian ? activeLibrarianActions : activePatronActions);
        bump(figures.actions, `${actor.kind}: ${action.name}`);
        await action.run(actor);
      }
    }),
  );
  clearInterval(progress);
  const driveSeconds = (performance.now() - driveStart) / 1000;
  // Aborted requests may still be running in the Worker: let them finish before auditing.
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const verdicts = await runAudit(d1Runner(served.db));
  const sorted = [...figures.latencies].sort((a, b) => a - b);
  const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0);
  const count = (prefix: string) => [...figures.statuses].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
  const result = {
    generated_at: new Date().toISOString(),
    commit: gitCommit(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version },
    options: { minutes: MINUTES, books: BOOKS, loans: LOANS, patrons: patrons.length, librarians: librarians.length, concurrency: CONCURRENCY, abort_rate: ABORT_RATE, retry_rate: RETRY_RATE },
    idempotent_operations: [...idempotentOps],
    duration_s: Math.round(driveSeconds),
    requests: figures.requests,
    requests_per_s: Math.round(figures.requests / driveSeconds),
    statuses: Object.fromEntries([...figures.statuses].sort()),
    server_errors_5xx: count('5'),
    conflicts: (figures.statuses.get('409') ?? 0) + (figures.statuses.get('412') ?? 0),
    aborted: figures.aborted,
    retries: figures.retries,
    retries_replayed: figures.replayed,
    retry_answers: Object.fromEntries([...figures.retryAnswers].sort()),
    duplicate_effects: figures.duplicates.length,
    latency_ms: { p50: Math.round(pct(50) * 10) / 10, p99: Math.round(pct(99) * 10) / 10, max: Math.round(pct(100)) },
    worker_log: { lines: served.logs.total, warnings: served.logs.warnings, errors: served.logs.errors },
    invariants: verdicts.map((v) => ({ name: v.name, status: v.status, violations: v.violations.length })),
    invariant_violations: verdicts.filter((v) => v.status === 'violated' || v.status === 'error').length,
    actions: Object.fromEntries([...figures.actions].sort()),
    write_outcomes: Object.fromEntries([...figures.writes].sort()),
  };

  console.log(`\n${formatVerdicts(verdicts)}\n`);
  console.log(`requests           ${result.requests} in ${result.duration_s} s (${result.requests_per_s}/s), ${CONCURRENCY} concurrent`);
  console.log(`status mix         ${Object.entries(result.statuses).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  console.log(`5xx                ${result.server_errors_5xx}`);
  console.log(`conflicts          ${result.conflicts} (409/412: the book was taken, the loan returned, the edit raced)`);
  console.log(`aborted mid-flight ${result.aborted}`);
  console.log(`retries            ${result.retries}, replayed ${result.retries_replayed}; answers ${JSON.stringify(result.retry_answers)}`);
  console.log(`duplicate effects  ${result.duplicate_effects}${figures.duplicates.length ? `: ${figures.duplicates.slice(0, 5).join('; ')}` : ''}`);
  const ran = verdicts.filter((v) => v.status !== 'skipped').length;
  console.log(
    `invariants         ${ran - result.invariant_violations} of ${ran} hold, ${verdicts.length - ran} skipped (not in this schema)${auditPassed(verdicts) ? '' : ' — VIOLATIONS above'}`,
  );
  console.log(`latency            p50 ${result.latency_ms.p50} ms, p99 ${result.latency_ms.p99} ms, max ${result.latency_ms.max} ms`);
  console.log(`writes (final answer per intent):\n  ${Object.entries(result.write_outcomes).map(([k, v]) => `${k}: ${v}`).join('\n  ')}`);
  console.log(`worker log         ${result.worker_log.lines} lines, ${result.worker_log.warnings} warnings, ${result.worker_log.errors} errors`);
  if (served.logs.problems.length) console.log(`  first warnings/errors:\n  ${served.logs.problems.slice(0, 10).join('\n  ')}`);
  if (figures.unexpected.length) console.log(`unexpected answers:\n  ${figures.unexpected.join('\n  ')}`);
  writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
  const ok = result.server_errors_5xx === 0 && auditPassed(verdicts) && result.duplicate_effects === 0;
  console.log(`\n${ok ? 'PASSED' : 'FAILED'}: zero 5xx, zero violations, zero duplicate effects ${ok ? 'held' : 'did not hold'}; wrote ${values.out} — total ${elapsed()}`);
  exitCode = ok ? 0 : 1;
} catch (error) {
  console.error('soak:', error);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}
