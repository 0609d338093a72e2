import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb } from '../src/db/client';
import { patronBlockProbe, patronBlockers, patronNotBlocked, type Adding } from '../src/lib/blocks';
import { call, expectStatus, makeAdmin, makeUser, seedBook, type TestUser } from './helpers';

const db = createDb(env.DB);

/** The probe, the blockers it yields and the write-side condition, which must agree. */
async function blocks(userId: number, today: string, adding: Adding = {}, openHolds = 0) {
  const [probe] = await patronBlockProbe(db, userId, today, sql<number>`${openHolds}`);
  const blockers = patronBlockers(probe!, adding);
  const [{ ok }] = (await db.all(sql`SELECT ${patronNotBlocked(userId, today, adding, sql<number>`${openHolds}`)} AS ok`)) as [{ ok: number }];
  expect(ok === 1, JSON.stringify(blockers)).toBe(blockers.length === 0);
  return blockers.map((b) => b.code);
}

describe('patron-level blocks', () => {
  let admin: TestUser;
  beforeAll(async () => {
    admin = await makeAdmin();
  });
  afterEach(async () => {
    vi.useRealTimers();
  });
  const login = async (user: TestUser) =>
    (await expectStatus(await call('POST', '/users/login', { body: { email: user.email, password: user.password } }), 200)).token as string;
  const patchPolicy = async (body: unknown) => expectStatus(await call('PATCH', '/policy', { token: await login(admin), body }), 200);

  it('FINES_OVER_LIMIT at the block balance, lifted by a payment; 0 switches it off', async () => {
    const member = await makeUser();
    expect(await blocks(member.id, '2030-01-01', { copies: 1 })).toEqual([]);
    await expectStatus(await call('POST', `/users/${member.id}/account/charges`, { token: admin.token, body: { amount_cents: 499, note: 'x' } }), 201);
    expect(await blocks(member.id, '2030-01-01', { copies: 1 })).toEqual([]);
    await expectStatus(await call('POST', `/users/${member.id}/account/charges`, { token: admin.token, body: { amount_cents: 1, note: 'x' } }), 201);
    expect(await blocks(member.id, '2030-01-01', { copies: 1 })).toEqual(['FINES_OVER_LIMIT']);
    expect(await blocks(member.id, '2030-01-01')).toEqual(['FINES_OVER_LIMIT']);
    await patchPolicy({ block_balance_cents: 0 });
    expect(await blocks(member.id, '2030-01-01', { copies: 1 })).toEqual([]);
    await patchPolicy({ block_balance_cents: 500 });
    await expectStatus(await call('POST', `/users/${member.id}/account/payments`, { token: admin.token, body: { amount_cents: 1 } }), 201);
    expect(await blocks(member.id, '2030-01-01', { copies: 1 })).toEqual([]);
  });

  it('OVERDUE_COPIES from the day after the deadline, LOAN_LIMIT_REACHED past max_active_copies, all listed in order', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-06-01T10:00:00Z'));
    const member = await makeUser();
    const books = [await seedBook(), await seedBook(), await seedBook()];
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: books } }), 201);
    expect(loan.deadline).toBe('2030-06-15');
    expect(await blocks(member.id, '2030-06-15', { copies: 1 })).toEqual([]);
    expect(await blocks(member.id, '2030-06-16', { copies: 1 })).toEqual(['OVERDUE_COPIES']);
    await patchPolicy({ block_overdue_copies: 4, max_active_copies: 4 });
    expect(await blocks(member.id, '2030-06-16', { copies: 1 })).toEqual([]);
    expect(await blocks(member.id, '2030-06-16', { copies: 2 })).toEqual(['LOAN_LIMIT_REACHED']);
    // A renewal adds nothing: the limit does not apply to it.
    expect(await blocks(member.id, '2030-06-16')).toEqual([]);
    await patchPolicy({ block_overdue_copies: 3, max_active_copies: 3 });
    await expectStatus(await call('POST', `/users/${member.id}/account/charges`, { token: await login(admin), body: { amount_cents: 600, note: 'x' } }), 201);
    expect(await blocks(member.id, '2030-06-16', { copies: 1, holds: 1 }, 5)).toEqual(['FINES_OVER_LIMIT', 'OVERDUE_COPIES', 'LOAN_LIMIT_REACHED', 'HOLD_LIMIT_REACHED']);
    // Returning the books lifts the item blocks (the late return adds fines, which keep the fine block).
    await expectStatus(await call('POST', `/loans/${loan.id}/return`, { token: await login(member) }), 200);
    expect(await blocks(member.id, '2030-06-16', { copies: 1 })).toEqual(['FINES_OVER_LIMIT']);
    await patchPolicy({ block_overdue_copies: 1, max_active_copies: 10 });
  });

  it('HOLD_LIMIT_REACHED counts the open holds the holds code passes; max_holds 0 refuses every hold', async () => {
    const member = await makeUser();
    expect(await blocks(member.id, '2030-01-01', { holds: 1 }, 4)).toEqual([]);
    expect(await blocks(member.id, '2030-01-01', { holds: 1 }, 5)).toEqual(['HOLD_LIMIT_REACHED']);
    expect(await blocks(member.id, '2030-01-01', { copies: 1 }, 5)).toEqual([]);
    await patchPolicy({ max_holds: 0 });
    expect(await blocks(member.id, '2030-01-01', { holds: 1 }, 0)).toEqual(['HOLD_LIMIT_REACHED']);
    await patchPolicy({ max_holds: 5 });
  });
});

describe('the probe inside a request’s batch', () => {
  it('keeps its columns in place through the D1 wrapper (an unnamed `0` column would sort first)', async () => {
    const { instrumentD1, newD1Stats } = await import('../src/db/instrument');
    const wrapped = createDb(instrumentD1(env.DB, newD1Stats()));
    const member = await makeUser();
    const [[probe]] = await wrapped.batch([patronBlockProbe(wrapped, member.id, '2030-01-01', sql<number>`0`)]);
    expect(probe).toEqual({
      balance_cents: 0,
      block_balance_cents: 500,
      overdue_copies: 0,
      block_overdue_copies: 1,
      active_copies: 0,
      max_active_copies: 10,
      open_holds: 0,
      max_holds: 5,
    });
  });
});
