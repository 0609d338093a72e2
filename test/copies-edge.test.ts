import { beforeAll, describe, expect, it } from 'vitest';
import { call, copiesOf, expectProblem, expectStatus, makeAdmin, makeBook, makeUser, type TestUser } from './helpers';

const roundTrips = (res: Response) => Number(/d1_round_trips;desc="(\d+)"/.exec(res.headers.get('Server-Timing') ?? '')?.[1]);

let admin: TestUser;
beforeAll(async () => {
  admin = await makeAdmin();
});

describe('copies, holds and the desk at the edge', () => {
  it('answers the desk and patron writes in one D1 round trip, the caller checked inside the write', async () => {
    const [reader, waiter] = [await makeUser(), await makeUser()];
    const { id } = await makeBook(admin, { copies: 1 });
    const [copy] = await copiesOf(id);
    const loan = await call('POST', '/loans', { token: admin.token, body: { user_id: reader.id, barcodes: [copy!.barcode] } });
    expect(loan.status).toBe(201);
    expect(roundTrips(loan)).toBe(1);
    const hold = await call('POST', '/holds', { token: waiter.token, body: { book_id: id } });
    expect(roundTrips(hold)).toBe(1);
    const { id: holdId } = await expectStatus(hold, 201);
    const desk = await call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: copy!.barcode } });
    expect(roundTrips(desk)).toBe(1);
    expect((await expectStatus(desk, 200)).hold.id).toBe(holdId);
    const cancel = await call('DELETE', `/holds/${holdId}`, { token: waiter.token });
    expect(roundTrips(cancel)).toBe(1);
    await expectStatus(cancel, 200);
    // A member at the desk is refused as a member (403), in the same single trip.
    await expectProblem(await call('POST', '/circulation/check-in', { token: reader.token, body: { barcode: copy!.barcode } }), 403, 'FORBIDDEN');
    await expectProblem(await call('POST', '/holds', { token: reader.token, body: { book_id: id, user_id: waiter.id } }), 403, 'FORBIDDEN');
  });

  it('replays POST /holds, check-in and POST /books/{id}/copies under one Idempotency-Key, changing nothing', async () => {
    const [reader, waiter] = [await makeUser(), await makeUser()];
    const { id } = await makeBook(admin, { copies: 1 });
    const [copy] = await copiesOf(id);
    await expectStatus(await call('POST', '/loans', { token: reader.token, body: { book_ids: [id] } }), 201);
    const place = () => call('POST', '/holds', { token: waiter.token, body: { book_id: id }, headers: { 'Idempotency-Key': 'hold-1' } });
    const first = await expectStatus(await place(), 201);
    const again = await place();
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(again.headers.get('Location')).toBe(`/holds/${first.id}`);
    expect(await expectStatus(again, 201)).toEqual(first);
    const desk = () => call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: copy!.barcode }, headers: { 'Idempotency-Key': 'desk-1' } });
    const checked = await expectStatus(await desk(), 200);
    const repeat = await desk();
    expect(repeat.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await expectStatus(repeat, 200)).toEqual(checked);
    const add = () => call('POST', `/books/${id}/copies`, { token: admin.token, body: {}, headers: { 'Idempotency-Key': 'copy-1' } });
    const made = await expectStatus(await add(), 201);
    expect(await expectStatus(await add(), 201)).toEqual(made);
    expect(await copiesOf(id)).toHaveLength(2);
    await expectProblem(await call('POST', `/books/${id}/copies`, { token: admin.token, body: { location: 'x' }, headers: { 'Idempotency-Key': 'copy-1' } }), 422, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('records a lost copy found at the desk under its Idempotency-Key, and replays the loan a check-in closed', async () => {
    const [reader, other] = [await makeUser(), await makeUser()];
    const { id } = await makeBook(admin, { copies: 1 });
    const [copy] = await copiesOf(id);
    const desk = (key: string) => call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: copy!.barcode }, headers: { 'Idempotency-Key': key } });
    // Lost, then found at the desk: a retry replays the answer (no loan) instead of a 409.
    await expectStatus(await call('PATCH', `/copies/${copy!.id}`, { token: admin.token, body: { status: 'lost' } }), 200);
    const found = await expectStatus(await desk('found-1'), 200);
    expect(found).toMatchObject({ copy: { status: 'available' }, loan: null, hold: null });
    const foundAgain = await desk('found-1');
    expect(foundAgain.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await expectStatus(foundAgain, 200)).toEqual(found);
    // Without the key the copy is no longer lost, nor out: 409.
    await expectProblem(await call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: copy!.barcode } }), 409, 'COPY_NOT_ON_LOAN');

    // A check-in's record names its loan: after the copy goes out again, the replay still shows that loan.
    const loan = await expectStatus(await call('POST', '/loans', { token: reader.token, body: { barcodes: [copy!.barcode] } }), 201);
    const back = await expectStatus(await desk('back-1'), 200);
    expect(back.loan).toMatchObject({ id: loan.id, return_date: expect.any(String) });
    await expectStatus(await call('POST', '/loans', { token: other.token, body: { barcodes: [copy!.barcode] } }), 201);
    const backAgain = await desk('back-1');
    expect(backAgain.headers.get('Idempotent-Replayed')).toBe('true');
    const replayed = await expectStatus(backAgain, 200);
    // The same loan, as it is now (its book is out again).
    expect(replayed.loan).toMatchObject({ id: loan.id, user_id: reader.id, return_date: back.loan.return_date });
    expect(replayed.copy).toMatchObject({ id: copy!.id, status: 'on_loan' });
  });

  it('a check-in with patrons waiting takes the copy straight to the hold shelf: one change of the copy, the book’s counts never move', async () => {
    const [reader, waiter] = [await makeUser(), await makeUser()];
    const { id } = await makeBook(admin, { copies: 1 });
    const [copy] = await copiesOf(id);
    await expectStatus(await call('POST', '/loans', { token: reader.token, body: { barcodes: [copy!.barcode] } }), 201);
    await expectStatus(await call('POST', '/holds', { token: waiter.token, body: { book_id: id } }), 201);
    const version = async () => Number((await call('GET', `/copies/${copy!.id}`)).headers.get('ETag')!.replaceAll('"', ''));
    const counts = async () => {
      const { copies, available_copies, holds_waiting } = await expectStatus(await call('GET', `/books/${id}`), 200);
      const stats = await expectStatus(await call('GET', '/stats', { token: admin.token }), 200);
      return { copies, available_copies, holds_waiting, available: stats.available_copies, ready: stats.holds_ready };
    };
    const [versionBefore, countsBefore] = [await version(), await counts()];
    const { hold } = await expectStatus(await call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: copy!.barcode } }), 200);
    expect(hold).toMatchObject({ status: 'ready', user_id: waiter.id, copy: { id: copy!.id } });
    expect(await version()).toBe(versionBefore + 1);
    expect(await counts()).toEqual({ ...countsBefore, holds_waiting: countsBefore.holds_waiting - 1, ready: countsBefore.ready + 1 });
    // With nobody waiting, the next check-in puts it on the shelf.
    await expectStatus(await call('POST', '/loans', { token: waiter.token, body: { book_ids: [id] } }), 201);
    const back = await expectStatus(await call('POST', '/circulation/check-in', { token: admin.token, body: { barcode: copy!.barcode } }), 200);
    expect(back).toMatchObject({ copy: { status: 'available' }, hold: null });
  });

  it('gives copies an ETag: 304 on If-None-Match, 412 on a stale If-Match, raised by circulation', async () => {
    const reader = await makeUser();
    const { id } = await makeBook(admin, { copies: 1 });
    const [copy] = await copiesOf(id);
    const read = await call('GET', `/copies/${copy!.id}`);
    const tag = read.headers.get('ETag')!;
    expect(tag).toMatch(/^"\d+"$/);
    const cached = await call('GET', `/copies/${copy!.id}`, { headers: { 'If-None-Match': tag } });
    expect(cached.status).toBe(304);
    expect((await call('GET', `/copies/by-barcode/${copy!.barcode}`, { headers: { 'If-None-Match': tag } })).status).toBe(304);
    await expectStatus(await call('POST', '/loans', { token: reader.token, body: { book_ids: [id] } }), 201);
    const after = await call('GET', `/copies/${copy!.id}`, { headers: { 'If-None-Match': tag } });
    expect(after.status).toBe(200);
    const fresh = after.headers.get('ETag')!;
    expect(fresh).not.toBe(tag);
    await expectProblem(await call('PATCH', `/copies/${copy!.id}`, { token: admin.token, body: { location: 'A1' }, headers: { 'If-Match': tag } }), 412, 'PRECONDITION_FAILED');
    const patched = await call('PATCH', `/copies/${copy!.id}`, { token: admin.token, body: { location: 'A1' }, headers: { 'If-Match': fresh } });
    expect(await expectStatus(patched, 200)).toMatchObject({ location: 'A1' });
    await expectProblem(await call('DELETE', `/copies/${copy!.id}`, { token: admin.token, headers: { 'If-Match': fresh } }), 412, 'PRECONDITION_FAILED');
    await expectProblem(await call('DELETE', '/copies/999999', { token: admin.token, headers: { 'If-Match': fresh } }), 404, 'NOT_FOUND');
    // A book's ETag follows its counts.
    const book = await call('GET', `/books/${id}`);
    await expectStatus(await call('POST', `/books/${id}/copies`, { token: admin.token, body: {} }), 201);
    expect((await call('GET', `/books/${id}`)).headers.get('ETag')).not.toBe(book.headers.get('ETag'));
  });
});
