import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { call, copiesOf, expectStatus, makeAdmin, makeUser, seedBook, type TestUser } from './helpers';

afterEach(() => {
  vi.useRealTimers();
});
const at = (day: string) => vi.setSystemTime(new Date(`${day}T10:00:00Z`));
const login = async (user: TestUser) =>
  (await expectStatus(await call('POST', '/users/login', { body: { email: user.email, password: user.password } }), 200)).token as string;
const fines = (userId: number) =>
  env.DB.prepare("SELECT amount_cents, loan_id, copy_id, book_id FROM account_entries WHERE user_id = ? AND kind = 'fine' ORDER BY id").bind(userId).all().then((r) => r.results);
const fineEvents = (userId: number) =>
  env.DB.prepare("SELECT copy_id, book_id, loan_id FROM events WHERE action = 'fine.charged' AND user_id = ? ORDER BY id").bind(userId).all().then((r) => r.results);

async function lend(books: number) {
  vi.useFakeTimers({ toFake: ['Date'] });
  at('2033-01-01');
  const [admin, member] = [await makeAdmin(), await makeUser()];
  const ids = [];
  for (let i = 0; i < books; i++) ids.push(await seedBook());
  const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: ids } }), 201);
  expect(loan.deadline).toBe('2033-01-15');
  const copies = await Promise.all(ids.map(async (id) => (await copiesOf(id))[0]!));
  return { admin, member, loan, ids, copies };
}

describe('fines on copies', () => {
  it('a check-in refused (a member at the desk) charges nothing and closes nothing', async () => {
    const { member, copies } = await lend(1);
    at('2033-01-20');
    const res = await call('POST', '/circulation/check-in', { token: await login(member), body: { barcode: copies[0]!.barcode } });
    expect(res.status).toBe(403);
    expect(await fines(member.id)).toEqual([]);
  });

  it('return 3 days late: 3 × rate per copy, one entry and one fine.charged each', async () => {
    const { member, loan, ids, copies } = await lend(2);
    at('2033-01-18');
    await expectStatus(await call('POST', `/loans/${loan.id}/return`, { token: await login(member) }), 200);
    expect(await fines(member.id)).toEqual(ids.map((book_id, i) => ({ amount_cents: 75, loan_id: loan.id, copy_id: copies[i]!.id, book_id })));
    expect(await fineEvents(member.id)).toHaveLength(2);
  });

  it('check-in 100 days late is capped; on time charges nothing', async () => {
    const { admin, member, copies } = await lend(2);
    at('2033-01-15');
    const desk = { ...admin, token: await login(admin) };
    await expectStatus(await call('POST', '/circulation/check-in', { token: desk.token, body: { barcode: copies[0]!.barcode } }), 200);
    at('2033-04-25');
    const late = { token: await login(admin), body: { barcode: copies[1]!.barcode }, headers: { 'Idempotency-Key': 'late-check-in' } };
    await expectStatus(await call('POST', '/circulation/check-in', late), 200);
    // A retry with the same key answers from its record and charges nothing more.
    await expectStatus(await call('POST', '/circulation/check-in', late), 200);
    expect(await fines(member.id)).toEqual([expect.objectContaining({ amount_cents: 1000, copy_id: copies[1]!.id })]);
    expect(await fineEvents(member.id)).toEqual([expect.objectContaining({ copy_id: copies[1]!.id })]);
  });

  it('remove-book past the deadline and a copy marked lost are fined as a check-in would be', async () => {
    const { admin, member, loan, ids, copies } = await lend(2);
    at('2033-01-17');
    await expectStatus(await call('PUT', `/loans/${loan.id}/remove-book/${ids[0]}`, { token: await login(member) }), 200);
    at('2033-01-20');
    await expectStatus(await call('PATCH', `/copies/${copies[1]!.id}`, { token: await login(admin), body: { status: 'lost' } }), 200);
    expect(await fines(member.id)).toEqual([
      { amount_cents: 50, loan_id: loan.id, copy_id: copies[0]!.id, book_id: ids[0] },
      { amount_cents: 125, loan_id: loan.id, copy_id: copies[1]!.id, book_id: ids[1] },
    ]);
    // A second try changes nothing.
    await expectStatus(await call('PATCH', `/copies/${copies[1]!.id}`, { token: await login(admin), body: { status: 'lost' } }), 200);
    expect((await fines(member.id)).length).toBe(2);
  });
});
