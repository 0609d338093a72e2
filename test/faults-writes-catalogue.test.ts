import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { callWith, D1_TRANSIENT, expectAuditPasses, faultyD1 } from './fault-injection';
import { faultsOnWriteRoutes, type WriteRoute } from './fault-writes';
import { expectProblem, expectStatus, makeAdmin, makeUser, type TestUser } from './helpers';

// The catalogue's write routes under D1 faults (the checks: test/fault-writes.ts).

let admin: TestUser;
const csv = (rows: number, tag = crypto.randomUUID()) =>
  ['title,author,genre,age_category,publish_date', ...Array.from({ length: rows }, (_, i) => `Imported ${tag} ${i},Ida Port,Essay,Adult,2001-02-03`)].join('\r\n');

const ROUTES: WriteRoute[] = [
  {
    name: 'POST /books/import (one chunk)',
    op: 'POST /books/import',
    setup: async () => ({
      spec: { method: 'POST', path: '/books/import', token: admin.token, body: csv(3), headers: { 'Content-Type': 'text/csv' } },
      status: 200,
    }),
  },
  {
    name: 'POST /users/logout',
    op: 'POST /users/logout',
    setup: async () => ({ spec: { method: 'POST', path: '/users/logout', token: (await makeUser()).token }, status: 200 }),
  },
];

beforeAll(async () => {
  admin = await makeAdmin();
});

await faultsOnWriteRoutes(ROUTES);

describe('an import interrupted between chunks', () => {
  it('answers 503, keeps the chunks already committed consistent, and the same file sent again completes it', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const rows = 2_500; // three chunks of at most 1,000
    const file = csv(rows);
    const count = async () => (await env.DB.prepare("SELECT count(*) AS n FROM books WHERE author = 'Ida Port'").first<{ n: number }>())!.n;
    const before = await count();
    const spec = { method: 'POST', path: '/books/import', token: admin.token, body: file, headers: { 'Content-Type': 'text/csv' } };

    // Count the calls up to the first chunk's write on a file of one chunk, then fail the next one.
    const probe = faultyD1(env.DB);
    await expectStatus(await callWith({ DB: probe.db }, { ...spec, body: csv(1) }), 200);
    const d1 = faultyD1(env.DB, { on: 'any', nth: probe.calls.statement + probe.calls.batch + 1, message: D1_TRANSIENT.overloaded });
    await expectProblem(await callWith({ DB: d1.db }, spec), 503, 'SERVICE_UNAVAILABLE');
    expect(d1.failed).toBe(1);
    const partial = (await count()) - before - 1;
    expect(partial, "the failure should fall between chunks").toBeGreaterThan(0);
    expect(partial).toBeLessThan(rows);
    await expectAuditPasses();

    const again = await expectStatus(await callWith({}, spec), 200);
    expect(again.created + again.skipped).toBe(rows);
    expect(again.skipped).toBe(partial);
    expect((await count()) - before - 1).toBe(rows);
    await expectAuditPasses();
  });
});
