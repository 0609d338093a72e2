import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, expectProblem, expectStatus, makeAdmin, makeUser, uniqueEmail } from './helpers';

const roundTrips = (res: Response) => Number(/d1_round_trips;desc="(\d+)"/.exec(res.headers.get('Server-Timing') ?? '')?.[1]);
const registration = (fields: Record<string, unknown> = {}) => ({
  first_name: 'Edge',
  last_name: 'Case',
  email: uniqueEmail('edge'),
  password: 'correct horse battery',
  ...fields,
});

describe('users: one round trip, ETags, If-Match', () => {
  it('register (member, and admin-made admin) and profile update take one round trip', async () => {
    const plain = await call('POST', '/users', { body: registration() });
    expect(roundTrips(plain)).toBe(1);
    await expectStatus(plain, 201);
    const admin = await makeAdmin();
    const made = await call('POST', '/users', { token: admin.token, body: registration({ role: 'admin' }) });
    expect(roundTrips(made)).toBe(1);
    expect((await expectStatus(made, 201)).role).toBe('admin');
    const member = await makeUser();
    const updated = await call('PUT', '/users/profile', { token: member.token, body: { address: '1 Main St' } });
    expect(roundTrips(updated)).toBe(1);
    expect((await expectStatus(updated, 200)).address).toBe('1 Main St');
  });

  it('role other than member: 403 without a token or for a member, 401 for a retired admin token, all writing nothing', async () => {
    const count = async () => (await env.DB.prepare('SELECT count(*) AS n FROM users').first<{ n: number }>())!.n;
    const member = await makeUser();
    const admin = await makeAdmin();
    const before = await count();
    await expectProblem(await call('POST', '/users', { body: registration({ role: 'admin' }) }), 403, 'FORBIDDEN');
    await expectProblem(await call('POST', '/users', { token: member.token, body: registration({ role: 'admin' }) }), 403, 'FORBIDDEN');
    await env.DB.prepare('UPDATE users SET token_version = token_version + 1 WHERE id = ?').bind(admin.id).run();
    await expectProblem(await call('POST', '/users', { token: admin.token, body: registration({ role: 'admin' }) }), 401, 'UNAUTHENTICATED');
    expect(await count()).toBe(before);
  });

  it('GET /users/profile and /users/{id} carry the ETag and answer 304; an update raises it', async () => {
    const member = await makeUser();
    const admin = await makeAdmin();
    const profile = await call('GET', '/users/profile', { token: member.token });
    const tag = profile.headers.get('ETag')!;
    expect(tag).toMatch(/^"\d+"$/);
    const unchanged = await call('GET', '/users/profile', { token: member.token, headers: { 'If-None-Match': tag } });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
    const byId = await call('GET', `/users/${member.id}`, { token: admin.token, headers: { 'If-None-Match': tag } });
    expect(byId.status).toBe(304);
    const changed = await call('PUT', '/users/profile', { token: member.token, body: { first_name: 'New' }, headers: { 'If-Match': tag } });
    await expectStatus(changed, 200);
    const newTag = changed.headers.get('ETag');
    expect(newTag).not.toBe(tag);
    expect((await call('GET', `/users/${member.id}`, { token: admin.token })).headers.get('ETag')).toBe(newTag);
    // A role change by an admin (or create-admin's SQL) raises it too.
    await env.DB.prepare("UPDATE users SET role = 'admin' WHERE id = ?").bind(member.id).run();
    expect((await call('GET', `/users/${member.id}`, { token: admin.token })).headers.get('ETag')).not.toBe(newTag);
  });

  it('stale If-Match on profile and admin updates is 412 and changes nothing; 404 comes first', async () => {
    const member = await makeUser();
    const admin = await makeAdmin();
    await expectProblem(await call('PUT', '/users/profile', { token: member.token, body: { first_name: 'X' }, headers: { 'If-Match': '"999"' } }), 412, 'PRECONDITION_FAILED');
    await expectProblem(await call('PUT', '/users/profile', { token: member.token, body: {}, headers: { 'If-Match': '"999"' } }), 412, 'PRECONDITION_FAILED');
    await expectProblem(await call('PUT', `/users/${member.id}`, { token: admin.token, body: { first_name: 'Y' }, headers: { 'If-Match': '"999"' } }), 412, 'PRECONDITION_FAILED');
    await expectProblem(await call('DELETE', `/users/${member.id}`, { token: admin.token, headers: { 'If-Match': '"999"' } }), 412, 'PRECONDITION_FAILED');
    await expectProblem(await call('PUT', '/users/987654321', { token: admin.token, body: { first_name: 'Y' }, headers: { 'If-Match': '"1"' } }), 404, 'NOT_FOUND');
    const me = await expectStatus(await call('GET', '/users/profile', { token: member.token }), 200);
    expect(me.first_name).toBe('Test');
  });

  it('a password change retires the token inside the same write', async () => {
    const member = await makeUser();
    await expectStatus(await call('PUT', '/users/profile', { token: member.token, body: { password: 'another long password' } }), 200);
    await expectProblem(await call('PUT', '/users/profile', { token: member.token, body: { first_name: 'Z' } }), 401, 'UNAUTHENTICATED');
  });

  it('replays a registration by Idempotency-Key (scoped to the client IP without a token)', async () => {
    const body = registration();
    const ip = '192.0.2.77';
    const first = await call('POST', '/users', { ip, body, headers: { 'Idempotency-Key': 'register-1' } });
    const user = await expectStatus(first, 201);
    const again = await call('POST', '/users', { ip, body, headers: { 'Idempotency-Key': 'register-1' } });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(again.headers.get('Location')).toBe(`/users/${user.id}`);
    expect(await expectStatus(again, 201)).toEqual(user);
    // Another client (IP) with the same key is another request: the email is taken.
    await expectProblem(await call('POST', '/users', { ip: '192.0.2.78', body, headers: { 'Idempotency-Key': 'register-1' } }), 409, 'EMAIL_TAKEN');
  });
});
