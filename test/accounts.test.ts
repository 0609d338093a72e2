import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, expectProblem, expectStatus, makeAdmin, makeUser, seedBook, type TestUser } from './helpers';

const entry = (admin: TestUser, userId: number, kind: 'charges' | 'payments' | 'waivers', body: unknown) =>
  call('POST', `/users/${userId}/account/${kind}`, { token: admin.token, body });
const entry_ = (admin: TestUser, userId: number, kind: 'charges' | 'payments' | 'waivers', body: unknown) =>
  call('POST', `/users/${userId}/account/${kind}`, { token: admin.token, body });
const account = (user: TestUser, query = '') => call('GET', `/users/profile/account${query}`, { token: user.token });
const eventsFor = (userId: number) =>
  env.DB.prepare('SELECT action, actor_id, user_id FROM events WHERE user_id = ? ORDER BY id').bind(userId).all().then((r) => r.results);

describe('accounts', () => {
  let admin: TestUser;
  beforeAll(async () => {
    admin = await makeAdmin();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts empty', async () => {
    const member = await makeUser();
    const res = await account(member);
    expect(await expectStatus(res, 200)).toEqual({
      balance_cents: 0,
      accruing_cents: 0,
      currency: 'EUR',
      entries: [],
      page: 1,
      per_page: 20,
      total: 0,
      pages: 1,
      has_next: false,
      has_prev: false,
    });
    expect(res.headers.get('X-Total-Count')).toBe('0');
  });

  it('charges raise and payments and waivers lower the balance; entries newest first; one event each', async () => {
    const member = await makeUser();
    const charged = await entry(admin, member.id, 'charges', { amount_cents: 1500, note: ' Water damage ' });
    const charge = await expectStatus(charged, 201);
    expect(charged.headers.get('Location')).toBe(`/users/${member.id}/account`);
    expect(charge).toEqual({
      id: expect.any(Number),
      kind: 'charge',
      amount_cents: 1500,
      loan_id: null,
      copy_id: null,
      book_id: null,
      note: 'Water damage',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    await expectStatus(await entry(admin, member.id, 'payments', { amount_cents: 1000 }), 201);
    await expectStatus(await entry(admin, member.id, 'waivers', { amount_cents: 200, note: 'Goodwill' }), 201);
    const mine = await expectStatus(await account(member), 200);
    expect(mine).toMatchObject({ balance_cents: 300, total: 3 });
    expect(mine.entries.map((e: { kind: string }) => e.kind)).toEqual(['waiver', 'payment', 'charge']);
    expect(await expectStatus(await call('GET', `/users/${member.id}/account`, { token: admin.token }), 200)).toEqual(mine);
    expect(await eventsFor(member.id)).toEqual([
      { action: 'charge.recorded', actor_id: admin.id, user_id: member.id },
      { action: 'payment.recorded', actor_id: admin.id, user_id: member.id },
      { action: 'waiver.recorded', actor_id: admin.id, user_id: member.id },
    ]);
  });

  it('payments and waivers above the balance are 409 OVERPAYMENT, with nothing written', async () => {
    const member = await makeUser();
    await expectProblem(await entry(admin, member.id, 'payments', { amount_cents: 1 }), 409, 'OVERPAYMENT');
    await expectStatus(await entry(admin, member.id, 'charges', { amount_cents: 500, note: 'Lost' }), 201);
    await expectProblem(await entry(admin, member.id, 'waivers', { amount_cents: 501 }), 409, 'OVERPAYMENT');
    await expectStatus(await entry(admin, member.id, 'payments', { amount_cents: 500 }), 201);
    await expectProblem(await entry(admin, member.id, 'payments', { amount_cents: 1 }), 409, 'OVERPAYMENT');
    expect(await expectStatus(await account(member), 200)).toMatchObject({ balance_cents: 0, total: 2 });
    expect((await eventsFor(member.id)).length).toBe(2);
  });

  it('racing payments cannot overdraw: exactly as many succeed as the balance covers', async () => {
    const member = await makeUser();
    await expectStatus(await entry(admin, member.id, 'charges', { amount_cents: 300, note: 'Damage' }), 201);
    const results = await Promise.all(Array.from({ length: 6 }, () => entry(admin, member.id, 'payments', { amount_cents: 100 })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409]);
    expect(await expectStatus(await account(member), 200)).toMatchObject({ balance_cents: 0, total: 4 });
  });

  it.each([
    ['charges', { amount_cents: 0, note: 'x' }, 'amount_cents'],
    ['charges', { amount_cents: -5, note: 'x' }, 'amount_cents'],
    ['charges', { amount_cents: 1.5, note: 'x' }, 'amount_cents'],
    ['charges', { amount_cents: 10_000_001, note: 'x' }, 'amount_cents'],
    ['charges', { amount_cents: 100 }, 'note'],
    ['charges', { amount_cents: 100, note: 'x'.repeat(501) }, 'note'],
    ['charges', { amount_cents: 100, note: 'x', copy_id: 0 }, 'copy_id'],
    ['payments', { amount_cents: 0 }, 'amount_cents'],
    ['payments', { amount_cents: '100' }, 'amount_cents'],
    ['waivers', { amount_cents: 100, kind: 'fine' }, 'kind'],
    ['waivers', { amount_cents: 100, note: 'a\u0000b' }, 'note'],
  ] as const)('POST %s %j is 400 on %s', async (kind, body, field) => {
    const member = await makeUser();
    const problem = await expectProblem(await entry(admin, member.id, kind, body), 400, 'VALIDATION_FAILED');
    expect(Object.keys(problem.errors)).toContain(field);
  });

  it('writes are admin-only, reads of another account too; unknown users are 404', async () => {
    const member = await makeUser();
    const other = await makeUser();
    await expectProblem(await entry(member, member.id, 'charges', { amount_cents: 100, note: 'x' }), 403, 'FORBIDDEN');
    await expectProblem(await entry(member, member.id, 'payments', { amount_cents: 100 }), 403, 'FORBIDDEN');
    await expectProblem(await call('GET', `/users/${other.id}/account`, { token: member.token }), 403, 'FORBIDDEN');
    await expectProblem(await call('GET', `/users/${member.id}/account`, { token: member.token }), 403, 'FORBIDDEN');
    await expectProblem(await call('GET', '/users/profile/account'), 401, 'UNAUTHENTICATED');
    await expectProblem(await call('GET', '/users/99999999999/account', { token: admin.token }), 404, 'NOT_FOUND');
    await expectProblem(await entry(admin, 99999999999, 'charges', { amount_cents: 100, note: 'x' }), 404, 'NOT_FOUND');
    await expectProblem(await entry(admin, 99999999999, 'payments', { amount_cents: 100 }), 404, 'NOT_FOUND');
    await expectProblem(await entry(admin, member.id, 'charges', { amount_cents: 100, note: 'x', copy_id: 99999999 }), 404, 'NOT_FOUND');
    // A known copy: the entry names it and its book.
    const bookId = await seedBook();
    const copy = await env.DB.prepare('SELECT id FROM copies WHERE book_id = ?').bind(bookId).first<{ id: number }>();
    const charged = await expectStatus(await entry(admin, member.id, 'charges', { amount_cents: 100, note: 'Torn', copy_id: copy!.id }), 201);
    expect(charged).toMatchObject({ copy_id: copy!.id, book_id: bookId });
    await expectProblem(await call('DELETE', '/users/profile/account', { token: member.token }), 405, 'METHOD_NOT_ALLOWED');
    expect((await eventsFor(member.id)).map((e: any) => e.action)).toEqual(['charge.recorded']);
  });

  it('pages entries newest first with X-Total-Count and Link, reading O(page) rows', async () => {
    const member = await makeUser();
    const values = Array.from({ length: 45 }, (_, i) => `(${member.id}, 'charge', ${i + 1}, 'n${i + 1}', '2026-01-01T00:00:00.000Z')`);
    await env.DB.prepare(`INSERT INTO account_entries (user_id, kind, amount_cents, note, created_at) VALUES ${values.join(',')}`).run();
    const res = await account(member, '?page=2&per_page=20');
    const page = await expectStatus(res, 200);
    expect(page).toMatchObject({ balance_cents: (45 * 46) / 2, total: 45, page: 2, pages: 3, has_next: true, has_prev: true });
    expect(page.entries.map((e: { amount_cents: number }) => e.amount_cents)).toEqual(Array.from({ length: 20 }, (_, i) => 25 - i));
    expect(res.headers.get('X-Total-Count')).toBe('45');
    expect(res.headers.get('Link')).toContain('rel="next"');
    const timing = res.headers.get('Server-Timing')!;
    expect(/d1_round_trips;desc="(\d+)"/.exec(timing)?.[1]).toBe('1');
    // Caller + user + balance row + 40 rows walked for the offset page (no open loans).
    expect(Number(/d1_rows_read;desc="(\d+)"/.exec(timing)?.[1])).toBeLessThanOrEqual(45);
    await expectProblem(await account(member, '?per_page=101'), 400, 'VALIDATION_FAILED');
  });

  it('Idempotency-Key: a repeat answers the same entry without recording it twice; another body is 422; a refusal is not recorded', async () => {
    const member = await makeUser();
    const post = (kind: 'charges' | 'payments', body: unknown, key: string) =>
      call('POST', `/users/${member.id}/account/${kind}`, { token: admin.token, body, headers: { 'Idempotency-Key': key } });
    const key = `charge-${member.id}`;
    const first = await post('charges', { amount_cents: 400, note: 'Lost' }, key);
    const entry = await expectStatus(first, 201);
    const again = await post('charges', { note: 'Lost', amount_cents: 400 }, key);
    expect(await expectStatus(again, 201)).toEqual(entry);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(again.headers.get('Location')).toBe(`/users/${member.id}/account`);
    await expectProblem(await post('charges', { amount_cents: 401, note: 'Lost' }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    // Racing repeats of a payment: one change.
    const pay = await Promise.all([1, 2, 3].map(() => post('payments', { amount_cents: 100 }, `pay-${member.id}`)));
    expect(pay.map((r) => r.status)).toEqual([201, 201, 201]);
    // An overpayment is refused and not recorded: the same key works once the balance covers it.
    await expectProblem(await post('payments', { amount_cents: 500 }, `big-${member.id}`), 409, 'OVERPAYMENT');
    await expectStatus(await entry_(admin, member.id, 'charges', { amount_cents: 200, note: 'Damage' }), 201);
    await expectStatus(await post('payments', { amount_cents: 500 }, `big-${member.id}`), 201);
    expect(await expectStatus(await account(member), 200)).toMatchObject({ balance_cents: 0, total: 4 });
    expect((await eventsFor(member.id)).map((e: any) => e.action)).toEqual(['charge.recorded', 'payment.recorded', 'charge.recorded', 'payment.recorded']);
  });

  it('deleting a user who owes money is 409 BALANCE_OUTSTANDING (self or admin); settled, it goes and its entries stay, anonymised', async () => {
    const member = await makeUser();
    await expectStatus(await entry(admin, member.id, 'charges', { amount_cents: 700, note: 'Lost book' }), 201);
    const before = (await eventsFor(member.id)).length;
    await expectProblem(await call('DELETE', '/users', { token: member.token }), 409, 'BALANCE_OUTSTANDING');
    await expectProblem(await call('DELETE', `/users/${member.id}`, { token: admin.token }), 409, 'BALANCE_OUTSTANDING');
    expect((await eventsFor(member.id)).length).toBe(before);
    await expectStatus(await entry(admin, member.id, 'payments', { amount_cents: 200 }), 201);
    // A waiver of the rest racing the deletion: either the deletion waits for a zero balance or is refused.
    const [waived, deleted] = await Promise.all([
      entry(admin, member.id, 'waivers', { amount_cents: 500 }),
      call('DELETE', `/users/${member.id}`, { token: admin.token }),
    ]);
    expect(waived.status).toBe(201);
    if (deleted.status !== 200) {
      await expectProblem(deleted, 409, 'BALANCE_OUTSTANDING');
      await expectStatus(await call('DELETE', `/users/${member.id}`, { token: admin.token }), 200);
    }
    const left = await env.DB.prepare('SELECT user_id, kind FROM account_entries WHERE note = ? OR id > 0 AND user_id IS NULL ORDER BY id')
      .bind('Lost book')
      .all();
    expect(left.results).toContainEqual({ user_id: null, kind: 'charge' });
    expect(await env.DB.prepare('SELECT count(*) AS n FROM account_balances WHERE user_id = ?').bind(member.id).first('n')).toBe(0);
  });

  it('accruing_cents: per overdue item, days late × rate capped, as of today; nothing before the deadline', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2031-01-01T10:00:00Z'));
    const member = await makeUser();
    const [a, b, c] = [await seedBook(), await seedBook(), await seedBook()];
    await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [a, b] } }), 201);
    const later = await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [c] } }), 201);
    const returned = await expectStatus(await call('POST', '/loans', { token: member.token, body: {} }), 201);
    await expectStatus(await call('POST', `/loans/${returned.id}/return`, { token: member.token }), 200);
    // Tokens live an hour: log in again on each new fake day.
    const accruing = async (at: string) => {
      vi.setSystemTime(new Date(at));
      const own = await expectStatus(await account(await loginAgain(member)), 200);
      const seen = await expectStatus(await call('GET', `/users/${member.id}/account`, { token: (await loginAgain(admin)).token }), 200);
      expect(seen).toEqual(own);
      return own.accruing_cents;
    };
    // Deadline 2031-01-15: nothing on the day, 3 books × 25 a day after, and no balance yet.
    expect(await accruing('2031-01-15T23:00:00Z')).toBe(0);
    expect(await accruing('2031-01-16T00:30:00Z')).toBe(75);
    expect(await accruing('2031-01-18T12:00:00Z')).toBe(225);
    // 100 days late: each book capped at 1000; the third book's loan 3 days late.
    await env.DB.prepare('UPDATE loans SET deadline = ? WHERE id = ?').bind('2031-04-22', later.id).run();
    expect(await accruing('2031-04-25T12:00:00Z')).toBe(2000 + 75);
    // The policy in force applies.
    await expectStatus(await call('PATCH', '/policy', { token: (await loginAgain(admin)).token, body: { fine_per_day_cents: 10 } }), 200);
    expect(await accruing('2031-04-25T12:00:00Z')).toBe(2000 + 30);
    await expectStatus(await call('PATCH', '/policy', { token: (await loginAgain(admin)).token, body: { fine_per_day_cents: 25 } }), 200);
    expect(await expectStatus(await account(await loginAgain(member)), 200)).toMatchObject({ balance_cents: 0 });
  });
});

async function loginAgain(user: TestUser): Promise<TestUser> {
  const { token } = await expectStatus(await call('POST', '/users/login', { body: { email: user.email, password: user.password } }), 200);
  return { ...user, token };
}
