// `npm run bench`: throughput and latency of the main read paths, on the built Worker.
//
//   npm run bench                                   # 10,000 books, 50,000 loans, 5 s per endpoint
//   npm run bench -- --books 1000 --loans 5000 --duration 3 --connections 10
//   npm run bench -- --import-rows 10000            # size of the catalogue import measured in step 4
//
// 1. Builds the Worker exactly as deployed (`wrangler deploy --dry-run --outdir <tmp>`).
// 2. Serves that bundle on workerd through Miniflare's API (not `wrangler dev`), with its own
//    temporary D1, KV and rate-limit bindings. The rate limiters get a limit of 1e9 per 60 s, so
//    the binding is still called on every request (its cost is measured) but never says no.
//    A second, trivial Worker answers `/__baseline` through the same Miniflare entry, as the
//    floor (workerd + Miniflare routing + HTTP on loopback) every endpoint is compared with.
// 3. Applies migrations/*.sql, seeds scale data with `npm run seed`'s generator, registers one
//    member through the API and logs in.
// 4. Catalogue operations, once each: POST /books/import of --import-rows new books from CSV in one
//    request, the same file again (all skipped), GET /books/export of the whole catalogue (streamed).
// 5. For each endpoint: 3 sampled requests (status, Server-Timing D1 cost, X-Cache), then
//    autocannon on 127.0.0.1 for --duration seconds after a 1 s warm-up.
// Prints a table and writes scripts/bench-results.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ADMIN_EMAIL, ADMIN_PASSWORD, MEMBER_PASSWORD } from './lib/seed-data.ts';
import { applyMigrations, seedScaleData, serveBuiltWorker } from './lib/serve.ts';
import { ROOT } from './lib/wrangler.ts';

const { values } = parseArgs({
  options: {
    books: { type: 'string', default: '10000' },
    loans: { type: 'string', default: '50000' },
    members: { type: 'string', default: '20' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    'import-rows': { type: 'string', default: '10000' },
    out: { type: 'string', default: join(ROOT, 'scripts', 'bench-results.json') },
  },
});

class BenchError extends Error {}
const fail = (message: string): never => {
  throw new BenchError(message);
};
const num = (name: 'books' | 'loans' | 'members' | 'duration' | 'connections' | 'import-rows', min: number, max: number) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`bench: --${name} must be an integer from ${min} to ${max}`);
    process.exit(1);
  }
  return n;
};
const BOOKS = num('books', 1, 200_000);
const LOANS = num('loans', 0, 500_000);
const MEMBERS = num('members', 1, 10_000);
const DURATION = num('duration', 1, 60);
const CONNECTIONS = num('connections', 1, 200);
const IMPORT_ROWS = num('import-rows', 1, 10_000);

// The bench stops by itself: autocannon runs are bounded, and this is the backstop.
const watchdog = setTimeout(() => {
  console.error('bench: still running after 10 minutes; giving up');
  void cleanUp().finally(() => process.exit(1));
}, 10 * 60_000);
watchdog.unref();

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const machine = { cpu, cores: os.availableParallelism(), memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.arch()}` };
console.log(`Library API bench — ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gib} GiB, Node ${machine.node}, ${machine.platform}`);
console.log(`data: ${BOOKS} books, ${LOANS} loans, ${MEMBERS} members; ${DURATION} s per endpoint, ${CONNECTIONS} connections, loopback only\n`);

const workDir = mkdtempSync(join(os.tmpdir(), 'library-bench-'));
let dispose: (() => Promise<void>) | undefined;
const cleanUp = async () => {
  await dispose?.().catch(() => {});
  dispose = undefined;
  rmSync(workDir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

try {
  // 1.–3. Build, serve, migrate and seed (scripts/lib/serve.ts, shared with `npm run soak`).
  const served = await serveBuiltWorker({
    workDir,
    extraWorkers: (compatibilityDate) => [
      {
        name: 'baseline',
        modules: true,
        script: `export default { fetch() { return new Response('ok'); } };`,
        compatibilityDate,
        routes: ['*/__baseline'],
      },
    ],
  });
  dispose = served.dispose;
  const { origin, db, logs: workerLogs } = served;
  console.log(`built with wrangler deploy --dry-run; serving on ${origin} (workerd via Miniflare) (${elapsed()})`);
  await applyMigrations(db);
  await seedScaleData(db, { books: BOOKS, loans: LOANS, members: MEMBERS });
  const counts = await db
    .prepare(
      'SELECT (SELECT count(*) FROM books) AS books, (SELECT count(*) FROM loans) AS loans, (SELECT count(*) FROM loan_books) AS loan_books, ' +
        "(SELECT count(*) FROM copies) AS copies, (SELECT count(*) FROM holds WHERE status = 'waiting') AS holds",
    )
    .first<{ books: number; loans: number; loan_books: number; copies: number; holds: number }>();
  console.log(
    `migrated and seeded: ${counts?.books} books, ${counts?.copies} copies, ${counts?.loans} loans, ${counts?.loan_books} loan_books rows, ` +
      `${counts?.holds} waiting holds (${elapsed()})`,
  );

  // One member of our own, through the API.
  const json = { 'content-type': 'application/json' };
  const member = { email: 'bench.member@library.example', password: 'bench-member-password' };
  const registered = await fetch(`${origin}/users`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ first_name: 'Bench', last_name: 'Member', ...member }),
  });
  if (registered.status !== 201) fail(`POST /users answered ${registered.status}: ${await registered.text()}`);
  const loginBody = JSON.stringify(member);
  const login = await fetch(`${origin}/users/login`, { method: 'POST', headers: json, body: loginBody });
  const token = ((await login.json()) as { token?: string }).token ?? fail(`POST /users/login answered ${login.status}`);
  const memberId = ((await registered.json()) as { id: number }).id;
  const loginAs = async (email: string, password: string) => {
    const res = await fetch(`${origin}/users/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    return ((await res.json()) as { token?: string }).token ?? fail(`login as ${email} answered ${res.status}`);
  };
  const adminToken = await loginAs(ADMIN_EMAIL, ADMIN_PASSWORD);
  // A seeded member with holds, for the holds list.
  const holder = await db
    .prepare('SELECT u.email FROM users u JOIN holds h ON h.user_id = u.id GROUP BY u.id ORDER BY count(*) DESC LIMIT 1')
    .first<{ email: string }>();
  const holderToken = holder ? await loginAs(holder.email, MEMBER_PASSWORD) : token;
  console.log(`registered and logged in ${member.email}, the admin and a member with holds (${elapsed()})\n`);
  const asAdmin = { ...json, authorization: `Bearer ${adminToken}` };
  const asMember = { ...json, authorization: `Bearer ${token}` };
  // The write cycles repeat checkouts for one member whose account carries a balance: the patron
  // blocks and limits are still evaluated inside every write's SQL, but switched off (0) or raised
  // to their bounds so that no cycle is refused (the D1 columns then measure the successful path).
  const relaxed = await fetch(`${origin}/policy`, {
    method: 'PATCH',
    headers: asAdmin,
    body: JSON.stringify({ block_balance_cents: 0, block_overdue_copies: 0, max_active_copies: 100, max_holds: 100 }),
  });
  if (!relaxed.ok) fail(`PATCH /policy answered ${relaxed.status}`);
  // The member's account: 100 entries (charges and payments; the trigger keeps the balance), and
  // 1,000 events of mixed actions for GET /events.
  const entryRows = Array.from({ length: 100 }, (_, i) => `(${memberId}, '${i % 2 ? 'payment' : 'charge'}', ${i % 2 ? 100 : 150}, 'bench', '2026-01-01T00:00:00.000Z')`);
  await db.prepare(`INSERT INTO account_entries (user_id, kind, amount_cents, note, created_at) VALUES ${entryRows.join(',')}`).run();
  const actions = ['book.updated', 'charge.recorded', 'payment.recorded', 'policy.changed'];
  for (let i = 0; i < 1000; i += 250) {
    const rows = Array.from({ length: 250 }, (_, j) => `('2026-01-01T00:00:00.000Z', 1, '${actions[(i + j) % 4]}', ${memberId}, ${((i + j) % BOOKS) + 1})`);
    await db.prepare(`INSERT INTO events (at, actor_id, action, user_id, book_id) VALUES ${rows.join(',')}`).run();
  }
  console.log(`registered and logged in ${member.email}, logged in the admin, 100 account entries, 1,000 events (${elapsed()})\n`);

  // 4. Catalogue operations.
  const catalogue = await measureCatalogue(origin, IMPORT_ROWS);

  // 5. The endpoints.
  type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** One step of a write cycle: built per connection from its context; the response may feed the next step. */
  interface Step {
    method: Method;
    path: (ctx: Ctx) => string;
    headers?: (ctx: Ctx) => Record<string, string>;
    body?: (ctx: Ctx) => string;
    after?: (ctx: Ctx, body: string, headers: Record<string, string>) => void;
  }
  type Ctx = Record<string, string | number | undefined>;
  interface Endpoint {
    name: string;
    method: Method;
    path: string;
    headers?: Record<string, string>;
    body?: string;
    note?: string;
    warm?: boolean;
    /** Writes: a cycle of steps per connection (autocannon `requests`); the sample is the `sampled` step. */
    steps?: Step[];
    sampled?: number;
  }
  const bookId = Math.ceil(BOOKS / 2);
  const header = (headers: Record<string, string>, name: string) =>
    headers[name] ?? headers[name.toLowerCase()] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  let uniqueCounter = 0;
  // Books of their own for the write cycles (never on a seeded loan), one copy each: one per connection and sample.
  const freshBooks = async (label: string) => {
    const ids: number[] = [];
    // Each autocannon run leaves up to one claimed book per connection behind (requests built, never sent).
    for (let i = 0; i < 4 * CONNECTIONS + 8; i++) {
      const row = await db
        .prepare("INSERT INTO books (title, title_key, genre, age_category, publish_date, author) VALUES (?1, lower(?1), 'Bench', 'Adult', '2001-01-01', 'Bench') RETURNING id")
        .bind(`Bench ${label} ${i}`)
        .first<{ id: number }>();
      await db.prepare('INSERT INTO copies (book_id) VALUES (?)').bind(row!.id).run();
      ids.push(row!.id);
    }
    // autocannon resets a connection's context after each cycle, so books are lent per cycle from
    // this queue and given back when the cycle ends: no two connections hold one book at a time.
    return {
      claim: (ctx: Ctx) => {
        ctx.book ??= ids.shift() ?? fail(`bench: out of ${label} books`);
        return Number(ctx.book);
      },
      release: (ctx: Ctx) => {
        if (ctx.book !== undefined) ids.push(Number(ctx.book));
      },
    };
  };
  const etags = new Map<number, string>();
  const patchBook = await freshBooks('patch');
  const loanBook = await freshBooks('loan');
  const conditionalTag = (await fetch(`${origin}/books/${bookId}`)).headers.get('etag') ?? fail('GET /books/{id} sent no ETag');
  const writeEndpoints: Endpoint[] = [
    {
      name: 'POST /books',
      method: 'POST',
      path: '/books',
      note: 'admin: 2 round trips by design',
      steps: [
        {
          method: 'POST',
          path: () => '/books',
          headers: () => ({ ...asAdmin }),
          body: () =>
            JSON.stringify({ title: `Bench title ${process.pid}-${++uniqueCounter}`, genre: 'Bench', age_category: 'Adult', publish_date: '2001-01-01', author: 'Bench' }),
        },
      ],
    },
    {
      name: 'PATCH /books/{id} If-Match',
      method: 'PATCH',
      path: '/books/{id}',
      note: 'admin; If-Match = the ETag of the previous answer',
      steps: [
        {
          method: 'PATCH',
          path: (ctx) => `/books/${patchBook.claim(ctx)}`,
          headers: (ctx) => ({ ...asAdmin, 'if-match': etags.get(patchBook.claim(ctx)) ?? '*' }),
          body: () => JSON.stringify({ genre: `Bench ${++uniqueCounter % 7}` }),
          after: (ctx, _body, headers) => {
            const tag = header(headers, 'ETag');
            if (tag) etags.set(patchBook.claim(ctx), tag);
            patchBook.release(ctx);
          },
        },
      ],
    },
    {
      name: 'checkout + return cycle',
      method: 'POST',
      path: '/loans, /loans/{id}/return',
      note: 'member; req/s counts both requests; sample = checkout',
      steps: [
        {
          method: 'POST',
          path: () => '/loans',
          headers: () => ({ ...asMember }),
          body: (ctx) => JSON.stringify({ book_ids: [loanBook.claim(ctx)] }),
          after: (ctx, body) => {
            ctx.loan = (JSON.parse(body || '{}') as { id?: number }).id;
          },
        },
        { method: 'POST', path: (ctx) => `/loans/${ctx.loan}/return`, headers: () => ({ ...asMember }), after: (ctx) => loanBook.release(ctx) },
      ],
    },
    {
      name: 'renew (new loan + renew)',
      method: 'POST',
      path: '/loans, /loans/{id}/renew',
      note: 'member; req/s counts both requests; sample = renew',
      sampled: 1,
      steps: [
        {
          method: 'POST',
          path: () => '/loans',
          headers: () => ({ ...asMember }),
          body: () => '{}',
          after: (ctx, body) => {
            ctx.loan = (JSON.parse(body || '{}') as { id?: number }).id;
          },
        },
        { method: 'POST', path: (ctx) => `/loans/${ctx.loan}/renew`, headers: () => ({ ...asMember }) },
      ],
    },
    {
      name: 'GET /books/{id} 304',
      method: 'GET',
      path: `/books/${bookId}`,
      headers: { 'if-none-match': conditionalTag },
      note: 'If-None-Match matches: 304 (counted as non-2xx)',
    },
  ];
  const endpoints: Endpoint[] = [
    { name: 'baseline (trivial Worker)', method: 'GET', path: '/__baseline' },
    { name: 'GET /health', method: 'GET', path: '/health' },
    { name: 'GET /books', method: 'GET', path: '/books' },
    { name: 'GET /books/{id}', method: 'GET', path: `/books/${bookId}` },
    { name: 'GET /books/search?title=', method: 'GET', path: '/books/search?title=garden' },
    { name: 'GET /books/popularity', method: 'GET', path: '/books/popularity', warm: true, note: 'KV hit (warmed)' },
    { name: 'GET /books/by-isbn/{isbn}', method: 'GET', path: `/books/by-isbn/${catalogue.sampleIsbn}` },
    { name: 'GET /books/search?isbn=', method: 'GET', path: `/books/search?isbn=${catalogue.sampleIsbn}` },
    { name: 'GET /users/profile', method: 'GET', path: '/users/profile', headers: { authorization: `Bearer ${token}` } },
    { name: 'GET /holds (a member’s)', method: 'GET', path: '/holds?status=open', headers: { authorization: `Bearer ${holderToken}` } },
    { name: 'GET /books/{id}/copies', method: 'GET', path: `/books/${bookId}/copies` },
    { name: 'POST /users/login', method: 'POST', path: '/users/login', headers: json, body: loginBody, note: 'PBKDF2 100k' },
    { name: 'GET /policy', method: 'GET', path: '/policy' },
    {
      name: 'GET /circulation/eligibility (3 books)',
      method: 'GET',
      path: `/circulation/eligibility?book_ids=${bookId},${bookId + 1},${bookId + 2}`,
      headers: { authorization: `Bearer ${token}` },
      note: 'the checkout\u2019s probes, no write',
    },
    {
      name: 'GET /users/profile/account',
      method: 'GET',
      path: '/users/profile/account',
      headers: { authorization: `Bearer ${token}` },
      note: '100 entries, first page',
    },
    { name: 'GET /stats', method: 'GET', path: '/stats', headers: { authorization: `Bearer ${adminToken}` }, note: 'counters by key' },
    { name: 'GET /events?limit=50', method: 'GET', path: '/events?limit=50', headers: { authorization: `Bearer ${adminToken}` }, note: '1,000 events' },
    {
      name: 'GET /events?action&limit=50',
      method: 'GET',
      path: '/events?action=payment.recorded&limit=50',
      headers: { authorization: `Bearer ${adminToken}` },
      note: 'filtered through its index',
    },
    ...writeEndpoints,
  ];

  interface Sample {
    status: number;
    round_trips: number | null;
    rows_read: number | null;
    rows_written: number | null;
    d1_ms: number | null;
    x_cache: string | null;
  }
  const timing = (header: string | null) => {
    const entries = new Map<string, { desc?: string; dur?: number }>();
    for (const part of (header ?? '').split(',')) {
      const [name, ...params] = part.trim().split(';');
      if (!name) continue;
      const entry: { desc?: string; dur?: number } = {};
      for (const param of params) {
        const [key, raw = ''] = param.trim().split('=');
        const value = raw.replace(/^"|"$/g, '');
        if (key === 'desc') entry.desc = value;
        if (key === 'dur') entry.dur = Number(value);
      }
      entries.set(name, entry);
    }
    const count = (name: string) => (entries.get(name)?.desc === undefined ? null : Number(entries.get(name)!.desc));
    return { round_trips: count('d1_round_trips'), rows_read: count('d1_rows_read'), rows_written: count('d1_rows_written'), d1_ms: entries.get('d1')?.dur ?? null };
  };
  const request = (e: Endpoint) =>
    fetch(`${origin}${e.path}`, { method: e.method, ...(e.headers ? { headers: e.headers } : {}), ...(e.body ? { body: e.body } : {}) });
  const runStep = async (step: Step, ctx: Ctx) => {
    const res = await fetch(`${origin}${step.path(ctx)}`, {
      method: step.method,
      ...(step.headers ? { headers: step.headers(ctx) } : {}),
      ...(step.body ? { body: step.body(ctx) } : {}),
    });
    const text = await res.text();
    step.after?.(ctx, text, Object.fromEntries(res.headers));
    return res;
  };
  // Samples of a write cycle use a context of their own (their own book), like one more connection.
  const sample = async (e: Endpoint): Promise<Sample> => {
    let res: Response | undefined;
    if (e.steps) {
      const ctx: Ctx = {};
      const responses = [];
      for (const step of e.steps) responses.push(await runStep(step, ctx));
      res = responses[e.sampled ?? 0]!;
    } else {
      res = await request(e);
      await res.arrayBuffer();
    }
    return { status: res.status, ...timing(res.headers.get('server-timing')), x_cache: res.headers.get('x-cache') };
  };
  const cycle = (steps: Step[]) =>
    steps.map((step) => ({
      method: step.method,
      setupRequest: (req: autocannon.Request, context: object) => {
        const ctx = context as Ctx;
        return {
          ...req,
          method: step.method,
          path: step.path(ctx),
          ...(step.headers ? { headers: step.headers(ctx) } : {}),
          ...(step.body ? { body: step.body(ctx) } : {}),
        };
      },
      onResponse: (_status: number, body: string, context: object, headers?: Record<string, string | string[] | undefined>) =>
        step.after?.(context as Ctx, body, Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]))),
    }));

  const results = [];
  for (const e of endpoints) {
    if (e.warm) await sample(e);
    const samples = [await sample(e), await sample(e), await sample(e)];
    const first = samples[0]!;
    // Writes change what they read (a new title, a longer loan list), so only status and round trips must repeat.
    const stable = samples.every(
      (s) => s.status === first.status && s.round_trips === first.round_trips && (e.steps !== undefined || s.rows_read === first.rows_read),
    );
    const run = (duration: number) =>
      autocannon({
        url: `${origin}${e.path}`,
        method: e.method,
        ...(e.headers ? { headers: e.headers } : {}),
        ...(e.body ? { body: e.body } : {}),
        ...(e.steps ? { requests: cycle(e.steps) } : {}),
        connections: CONNECTIONS,
        duration,
      });
    await run(1); // warm-up, discarded
    const r = await run(DURATION);
    const statuses = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count ?? 0]));
    results.push({
      endpoint: e.name,
      method: e.method,
      path: e.path,
      note: e.note ?? null,
      requests: r.requests.total,
      requests_per_s: Math.round(r.requests.average * 10) / 10,
      latency_ms: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
      non_2xx: r.non2xx,
      errors: r.errors + r.timeouts,
      statuses,
      sample: first,
      samples_stable: stable,
      samples: samples.map((s) => `${s.status}/${s.round_trips ?? '-'}rt/${s.rows_read ?? '-'}rows${s.x_cache ? `/${s.x_cache}` : ''}`),
    });
    console.log(`  ${e.name.padEnd(26)} ${String(Math.round(r.requests.average)).padStart(6)} req/s  (status ${first.status}, ${elapsed()})`);
  }

  // 4b. Writes: what one request costs in D1 (no load test: each changes state), 3 fresh samples each.
  interface WriteScenario {
    name: string;
    /** Prepares the state in D1 and returns the request to make, with a note (e.g. the queue length). */
    setup: () => Promise<{ path: string; token: string; body: unknown; note?: string }>;
  }
  const writeScenarios: WriteScenario[] = [
    {
      name: 'POST /loans (1 barcode)',
      setup: async () => {
        const copy = await db
          .prepare(
            "SELECT c.barcode FROM copies c WHERE c.status = 'available' AND c.book_id NOT IN " +
              '(SELECT lb.book_id FROM loan_books lb JOIN loans l ON l.id = lb.loan_id WHERE lb.active = 1 AND l.user_id = ?) ORDER BY c.id DESC LIMIT 1',
          )
          .bind(memberId)
          .first<{ barcode: string }>();
        return { path: '/loans', token, body: { barcodes: [copy?.barcode ?? fail('no available copy')] } };
      },
    },
    {
      name: 'POST /circulation/check-in (fills a hold)',
      setup: async () => {
        const copy = await db
          .prepare(
            "SELECT c.barcode, b.holds_waiting FROM copies c JOIN books b ON b.id = c.book_id WHERE c.status = 'on_loan' AND b.holds_waiting > 0 " +
              'ORDER BY b.holds_waiting DESC, c.id LIMIT 1',
          )
          .first<{ barcode: string; holds_waiting: number }>();
        if (!copy) fail('no copy out with a waiting hold');
        return { path: '/circulation/check-in', token: adminToken, body: { barcode: copy!.barcode }, note: `queue of ${copy!.holds_waiting}` };
      },
    },
    {
      name: 'POST /holds (joins a queue)',
      setup: async () => {
        const book = await db
          .prepare(
            'SELECT id, holds_waiting FROM books WHERE available_copies = 0 AND copies > 0 AND id NOT IN ' +
              "(SELECT book_id FROM holds WHERE user_id = ? AND status IN ('waiting', 'ready')) AND id NOT IN " +
              '(SELECT lb.book_id FROM loan_books lb JOIN loans l ON l.id = lb.loan_id WHERE lb.active = 1 AND l.user_id = ?) ' +
              'ORDER BY holds_waiting DESC, id LIMIT 1',
          )
          .bind(memberId, memberId)
          .first<{ id: number; holds_waiting: number }>();
        if (!book) fail('no book to queue for');
        return { path: '/holds', token, body: { book_id: book!.id }, note: `queue of ${book!.holds_waiting} ahead` };
      },
    },
  ];
  const writes = [];
  for (const scenario of writeScenarios) {
    const samples = [];
    for (let i = 0; i < 3; i++) {
      const { path, token: bearer, body, note } = await scenario.setup();
      const res = await fetch(`${origin}${path}`, {
        method: 'POST',
        headers: { ...json, authorization: `Bearer ${bearer}` },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 300) fail(`${scenario.name} answered ${res.status}: ${text.slice(0, 300)}`);
      samples.push({ status: res.status, ...timing(res.headers.get('server-timing')), note: note ?? null });
    }
    writes.push({ endpoint: scenario.name, samples });
    console.log(`  ${scenario.name.padEnd(42)} ${samples.map((x) => `${x.status}/${x.round_trips}rt/${x.rows_read}rows${x.note ? ` (${x.note})` : ''}`).join('  ')}`);
  }

  // 6. Report.
  const baseline = results[0]!.requests_per_s || 1;
  const rows = results.map((r) => ({
    ...r,
    ratio_to_baseline: Math.round((r.requests_per_s / baseline) * 1000) / 1000,
  }));
  const cols = ['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'vs base', 'D1 rt', 'rows read', 'non-2xx', 'sample', 'notes'];
  const table = rows.map((r) => [
    r.endpoint,
    r.requests_per_s.toFixed(0),
    String(r.latency_ms.p50),
    String(r.latency_ms.p99),
    `${r.ratio_to_baseline.toFixed(3)}x`,
    r.sample.round_trips === null ? '-' : String(r.sample.round_trips),
    r.sample.rows_read === null ? '-' : String(r.sample.rows_read),
    r.non_2xx === 0 && r.errors === 0 ? '0' : `${r.non_2xx}${r.errors ? ` +${r.errors} err` : ''} ${JSON.stringify(r.statuses)}`,
    `${r.sample.status}${r.sample.x_cache ? ` ${r.sample.x_cache}` : ''}`,
    [r.note, r.samples_stable ? '' : `UNSTABLE samples: ${r.samples.join(' ')}`].filter(Boolean).join('; '),
  ]);
  const widths = cols.map((c, i) => Math.max(c.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 || i >= 7 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  console.log(`\n${line(cols)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${table.map(line).join('\n')}`);
  console.log(
    `\nreq/s = mean over ${DURATION} s with ${CONNECTIONS} connections (autocannon in this Node process shares the ${machine.cores} cores with workerd);` +
      `\nvs base = req/s relative to the trivial Worker; D1 rt / rows read = Server-Timing of a sampled response (3 samples, checked equal).`,
  );
  console.log(`\nCatalogue operations (one request each):\n${catalogue.lines.join('\n')}`);
  if (workerLogs.problems.length > 0) console.log(`\nWorker warnings/errors (first ${workerLogs.problems.length}):\n${workerLogs.problems.join('\n')}`);

  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    commit = null;
  }
  writeFileSync(
    values.out!,
    `${JSON.stringify(
      {
        generated_at: new Date().toISOString(),
        commit,
        machine,
        options: { books: BOOKS, loans: LOANS, members: MEMBERS, duration_s: DURATION, connections: CONNECTIONS },
        setup: {
          runtime: `workerd via miniflare ${readMiniflareVersion()}, bundle from wrangler deploy --dry-run`,
          rate_limits: 'every limiter at 1e9 per 60 s (the binding is still called on each request)',
          baseline: 'a second, trivial Worker (return new Response("ok")) routed at /__baseline by the same Miniflare',
          seeded: counts,
        },
        results: rows,
        writes,
        catalogue: catalogue.figures,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${values.out} — total ${elapsed()}`);
} catch (error) {
  console.error(error instanceof BenchError ? `bench: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}

/** An ISBN-13 (979 prefix, so it never meets a real book's) for row `i`. */
function benchIsbn(i: number): string {
  const first12 = `9798${String(i).padStart(8, '0')}`;
  let sum = 0;
  for (let k = 0; k < 12; k++) sum += Number(first12[k]) * (k % 2 === 0 ? 1 : 3);
  return first12 + String((10 - (sum % 10)) % 10);
}

/**
 * Imports `rows` new books from one CSV, imports it again (every row skipped), exports the whole
 * catalogue, and signs a member out; reports time, rows/s and the D1 cost of each.
 */
async function measureCatalogue(origin: string, rows: number) {
  const login = await fetch(`${origin}/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  });
  const token = ((await login.json()) as { token?: string }).token ?? fail(`admin login answered ${login.status}`);
  const auth = { authorization: `Bearer ${token}` };
  const lines = ['title,author,genre,age_category,publish_date,isbn'];
  for (let i = 0; i < rows; i++) {
    lines.push(`"Bench import ${i}, a ""quoted"" title",Author ${i % 500},Genre ${i % 20},${i % 3 ? 'Adult' : 'Children'},19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 9},${benchIsbn(i)}`);
  }
  const csv = `${lines.join('\r\n')}\r\n`;
  const timed = async (send: () => Promise<Response>) => {
    const t0 = performance.now();
    const res = await send();
    const body = await res.text();
    return { res, body, seconds: (performance.now() - t0) / 1000 };
  };
  const importOnce = () => timed(() => fetch(`${origin}/books/import`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv }));
  const first = await importOnce();
  if (first.res.status !== 200) fail(`POST /books/import answered ${first.res.status}: ${first.body.slice(0, 300)}`);
  const again = await importOnce();
  const cost = (res: Response) => {
    const entries = Object.fromEntries(
      (res.headers.get('server-timing') ?? '').split(',').map((part) => {
        const [name, ...params] = part.trim().split(';');
        const desc = params.find((p) => p.trim().startsWith('desc='))?.split('=')[1]?.replaceAll('"', '');
        return [name, Number(desc)];
      }),
    );
    return { d1_statements: entries.d1_round_trips, rows_read: entries.d1_rows_read, rows_written: entries.d1_rows_written };
  };
  const exported = await timed(() => fetch(`${origin}/books/export`, { headers: auth }));
  if (exported.res.status !== 200) fail(`GET /books/export answered ${exported.res.status}`);
  const exportedRows = exported.body.split('\r\n').length - 2;
  // Sign-out retires every token of its account: a member of its own, so later steps keep theirs.
  const leaver = { email: 'bench.leaver@library.example', password: 'bench-leaver-password' };
  await fetch(`${origin}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ first_name: 'Bench', last_name: 'Leaver', ...leaver }),
  });
  const leaverLogin = await fetch(`${origin}/users/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(leaver) });
  const leaverToken = ((await leaverLogin.json()) as { token?: string }).token ?? fail(`leaver login answered ${leaverLogin.status}`);
  const logout = await fetch(`${origin}/users/logout`, { method: 'POST', headers: { authorization: `Bearer ${leaverToken}` } });
  const figures = {
    import: { rows, bytes: csv.length, seconds: first.seconds, rows_per_s: Math.round(rows / first.seconds), answer: JSON.parse(first.body), ...cost(first.res) },
    reimport: { seconds: again.seconds, rows_per_s: Math.round(rows / again.seconds), answer: JSON.parse(again.body), ...cost(again.res) },
    // The export's reads happen while the body streams, after Server-Timing is sent: one statement per page.
    export: { rows: exportedRows, bytes: exported.body.length, seconds: exported.seconds, rows_per_s: Math.round(exportedRows / exported.seconds), d1_statements: 1 + Math.floor(exportedRows / 500) + 1 },
    logout: { status: logout.status, ...cost(logout) },
  };
  const fmt = (name: string, f: { seconds: number; rows_per_s: number }, rest: string) =>
    `  ${name.padEnd(34)} ${f.seconds.toFixed(2).padStart(6)} s  ${String(f.rows_per_s).padStart(7)} rows/s  ${rest}`;
  const { created, skipped, failed } = figures.import.answer as { created: number; skipped: number; failed: unknown[] };
  const re = figures.reimport.answer as { created: number; skipped: number };
  return {
    sampleIsbn: benchIsbn(Math.floor(rows / 2)),
    figures,
    lines: [
      fmt(`POST /books/import (${rows} rows CSV)`, figures.import, `created ${created}, skipped ${skipped}, failed ${failed.length}; ${figures.import.d1_statements} D1 statements, ${figures.import.rows_written} rows written, ${figures.import.rows_read} rows read`),
      fmt('POST /books/import (same file again)', figures.reimport, `created ${re.created}, skipped ${re.skipped}; ${figures.reimport.d1_statements} D1 statements, ${figures.reimport.rows_written} rows written`),
      fmt(`GET /books/export (${exportedRows} rows)`, figures.export, `${(figures.export.bytes / 2 ** 20).toFixed(1)} MiB; ${figures.export.d1_statements} D1 statements (pages of 500, one at a time)`),
      `  POST /users/logout                 status ${logout.status}; ${figures.logout.d1_statements} D1 statements, ${figures.logout.rows_written} rows written`,
    ],
  };
}

function readMiniflareVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'miniflare', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
