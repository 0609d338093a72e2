import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { deleteExpiredIdempotencyKeys, fingerprint } from '../src/lib/idempotency';
import { createDb } from '../src/db/client';
import { call, expectProblem, expectStatus, makeAdmin, makeUser, rowCounts, seedBook } from './helpers';

const roundTrips = (res: Response) => Number(/d1_round_trips;desc="(\d+)"/.exec(res.headers.get('Server-Timing') ?? '')?.[1]);
let keyCounter = 0;
const newKey = () => `key-${Date.now().toString(36)}.${++keyCounter}:x_y`;
const keyCount = async () => (await env.DB.prepare('SELECT count(*) AS n FROM idempotency_keys').first<{ n: number }>())!.n;

describe('Idempotency-Key on POST /loans', () => {
  it('replays the first success: same status and Location, the loan as it is now, Idempotent-Replayed, nothing changed', async () => {
    const member = await makeUser();
    const book = await seedBook();
    const key = newKey();
    const first = await call('POST', '/loans', { token: member.token, body: { book_ids: [book] }, headers: { 'Idempotency-Key': key } });
    expect(roundTrips(first)).toBe(1);
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    const loan = await expectStatus(first, 201);
    const before = await rowCounts();

    // The same body spelled differently (key order, whitespace) is the same request.
    const again = await call('POST', '/loans', { token: member.token, body: `{ "book_ids" : [${book}] }`, headers: { 'Idempotency-Key': key } });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(again.headers.get('Location')).toBe(`/loans/${loan.id}`);
    expect(roundTrips(again)).toBe(2);
    expect(await expectStatus(again, 201)).toEqual(loan);
    expect(await rowCounts()).toEqual(before);

    // The resource as it is now: returned since.
    await expectStatus(await call('POST', `/loans/${loan.id}/return`, { token: member.token }), 200);
    const afterReturn = await expectStatus(
      await call('POST', '/loans', { token: member.token, body: { book_ids: [book] }, headers: { 'Idempotency-Key': key } }),
      201,
    );
    expect(afterReturn.status).toBe('returned');
    expect(await rowCounts()).toEqual(before);

    // Deleted since: 404.
    const admin = await makeAdmin();
    await expectStatus(await call('DELETE', `/loans/${loan.id}`, { token: admin.token }), 200);
    await expectProblem(await call('POST', '/loans', { token: member.token, body: { book_ids: [book] }, headers: { 'Idempotency-Key': key } }), 404, 'NOT_FOUND');
  });

  it('the same key with another body is 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const member = await makeUser();
    const [a, b] = [await seedBook(), await seedBook()];
    const key = newKey();
    await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [a] }, headers: { 'Idempotency-Key': key } }), 201);
    const before = await rowCounts();
    await expectProblem(
      await call('POST', '/loans', { token: member.token, body: { book_ids: [b] }, headers: { 'Idempotency-Key': key } }),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(await rowCounts()).toEqual(before);
  });

  it('8 parallel requests with one key open one loan and answer alike', async () => {
    const member = await makeUser();
    const book = await seedBook();
    const key = newKey();
    const before = await rowCounts();
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => call('POST', '/loans', { token: member.token, body: { book_ids: [book] }, headers: { 'Idempotency-Key': key } })),
    );
    const bodies = await Promise.all(responses.map((res) => expectStatus(res, 201)));
    expect(new Set(responses.map((res) => res.headers.get('Location'))).size).toBe(1);
    expect(new Set(bodies.map((body) => body.id)).size).toBe(1);
    expect(responses.filter((res) => res.headers.get('Idempotent-Replayed') === 'true')).toHaveLength(7);
    const after = await rowCounts();
    expect(after!.loans - before!.loans).toBe(1);
  });

  it('scopes a key to the caller: another user’s same key is independent', async () => {
    const [one, two] = [await makeUser(), await makeUser()];
    const key = newKey();
    const a = await expectStatus(await call('POST', '/loans', { token: one.token, body: {}, headers: { 'Idempotency-Key': key } }), 201);
    const b = await call('POST', '/loans', { token: two.token, body: {}, headers: { 'Idempotency-Key': key } });
    expect(b.headers.get('Idempotent-Replayed')).toBeNull();
    const loanB = await expectStatus(b, 201);
    expect(loanB.id).not.toBe(a.id);
    expect(loanB.user_id).toBe(two.id);
  });

  it('does not record refused requests: a retry after the refusal is no longer refused', async () => {
    const member = await makeUser();
    const other = await makeUser();
    const book = await seedBook();
    const held = await expectStatus(await call('POST', '/loans', { token: other.token, body: { book_ids: [book] } }), 201);
    const key = newKey();
    const keysBefore = await keyCount();
    await expectProblem(await call('POST', '/loans', { token: member.token, body: { book_ids: [book] }, headers: { 'Idempotency-Key': key } }), 409, 'BOOK_UNAVAILABLE');
    await expectProblem(await call('POST', '/loans', { token: member.token, body: { book_ids: [987654] }, headers: { 'Idempotency-Key': key } }), 404, 'NOT_FOUND');
    expect(await keyCount()).toBe(keysBefore);
    await expectStatus(await call('POST', `/loans/${held.id}/return`, { token: other.token }), 200);
    const retried = await call('POST', '/loans', { token: member.token, body: { book_ids: [book] }, headers: { 'Idempotency-Key': key } });
    expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
    await expectStatus(retried, 201);
  });

  it.each(['', 'has space', 'a*b', 'x'.repeat(256), 'a/b'])('rejects a malformed key (%s) with 400 and writes nothing', async (key) => {
    const member = await makeUser();
    const before = await rowCounts();
    const res = await call('POST', '/loans', { token: member.token, body: {}, headers: { 'Idempotency-Key': key } });
    const problem = await expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveProperty('Idempotency-Key');
    expect(await rowCounts()).toEqual(before);
  });

  it('ignores a record older than 24 hours and cleans expired ones through the index', async () => {
    const member = await makeUser();
    const key = newKey();
    const first = await expectStatus(await call('POST', '/loans', { token: member.token, body: {}, headers: { 'Idempotency-Key': key } }), 201);
    await env.DB.prepare('UPDATE idempotency_keys SET created_at = created_at - ? WHERE key = ?').bind(24 * 3600 * 1000 + 1, key).run();
    const second = await call('POST', '/loans', { token: member.token, body: {}, headers: { 'Idempotency-Key': key } });
    expect(second.headers.get('Idempotent-Replayed')).toBeNull();
    expect((await expectStatus(second, 201)).id).not.toBe(first.id);

    await env.DB.prepare('UPDATE idempotency_keys SET created_at = 1').run();
    expect(await deleteExpiredIdempotencyKeys(createDb(env.DB), Date.now())).toBeGreaterThan(0);
    expect(await keyCount()).toBe(0);
    const plan = await env.DB.prepare('EXPLAIN QUERY PLAN DELETE FROM idempotency_keys WHERE created_at <= ?').bind(1).all<{ detail: string }>();
    expect(plan.results.map((row) => row.detail).join(' ')).toContain('idempotency_keys_created_idx');
  });

  it('replays return and renew without changing the loan again', async () => {
    const member = await makeUser();
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: {} }), 201);
    const key = newKey();
    const renewed = await expectStatus(await call('POST', `/loans/${loan.id}/renew`, { token: member.token, headers: { 'Idempotency-Key': key } }), 200);
    const replay = await call('POST', `/loans/${loan.id}/renew`, { token: member.token, headers: { 'Idempotency-Key': key } });
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    const replayed = await expectStatus(replay, 200);
    expect(replayed.renewals).toBe(1);
    expect(replayed.deadline).toBe(renewed.deadline);
    const returnKey = newKey();
    await expectStatus(await call('POST', `/loans/${loan.id}/return`, { token: member.token, headers: { 'Idempotency-Key': returnKey } }), 200);
    const returnReplay = await call('POST', `/loans/${loan.id}/return`, { token: member.token, headers: { 'Idempotency-Key': returnKey } });
    expect(returnReplay.status).toBe(200);
    expect(returnReplay.headers.get('Idempotent-Replayed')).toBe('true');
  });

  it('fingerprints parsed JSON, not its spelling', async () => {
    expect(await fingerprint({ a: 1, b: [1, { d: 2, c: 3 }] })).toBe(await fingerprint({ b: [1, { c: 3, d: 2 }], a: 1 }));
    expect(await fingerprint({ a: 1 })).not.toBe(await fingerprint({ a: 2 }));
  });
});

describe('Idempotency-Key on other POSTs', () => {
  it('POST /books replays with the book as it is now and its ETag; 404 once deleted', async () => {
    const admin = await makeAdmin();
    const key = newKey();
    const body = { title: `Idempotent ${Date.now()}`, genre: 'g', age_category: 'a', publish_date: '2000-01-01', author: 'x' };
    const first = await call('POST', '/books', { token: admin.token, body, headers: { 'Idempotency-Key': key } });
    const book = await expectStatus(first, 201);
    await expectStatus(await call('PATCH', `/books/${book.id}`, { token: admin.token, body: { genre: 'Changed' } }), 200);
    const again = await call('POST', '/books', { token: admin.token, body, headers: { 'Idempotency-Key': key } });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(again.headers.get('Location')).toBe(`/books/${book.id}`);
    expect(again.headers.get('ETag')).toMatch(/^"\d+"$/);
    expect((await expectStatus(again, 201)).genre).toBe('Changed');
    await expectStatus(await call('DELETE', `/books/${book.id}`, { token: admin.token }), 200);
    await expectProblem(await call('POST', '/books', { token: admin.token, body, headers: { 'Idempotency-Key': key } }), 404, 'NOT_FOUND');
  });

  it('logout replays its 200 to a retry under the same key (the token it retired would be 401); a malformed key is 400', async () => {
    const member = await makeUser();
    await expectProblem(await call('POST', '/users/logout', { token: member.token, headers: { 'Idempotency-Key': 'not a valid key!' } }), 400, 'VALIDATION_FAILED');
    const first = await call('POST', '/users/logout', { token: member.token, headers: { 'Idempotency-Key': 'logout-1' } });
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    const signedOut = await expectStatus(first, 200);
    const again = await call('POST', '/users/logout', { token: member.token, headers: { 'Idempotency-Key': 'logout-1' } });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await expectStatus(again, 200)).toEqual(signedOut);
    // The token stays retired: without the key, or for anything else, it is 401.
    await expectProblem(await call('POST', '/users/logout', { token: member.token }), 401, 'UNAUTHENTICATED');
    await expectProblem(await call('GET', '/users/profile', { token: member.token }), 401, 'UNAUTHENTICATED');
  });

  it('login ignores Idempotency-Key, even a malformed one', async () => {
    const member = await makeUser();
    const before = await keyCount();
    const res = await call('POST', '/users/login', { body: { email: member.email, password: member.password }, headers: { 'Idempotency-Key': 'not a valid key!' } });
    await expectStatus(res, 200);
    await expectStatus(await call('POST', '/users/login', { body: { email: member.email, password: member.password }, headers: { 'Idempotency-Key': 'login-1' } }), 200);
    expect(await keyCount()).toBe(before);
  });
});

describe('caller inside the write', () => {
  it('401 for a deleted account and for a retired token, in one round trip, writing nothing', async () => {
    const member = await makeUser();
    await env.DB.prepare('UPDATE users SET token_version = token_version + 1 WHERE id = ?').bind(member.id).run();
    const before = await rowCounts();
    const retired = await call('POST', '/loans', { token: member.token, body: {} });
    await expectProblem(retired, 401, 'UNAUTHENTICATED');
    expect(retired.headers.get('WWW-Authenticate')).toContain('Bearer');
    const gone = await makeUser();
    await env.DB.prepare('DELETE FROM users WHERE id = ?').bind(gone.id).run();
    await expectProblem(await call('POST', '/loans', { token: gone.token, body: {} }), 401, 'UNAUTHENTICATED');
    await expectProblem(await call('POST', '/loans/1/renew', { token: gone.token }), 401, 'UNAUTHENTICATED');
    await expectProblem(await call('PUT', '/loans/1/add-book/1', { token: gone.token }), 401, 'UNAUTHENTICATED');
    expect(await rowCounts()).toEqual(before);
  });

  it('a member naming another borrower is 403 before an unknown book is 404; a demoted admin too', async () => {
    const [member, other] = [await makeUser(), await makeUser()];
    await expectProblem(await call('POST', '/loans', { token: member.token, body: { user_id: other.id, book_ids: [987654] } }), 403, 'FORBIDDEN');
    const admin = await makeAdmin();
    await expectStatus(await call('POST', '/loans', { token: admin.token, body: { user_id: other.id } }), 201);
    await env.DB.prepare("UPDATE users SET role = 'member' WHERE id = ?").bind(admin.id).run();
    await expectProblem(await call('POST', '/loans', { token: admin.token, body: { user_id: other.id } }), 403, 'FORBIDDEN');
  });

  it('the stored role counts: a promoted member reaches another member’s loan in one round trip', async () => {
    const [owner, promoted] = [await makeUser(), await makeUser()];
    const loan = await expectStatus(await call('POST', '/loans', { token: owner.token, body: {} }), 201);
    await expectProblem(await call('POST', `/loans/${loan.id}/renew`, { token: promoted.token }), 404, 'NOT_FOUND');
    await env.DB.prepare("UPDATE users SET role = 'admin' WHERE id = ?").bind(promoted.id).run();
    const res = await call('POST', `/loans/${loan.id}/renew`, { token: promoted.token });
    expect(roundTrips(res)).toBe(1);
    await expectStatus(res, 200);
  });
});
