import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runDailyJob } from '../src/jobs/daily';
import { CIRCULATION_STEPS } from '../src/jobs/circulation-steps';
import { call, copiesOf, expectStatus, makeAdmin, makeUser, seedBook } from './helpers';

afterEach(() => {
  vi.useRealTimers();
});

const at = (day: string) => {
  vi.setSystemTime(new Date(`${day}T09:00:00Z`));
};
const run = (day: string) => runDailyJob(env, new Date(`${day}T03:00:00Z`));
const changedBy = (reports: { step: string; changed: number }[]) => reports.filter((r) => CIRCULATION_STEPS.some((s) => s.name === r.step)).map((r) => r.changed);
const noticesOf = (userId: number) =>
  env.DB.prepare('SELECT kind, loan_id, hold_id, book_id, due_on FROM notices WHERE user_id = ? ORDER BY id').bind(userId).all().then((r) => r.results);
const holdRow = (id: number) => env.DB.prepare('SELECT status, copy_id, ready_on, pickup_by, closed_on FROM holds WHERE id = ?').bind(id).first();

describe('daily job: holds and loan notices', () => {
  it('expires a ready hold on the first run after pickup_by, passes the copy to the next hold, notifies once even when run twice', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    at('2031-03-01');
    const [admin, first, second, borrower] = [await makeAdmin(), await makeUser(), await makeUser(), await makeUser()];
    const bookId = await seedBook({}, 1);
    const [copy] = await copiesOf(bookId);
    // The copy is out; two patrons queue.
    await expectStatus(await call('POST', '/loans', { token: borrower.token, body: { book_ids: [bookId] } }), 201);
    const h1 = await expectStatus(await call('POST', '/holds', { token: first.token, body: { book_id: bookId } }), 201);
    const h2 = await expectStatus(await call('POST', '/holds', { token: second.token, body: { book_id: bookId } }), 201);
    at('2031-03-02');
    const desk = await makeAdmin();
    const checkIn = await expectStatus(await call('POST', '/circulation/check-in', { token: desk.token, body: { barcode: copy!.barcode } }), 200);
    expect(checkIn.hold).toMatchObject({ id: h1.id, status: 'ready', pickup_by: '2031-03-09' });

    // On the pickup day and the day after it was due: not yet; the first run after pickup_by: expired.
    await run('2031-03-09');
    expect(await holdRow(h1.id)).toMatchObject({ status: 'ready' });
    const reports = await run('2031-03-10');
    expect(reports.find((r) => r.step === 'expire ready holds past pickup_by')).toMatchObject({ changed: 1, ok: true });
    expect(reports.every((r) => r.ok)).toBe(true);
    expect(await holdRow(h1.id)).toMatchObject({ status: 'expired', closed_on: '2031-03-10' });
    expect(await holdRow(h2.id)).toMatchObject({ status: 'ready', copy_id: copy!.id, ready_on: '2031-03-10', pickup_by: '2031-03-17' });
    expect((await copiesOf(bookId))[0]).toMatchObject({ status: 'on_hold_shelf' });
    expect(await noticesOf(first.id)).toEqual([
      expect.objectContaining({ kind: 'hold_ready', hold_id: h1.id }),
      expect.objectContaining({ kind: 'hold_expired', hold_id: h1.id, book_id: bookId }),
    ]);
    expect((await noticesOf(second.id)).map((n) => n.kind)).toEqual(['hold_ready']);
    const events = await env.DB.prepare("SELECT actor_id, user_id, hold_id, copy_id FROM events WHERE action = 'hold.expired'").all();
    expect(events.results).toEqual([{ actor_id: null, user_id: first.id, hold_id: h1.id, copy_id: copy!.id }]);

    // Run twice: nothing changes.
    const again = await run('2031-03-10');
    expect(changedBy(again)).toEqual([0, 0, 0]);
    expect((await noticesOf(first.id)).length).toBe(2);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM events WHERE action = 'hold.expired'").first('n'))).toBe(1);
    void admin;
  });

  it('due_soon for today < deadline <= today + 2 and overdue for deadline < today, once per (loan, deadline)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    at('2031-06-01');
    const member = await makeUser();
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [await seedBook()] } }), 201);
    expect(loan.deadline).toBe('2031-06-15');
    await run('2031-06-12');
    expect(await noticesOf(member.id)).toEqual([]);
    await run('2031-06-13');
    await run('2031-06-13');
    await run('2031-06-14');
    expect(await noticesOf(member.id)).toEqual([{ kind: 'due_soon', loan_id: loan.id, hold_id: null, book_id: null, due_on: '2031-06-15' }]);
    // A renewal moves the deadline: a new due_soon when it nears.
    at('2031-06-14');
    const again = await makeUser();
    void again;
    const { token } = await expectStatus(await call('POST', '/users/login', { body: { email: member.email, password: member.password } }), 200);
    await expectStatus(await call('POST', `/loans/${loan.id}/renew`, { token }), 200);
    await run('2031-06-27');
    await run('2031-06-30');
    await run('2031-07-01');
    expect(await noticesOf(member.id)).toEqual([
      expect.objectContaining({ kind: 'due_soon', due_on: '2031-06-15' }),
      expect.objectContaining({ kind: 'due_soon', due_on: '2031-06-29' }),
      expect.objectContaining({ kind: 'overdue', due_on: '2031-06-29' }),
    ]);
  });

  it('reads only due rows through indexes', async () => {
    for (const [query, index] of [
      ["SELECT id FROM holds WHERE status = 'ready' AND pickup_by < '2031-01-01' ORDER BY pickup_by, id LIMIT 200", 'holds_ready_pickup_idx'],
      ["SELECT id FROM loans WHERE return_date IS NULL AND deadline < '2031-01-01'", 'loans_open_deadline_idx'],
      ["SELECT id FROM loans WHERE return_date IS NULL AND deadline > '2031-01-01' AND deadline <= date('2031-01-01', '+2 days')", 'loans_open_deadline_idx'],
    ] as const) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query}`).all<{ detail: string }>();
      expect(plan.results.map((r) => r.detail).join(' | ')).toContain(index);
    }
  });
});
