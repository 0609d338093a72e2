import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { d1Runner, runAudit } from '../src/db/audit';
import { call, copiesOf, expectStatus, makeAdmin, makeUser, seedBook } from './helpers';

const verdictOf = async (name: string) => (await runAudit(d1Runner(env.DB), { only: [name] }))[0]!;

/**
 * events.once on a real history. Its own file: an event cannot be deleted or changed, so the
 * tampering below cannot be undone, and other audit tests' tampering (a loan's return date set and
 * cleared) leaves events this check rightly reports.
 */
describe('integrity audit: events.once', () => {
  it('passes on the events circulation writes leave, and catches a subject recorded twice', async () => {
    const [admin, member, waiting] = [await makeAdmin(), await makeUser(), await makeUser()];
    const bookId = await seedBook({}, 1);
    const [copy] = await copiesOf(bookId);
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: { barcodes: [copy!.barcode] } }), 201);
    await expectStatus(await call('POST', '/holds', { token: waiting.token, body: { book_id: bookId } }), 201);
    await expectStatus(await call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: copy!.barcode } }), 200);
    await expectStatus(await call('POST', '/loans', { token: waiting.token, body: { book_ids: [bookId] } }), 201);
    const clean = await verdictOf('events.once');
    expect(clean.status, JSON.stringify(clean)).toBe('ok');

    await env.DB.prepare(
      "INSERT INTO events (at, actor_id, action, user_id, loan_id) SELECT at, actor_id, action, user_id, loan_id FROM events WHERE action = 'loan.opened' AND loan_id = ?",
    )
      .bind(loan.id)
      .run();
    const verdict = await verdictOf('events.once');
    expect(verdict.status).toBe('violated');
    expect(verdict.violations).toEqual([expect.objectContaining({ action: 'loan.opened', loan_id: loan.id, times: 2 })]);
  });
});
