import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, expectProblem, expectStatus, makeAdmin, makeUser, seedBook, type TestUser } from './helpers';

const DEFAULTS = {
  loan_days: 14,
  renewal_days: 14,
  max_renewals: 2,
  max_active_copies: 10,
  max_holds: 5,
  hold_pickup_days: 7,
  fine_per_day_cents: 25,
  max_fine_per_copy_cents: 1000,
  block_balance_cents: 500,
  block_overdue_copies: 1,
  currency: 'EUR',
};

const policyEvents = () => env.DB.prepare("SELECT count(*) AS n FROM events WHERE action = 'policy.changed'").first<{ n: number }>().then((r) => r!.n);
const put = (admin: TestUser, body: unknown, headers?: Record<string, string>) => call('PUT', '/policy', { token: admin.token, body, headers });
const patch = (admin: TestUser, body: unknown, headers?: Record<string, string>) => call('PATCH', '/policy', { token: admin.token, body, headers });

// One file shares the one policy row: tests run in order and put the defaults back.
describe('/policy', () => {
  let admin: TestUser;
  let member: TestUser;
  beforeAll(async () => {
    [admin, member] = [await makeAdmin(), await makeUser()];
  });
  afterEach(async () => {
    vi.useRealTimers();
    await expectStatus(await put(admin, DEFAULTS), 200);
  });

  it('starts with the defaults, readable by anyone, with an ETag and 304 on If-None-Match', async () => {
    const res = await call('GET', '/policy');
    expect(await expectStatus(res, 200)).toEqual(DEFAULTS);
    const tag = res.headers.get('ETag');
    expect(tag).toMatch(/^"\d+"$/);
    const again = await call('GET', '/policy', { headers: { 'If-None-Match': tag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('ETag')).toBe(tag);
    expect(await again.text()).toBe('');
    expect((await call('GET', '/policy', { headers: { 'If-None-Match': `W/${tag}, "999999"` } })).status).toBe(304);
    expect((await call('GET', '/policy', { headers: { 'If-None-Match': '"999999"' } })).status).toBe(200);
  });

  it('PUT replaces every field (currency may be sent back), raises the version and appends one policy.changed', async () => {
    const before = await policyEvents();
    const tag = (await call('GET', '/policy')).headers.get('ETag')!;
    const changed = { ...DEFAULTS, loan_days: 21, fine_per_day_cents: 50 };
    const res = await put(admin, changed);
    expect(await expectStatus(res, 200)).toEqual(changed);
    expect(res.headers.get('ETag')).not.toBe(tag);
    expect(await expectStatus(await call('GET', '/policy'), 200)).toEqual(changed);
    expect(await policyEvents()).toBe(before + 1);
    const event = await env.DB.prepare("SELECT * FROM events WHERE action = 'policy.changed' ORDER BY id DESC LIMIT 1").first();
    expect(event).toMatchObject({ actor_id: admin.id, user_id: null, book_id: null });
    // Without currency too.
    const { currency: _, ...withoutCurrency } = DEFAULTS;
    expect(await expectStatus(await put(admin, withoutCurrency), 200)).toEqual(DEFAULTS);
  });

  it('PATCH changes only the fields sent', async () => {
    expect(await expectStatus(await patch(admin, { max_holds: 0, block_balance_cents: 0 }), 200)).toEqual({
      ...DEFAULTS,
      max_holds: 0,
      block_balance_cents: 0,
    });
  });

  it.each([
    [{ loan_days: 0 }, 'loan_days'],
    [{ loan_days: 366 }, 'loan_days'],
    [{ renewal_days: 1.5 }, 'renewal_days'],
    [{ max_renewals: 11 }, 'max_renewals'],
    [{ max_active_copies: 0 }, 'max_active_copies'],
    [{ max_holds: -1 }, 'max_holds'],
    [{ hold_pickup_days: 61 }, 'hold_pickup_days'],
    [{ fine_per_day_cents: 100001 }, 'fine_per_day_cents'],
    [{ max_fine_per_copy_cents: '10' }, 'max_fine_per_copy_cents'],
    [{ block_balance_cents: null }, 'block_balance_cents'],
    [{ block_overdue_copies: 101 }, 'block_overdue_copies'],
    [{ currency: 'USD' }, 'currency'],
    [{ color: 'red' }, 'color'],
    [{}, 'body'],
  ])('PATCH %j is 400 on %s, and nothing changes or is recorded', async (body, field) => {
    const before = await policyEvents();
    const problem = await expectProblem(await patch(admin, body), 400, 'VALIDATION_FAILED');
    expect(Object.keys(problem.errors)).toContain(field);
    expect(await expectStatus(await call('GET', '/policy'), 200)).toEqual(DEFAULTS);
    expect(await policyEvents()).toBe(before);
  });

  it('PUT requires every field but currency', async () => {
    const { loan_days: _, ...missing } = DEFAULTS;
    const problem = await expectProblem(await put(admin, missing), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveProperty('loan_days');
  });

  it('is admin-only to change: 401 without a token, 403 for a member, and no event', async () => {
    const before = await policyEvents();
    await expectProblem(await call('PATCH', '/policy', { body: { loan_days: 7 } }), 401, 'UNAUTHENTICATED');
    await expectProblem(await patch(member, { loan_days: 7 }), 403, 'FORBIDDEN');
    await expectProblem(await put(member, DEFAULTS), 403, 'FORBIDDEN');
    expect(await policyEvents()).toBe(before);
  });

  it('If-Match: a stale or weak tag is 412 with nothing changed; * and the current tag succeed', async () => {
    const tag = (await call('GET', '/policy')).headers.get('ETag')!;
    const before = await policyEvents();
    await expectProblem(await patch(admin, { loan_days: 7 }, { 'If-Match': '"999999"' }), 412, 'PRECONDITION_FAILED');
    await expectProblem(await patch(admin, { loan_days: 7 }, { 'If-Match': `W/${tag}` }), 412, 'PRECONDITION_FAILED');
    expect(await policyEvents()).toBe(before);
    const res = await patch(admin, { loan_days: 7 }, { 'If-Match': `"1", ${tag}` });
    expect(await expectStatus(res, 200)).toMatchObject({ loan_days: 7 });
    await expectStatus(await patch(admin, { loan_days: 8 }, { 'If-Match': '*' }), 200);
    await expectProblem(await patch(admin, { loan_days: 9 }, { 'If-Match': tag }), 412, 'PRECONDITION_FAILED');
  });

  it('of two racing updates with the same If-Match exactly one succeeds', async () => {
    const tag = (await call('GET', '/policy')).headers.get('ETag')!;
    const before = await policyEvents();
    const results = await Promise.all([3, 4, 5, 6].map((days) => patch(admin, { loan_days: days }, { 'If-Match': tag })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 412, 412, 412]);
    expect(await policyEvents()).toBe(before + 1);
  });

  it('a new loan takes the loan period in force; a policy change moves no deadline already set', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-03-10T12:00:00Z'));
    // Tokens are issued on the fake clock, or they would have expired by then.
    const [admin, member] = [await makeAdmin(), await makeUser()];
    await expectStatus(await patch(admin, { loan_days: 30 }), 200);
    const book = await seedBook();
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [book] } }), 201);
    expect(loan).toMatchObject({ loan_date: '2030-03-10', deadline: '2030-04-09' });
    await expectStatus(await patch(admin, { loan_days: 1 }), 200);
    expect(await expectStatus(await call('GET', `/loans/${loan.id}`, { token: member.token }), 200)).toMatchObject({ deadline: '2030-04-09' });
    await expectStatus(await call('POST', `/loans/${loan.id}/return`, { token: member.token }), 200);
  });

  it('renewals add the current renewal_days and stop at the current max_renewals', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-05-01T08:00:00Z'));
    const [admin, member] = [await makeAdmin(), await makeUser()];
    await expectStatus(await patch(admin, { renewal_days: 3, max_renewals: 3 }), 200);
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: {} }), 201);
    expect(loan.deadline).toBe('2030-05-15');
    const renew = () => call('POST', `/loans/${loan.id}/renew`, { token: member.token });
    expect(await expectStatus(await renew(), 200)).toMatchObject({ deadline: '2030-05-18', renewals: 1 });
    await expectStatus(await patch(admin, { renewal_days: 10 }), 200);
    expect(await expectStatus(await renew(), 200)).toMatchObject({ deadline: '2030-05-28', renewals: 2 });
    expect(await expectStatus(await renew(), 200)).toMatchObject({ deadline: '2030-06-07', renewals: 3 });
    await expectProblem(await renew(), 409, 'RENEWAL_LIMIT_REACHED');
    // Raising the limit lets the same loan renew again; lowering it below `renewals` stops it.
    await expectStatus(await patch(admin, { max_renewals: 10 }), 200);
    expect(await expectStatus(await renew(), 200)).toMatchObject({ renewals: 4 });
    await expectStatus(await patch(admin, { max_renewals: 0 }), 200);
    await expectProblem(await renew(), 409, 'RENEWAL_LIMIT_REACHED');
  });

  it('a hold made ready takes the hold_pickup_days in force, at placement and when a copy comes back', async () => {
    const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    const [reader, waiter] = [await makeUser(), await makeUser()];
    await expectStatus(await patch(admin, { hold_pickup_days: 3 }), 200);
    const ready = await expectStatus(await call('POST', '/holds', { token: waiter.token, body: { book_id: await seedBook() } }), 201);
    expect(ready).toMatchObject({ status: 'ready', pickup_by: inDays(3) });
    // Changed outside the API too (SQL by hand): the circulation context follows the policy row.
    await env.DB.prepare('UPDATE policy SET hold_pickup_days = 5 WHERE id = 1').run();
    const book = await seedBook();
    const loan = await expectStatus(await call('POST', '/loans', { token: reader.token, body: { book_ids: [book] } }), 201);
    const waiting = await expectStatus(await call('POST', '/holds', { token: waiter.token, body: { book_id: book } }), 201);
    expect(waiting).toMatchObject({ status: 'waiting', pickup_by: null });
    await expectStatus(await call('POST', `/loans/${loan.id}/return`, { token: reader.token }), 200);
    expect(await expectStatus(await call('GET', `/holds/${waiting.id}`, { token: waiter.token }), 200)).toMatchObject({ status: 'ready', pickup_by: inDays(5) });
  });
});
