import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, copiesOf, expectProblem, expectStatus, makeUser, rowCounts, seedBook } from './helpers';

/**
 * Checkout and hold placement check a patron acting for themselves on the users row the INSERT
 * already reads (its token version), not with a second lookup: a retired token still writes nothing.
 */
describe('a patron acting for themselves with a retired token', () => {
  it('is refused 401 by checkout (by book and by barcode) and by hold placement, writing nothing', async () => {
    const patron = await makeUser();
    const free = await seedBook({}, 1);
    const [copy] = await copiesOf(free);
    const queued = await seedBook({}, 1);
    const holder = await makeUser();
    await expectStatus(await call('POST', '/loans', { token: holder.token, body: { book_ids: [queued] } }), 201);
    await env.DB.prepare('UPDATE users SET token_version = token_version + 1 WHERE id = ?').bind(patron.id).run();
    const before = await rowCounts();
    await expectProblem(await call('POST', '/loans', { token: patron.token, body: { book_ids: [free] } }), 401, 'UNAUTHENTICATED');
    await expectProblem(await call('POST', '/loans', { token: patron.token, body: { barcodes: [copy!.barcode] } }), 401, 'UNAUTHENTICATED');
    await expectProblem(await call('POST', '/loans', { token: patron.token, body: {} }), 401, 'UNAUTHENTICATED');
    await expectProblem(await call('POST', '/holds', { token: patron.token, body: { book_id: queued } }), 401, 'UNAUTHENTICATED');
    expect(await rowCounts()).toEqual(before);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM holds WHERE user_id = ?').bind(patron.id).first('n')).toBe(0);
  });
});

/**
 * Write batches read the caller only to explain a refusal, right after the write that decides it.
 * A returned loan that still shows a copy out (rows written by hand: the API never leaves one) is
 * refused as returned to its owner (not as a stale token), and as missing to anyone else, who
 * closes nothing.
 */
describe('returning a loan the database already shows returned', () => {
  it('answers 409 LOAN_RETURNED to the owner and 404 to another member', async () => {
    const [owner, other] = [await makeUser(), await makeUser()];
    const book = await seedBook({}, 1);
    const loan = await expectStatus(await call('POST', '/loans', { token: owner.token, body: { book_ids: [book] } }), 201);
    await env.DB.prepare('UPDATE loans SET return_date = ? WHERE id = ?').bind(new Date().toISOString().slice(0, 10), loan.id).run();
    const active = () => env.DB.prepare('SELECT count(*) AS n FROM loan_books WHERE loan_id = ? AND active = 1').bind(loan.id).first('n');
    await expectProblem(await call('POST', `/loans/${loan.id}/return`, { token: other.token }), 404, 'NOT_FOUND');
    expect(await active()).toBe(1);
    await expectProblem(await call('POST', `/loans/${loan.id}/return`, { token: owner.token }), 409, 'LOAN_RETURNED');
  });
});
