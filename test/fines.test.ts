import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { daysLate, fineCents } from '../src/lib/policy';
import { call, expectProblem, expectStatus, makeAdmin, makeUser, seedBook, type TestUser } from './helpers';

const RATES = { fine_per_day_cents: 25, max_fine_per_copy_cents: 1000 };

describe('fineCents (pure)', () => {
  it.each([
    ['2026-03-10', '2026-03-10', 0, 0],
    ['2026-03-10', '2026-03-09', 0, 0],
    ['2026-03-10', '2026-03-11', 1, 25],
    ['2026-03-10', '2026-03-13', 3, 75],
    ['2026-02-27', '2026-03-02', 3, 75],
    ['2028-02-28', '2028-03-01', 2, 50],
    ['2026-12-30', '2027-01-02', 3, 75],
    ['2026-03-10', '2026-04-18', 39, 975],
    ['2026-03-10', '2026-04-19', 40, 1000],
    ['2026-03-10', '2026-06-18', 100, 1000],
  ])('due %s, back %s: %i days late, %i cents', (deadline, returned, days, cents) => {
    expect(daysLate(deadline, returned)).toBe(days);
    expect(fineCents(deadline, returned, RATES)).toBe(cents);
  });

  it('is 0 when either rate is 0', () => {
    expect(fineCents('2026-03-10', '2026-03-20', { fine_per_day_cents: 0, max_fine_per_copy_cents: 1000 })).toBe(0);
    expect(fineCents('2026-03-10', '2026-03-20', { fine_per_day_cents: 25, max_fine_per_copy_cents: 0 })).toBe(0);
  });

  it('the SQL fragment agrees with the function', async () => {
    for (const [deadline, returned] of [
      ['2026-03-10', '2026-03-13'],
      ['2026-03-10', '2026-06-18'],
      ['2026-03-10', '2026-03-01'],
      ['2028-02-28', '2028-03-01'],
    ] as const) {
      const row = await env.DB.prepare(
        `SELECT min(max(0, CAST(julianday(?2) - julianday(?1) AS INTEGER)) * fine_per_day_cents, max_fine_per_copy_cents) AS fine FROM policy`,
      )
        .bind(deadline, returned)
        .first<{ fine: number }>();
      expect(row!.fine).toBe(fineCents(deadline, returned, RATES));
    }
  });
});

describe('POST /loans/{id}/return charges late books', () => {
  let admin: TestUser;
  beforeAll(async () => {
    admin = await makeAdmin();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A member, on the fake day `day`, with a loan of `books` fresh books; the loan is due 14 days later. */
  async function loanOn(day: string, books = 1) {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(`${day}T09:00:00Z`));
    const member = await makeUser();
    const bookIds = [];
    for (let i = 0; i < books; i++) bookIds.push(await seedBook());
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: bookIds } }), 201);
    return { member, loan, bookIds };
  }

  async function returnOn(day: string, member: TestUser, loanId: number) {
    vi.setSystemTime(new Date(`${day}T17:00:00Z`));
    const { token } = await expectStatus(await call('POST', '/users/login', { body: { email: member.email, password: member.password } }), 200);
    const res = await call('POST', `/loans/${loanId}/return`, { token });
    return { res, token };
  }

  const entriesOf = (userId: number) =>
    env.DB.prepare('SELECT kind, amount_cents, loan_id, copy_id, book_id FROM account_entries WHERE user_id = ? ORDER BY id').bind(userId).all().then((r) => r.results);
  const fineEvents = (userId: number) =>
    env.DB.prepare("SELECT user_id, book_id, loan_id, copy_id FROM events WHERE action = 'fine.charged' AND user_id = ? ORDER BY id").bind(userId).all().then((r) => r.results);

  it('3 days late: 3 × rate per book, one entry and one fine.charged event each', async () => {
    const { member, loan, bookIds } = await loanOn('2032-03-01', 2);
    expect(loan.deadline).toBe('2032-03-15');
    const { res, token } = await returnOn('2032-03-18', member, loan.id);
    expect(await expectStatus(res, 200)).toMatchObject({ return_date: '2032-03-18', status: 'returned' });
    const sorted = [...bookIds].sort((a, b) => a - b);
    expect(await entriesOf(member.id)).toEqual(sorted.map((book_id) => ({ kind: 'fine', amount_cents: 75, loan_id: loan.id, copy_id: expect.any(Number), book_id })));
    expect(await fineEvents(member.id)).toEqual(
      expect.arrayContaining(sorted.map((book_id) => ({ user_id: member.id, book_id, loan_id: loan.id, copy_id: expect.any(Number) }))),
    );
    expect((await fineEvents(member.id)).length).toBe(2);
    const account = await expectStatus(await call('GET', '/users/profile/account', { token }), 200);
    expect(account).toMatchObject({ balance_cents: 150, accruing_cents: 0, total: 2 });
    // The event's actor is the one who returned it.
    const actor = await env.DB.prepare("SELECT DISTINCT actor_id FROM events WHERE action = 'fine.charged' AND user_id = ?").bind(member.id).all();
    expect(actor.results).toEqual([{ actor_id: member.id }]);
  });

  it('100 days late: capped per book', async () => {
    const { member, loan } = await loanOn('2032-01-01');
    await expectStatus((await returnOn('2032-04-24', member, loan.id)).res, 200);
    expect(await entriesOf(member.id)).toEqual([expect.objectContaining({ kind: 'fine', amount_cents: 1000 })]);
  });

  it('on the deadline, or with a rate of 0: no entry and no event', async () => {
    const onTime = await loanOn('2032-05-01');
    await expectStatus((await returnOn('2032-05-15', onTime.member, onTime.loan.id)).res, 200);
    expect(await entriesOf(onTime.member.id)).toEqual([]);
    const late = await loanOn('2032-05-01');
    vi.setSystemTime(new Date('2032-05-01T09:30:00Z'));
    const freshAdmin = await expectStatus(await call('POST', '/users/login', { body: { email: admin.email, password: admin.password } }), 200);
    await expectStatus(await call('PATCH', '/policy', { token: freshAdmin.token, body: { fine_per_day_cents: 0 } }), 200);
    try {
      await expectStatus((await returnOn('2032-05-20', late.member, late.loan.id)).res, 200);
    } finally {
      vi.setSystemTime(new Date('2032-05-20T17:30:00Z'));
      const again = await expectStatus(await call('POST', '/users/login', { body: { email: admin.email, password: admin.password } }), 200);
      await expectStatus(await call('PATCH', '/policy', { token: again.token, body: { fine_per_day_cents: 25 } }), 200);
    }
    expect(await entriesOf(late.member.id)).toEqual([]);
    expect(await fineEvents(late.member.id)).toEqual([]);
  });

  it('a second return charges nothing more; a removed book is not fined', async () => {
    const { member, loan, bookIds } = await loanOn('2032-07-01', 2);
    vi.setSystemTime(new Date('2032-07-20T08:00:00Z'));
    const { token } = await expectStatus(await call('POST', '/users/login', { body: { email: member.email, password: member.password } }), 200);
    await expectStatus(await call('PUT', `/loans/${loan.id}/remove-book/${bookIds[0]}`, { token }), 200);
    await expectStatus(await call('POST', `/loans/${loan.id}/return`, { token }), 200);
    await expectProblem(await call('POST', `/loans/${loan.id}/return`, { token }), 409, 'LOAN_RETURNED');
    expect(await entriesOf(member.id)).toEqual([expect.objectContaining({ amount_cents: 125, book_id: bookIds[1] })]);
  });
});
