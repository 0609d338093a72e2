import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, expectProblem, expectStatus, makeAdmin, makeUser, seedBook, type TestUser } from './helpers';

let admin: TestUser;
beforeAll(async () => {
  admin = await makeAdmin();
});
afterEach(async () => {
  vi.useRealTimers();
  await env.DB.prepare('UPDATE policy SET max_active_copies = 10, max_holds = 5, block_balance_cents = 500, block_overdue_copies = 1').run();
});

const entry = (userId: number, kind: string, cents: number) =>
  env.DB.prepare("INSERT INTO account_entries (user_id, kind, amount_cents, created_at) VALUES (?, ?, ?, '2030-01-01T00:00:00Z')").bind(userId, kind, cents).run();
const eligibility = async (user: TestUser, query: string) => expectStatus(await call('GET', `/circulation/eligibility?${query}`, { token: user.token }), 200);
const codes = (blockers: { code: string }[]) => blockers.map((b) => b.code);

describe('blocks and eligibility agree', () => {
  it('FINES_OVER_LIMIT at the block balance: pre-check, checkout, add-book, hold and an admin acting for the patron all say so; a payment lifts it', async () => {
    const member = await makeUser();
    const [a, b] = [await seedBook(), await seedBook()];
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: {} }), 201);
    await entry(member.id, 'fine', 500);
    const pre = await eligibility(member, `book_ids=${a}`);
    expect(pre).toEqual({ eligible: false, blockers: [{ code: 'FINES_OVER_LIMIT', detail: expect.any(String) }] });
    const refused = await expectProblem(await call('POST', '/loans', { token: member.token, body: { book_ids: [a] } }), 409, 'FINES_OVER_LIMIT');
    expect(refused.blockers).toEqual(pre.blockers);
    await expectProblem(await call('POST', '/loans', { token: admin.token, body: { book_ids: [a], user_id: member.id } }), 409, 'FINES_OVER_LIMIT');
    await expectProblem(await call('PUT', `/loans/${loan.id}/add-book/${a}`, { token: member.token }), 409, 'FINES_OVER_LIMIT');
    await expectProblem(await call('POST', '/holds', { token: member.token, body: { book_id: b } }), 409, 'FINES_OVER_LIMIT');
    await entry(member.id, 'payment', 1);
    expect(await eligibility(member, `book_ids=${a}`)).toEqual({ eligible: true, blockers: [] });
    await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [a] } }), 201);
  });

  it('OVERDUE_COPIES from the day after a deadline: checkout and holds refused, renewal answers LOAN_OVERDUE and lists it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2032-01-01T09:00:00Z'));
    let member = await makeUser();
    const [a, b] = [await seedBook(), await seedBook()];
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [a] } }), 201);
    vi.setSystemTime(new Date('2032-01-16T09:00:00Z'));
    const login = await expectStatus(await call('POST', '/users/login', { body: { email: member.email, password: member.password } }), 200);
    member = { ...member, token: login.token };
    const pre = await eligibility(member, `book_ids=${b}`);
    expect(codes(pre.blockers)).toEqual(['OVERDUE_COPIES']);
    expect((await expectProblem(await call('POST', '/loans', { token: member.token, body: { book_ids: [b] } }), 409, 'OVERDUE_COPIES')).blockers).toEqual(pre.blockers);
    await expectProblem(await call('POST', '/holds', { token: member.token, body: { book_id: b } }), 409, 'OVERDUE_COPIES');
    const renew = await expectProblem(await call('POST', `/loans/${loan.id}/renew`, { token: member.token }), 409, 'LOAN_OVERDUE');
    expect(codes(renew.blockers)).toEqual(['LOAN_OVERDUE', 'OVERDUE_COPIES']);
  });

  it('LOAN_LIMIT_REACHED only for writes that add a copy; item-level reasons come first; unknown books are NOT_FOUND', async () => {
    await env.DB.prepare('UPDATE policy SET max_active_copies = 2').run();
    const member = await makeUser();
    const other = await makeUser();
    const [a, b, c, taken] = [await seedBook(), await seedBook(), await seedBook(), await seedBook()];
    await expectStatus(await call('POST', '/loans', { token: other.token, body: { book_ids: [taken] } }), 201);
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [a, b] } }), 201);
    expect(await eligibility(member, '')).toEqual({ eligible: true, blockers: [] });
    const pre = await eligibility(member, `book_ids=${c},${taken},99999999`);
    expect(pre.blockers.map((x: { code: string; book_id?: number }) => [x.code, x.book_id])).toEqual([
      ['NOT_FOUND', 99999999],
      ['BOOK_UNAVAILABLE', taken],
      ['LOAN_LIMIT_REACHED', undefined],
    ]);
    const refused = await expectProblem(await call('POST', '/loans', { token: member.token, body: { book_ids: [c, taken] } }), 409, 'BOOK_UNAVAILABLE');
    expect(refused.blockers).toEqual((await eligibility(member, `book_ids=${c},${taken}`)).blockers);
    expect(codes(refused.blockers)).toEqual(['BOOK_UNAVAILABLE', 'LOAN_LIMIT_REACHED']);
    await expectProblem(await call('PUT', `/loans/${loan.id}/add-book/${c}`, { token: member.token }), 409, 'LOAN_LIMIT_REACHED');
    await expectStatus(await call('POST', `/loans/${loan.id}/renew`, { token: member.token }), 200);
  });

  it('HOLD_LIMIT_REACHED past max_holds open holds', async () => {
    await env.DB.prepare('UPDATE policy SET max_holds = 1').run();
    const member = await makeUser();
    const [a, b] = [await seedBook(), await seedBook()];
    await expectStatus(await call('POST', '/holds', { token: member.token, body: { book_id: a } }), 201);
    const refused = await expectProblem(await call('POST', '/holds', { token: member.token, body: { book_id: b } }), 409, 'HOLD_LIMIT_REACHED');
    expect(codes(refused.blockers)).toEqual(['HOLD_LIMIT_REACHED']);
  });

  it('eligibility for three books is one round trip and writes nothing', async () => {
    const member = await makeUser();
    const ids = [await seedBook(), await seedBook(), await seedBook()];
    const res = await call('GET', `/circulation/eligibility?book_ids=${ids.join(',')}`, { token: member.token });
    expect(await expectStatus(res, 200)).toEqual({ eligible: true, blockers: [] });
    const timing = res.headers.get('Server-Timing')!;
    expect(/d1_round_trips;desc="(\d+)"/.exec(timing)?.[1]).toBe('1');
    expect(/d1_rows_written;desc="(\d+)"/.exec(timing)?.[1]).toBe('0');
  });

  it('eligibility: members ask for themselves (403 otherwise), admins for anyone (404 unknown); bad lists are 400', async () => {
    const member = await makeUser();
    const other = await makeUser();
    await expectProblem(await call('GET', `/circulation/eligibility?user_id=${other.id}`, { token: member.token }), 403, 'FORBIDDEN');
    expect(await eligibility(admin, `user_id=${other.id}`)).toEqual({ eligible: true, blockers: [] });
    await expectProblem(await call('GET', '/circulation/eligibility?user_id=99999999999', { token: admin.token }), 404, 'NOT_FOUND');
    for (const bad of ['book_ids=1,1', 'book_ids=1,x', 'book_ids=0', `book_ids=${Array.from({ length: 11 }, (_, i) => i + 1).join(',')}`]) {
      await expectProblem(await call('GET', `/circulation/eligibility?${bad}`, { token: member.token }), 400, 'VALIDATION_FAILED');
    }
  });
});
