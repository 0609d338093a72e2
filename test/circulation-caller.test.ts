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
