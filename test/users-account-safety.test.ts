import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, expectProblem, expectStatus, makeAdmin, makeUser } from './helpers';

const login = async (user: { email: string; password: string }) =>
  (await expectStatus<{ token: string }>(await call('POST', '/users/login', { body: { email: user.email, password: user.password } }), 200)).token;

describe('POST /users/logout', () => {
  it('retires every token issued so far, on every device; a new login works', async () => {
    const user = await makeUser();
    const second = await login(user); // another device
    const done = await expectStatus(await call('POST', '/users/logout', { token: user.token }), 200);
    expect(done.message).toEqual(expect.any(String));
    for (const token of [user.token, second]) {
      const problem = await expectProblem(await call('GET', '/users/profile', { token }), 401, 'UNAUTHENTICATED');
      expect(problem.detail).toMatch(/sign-out/);
    }
    // The retired token cannot sign out again.
    await expectProblem(await call('POST', '/users/logout', { token: second }), 401, 'UNAUTHENTICATED');
    const fresh = await login(user);
    await expectStatus(await call('GET', '/users/profile', { token: fresh }), 200);
  });

  it("touches only the caller's tokens", async () => {
    const a = await makeUser();
    const b = await makeUser();
    await expectStatus(await call('POST', '/users/logout', { token: a.token }), 200);
    await expectStatus(await call('GET', '/users/profile', { token: b.token }), 200);
  });

  it('needs a token; takes no body fields; GET is 405', async () => {
    await expectProblem(await call('POST', '/users/logout'), 401, 'UNAUTHENTICATED');
    const user = await makeUser();
    const problem = await expectProblem(await call('POST', '/users/logout', { token: user.token, body: { everywhere: true } }), 400, 'VALIDATION_FAILED');
    expect(problem.errors.everywhere).toEqual(['Unknown field.']);
    const res = await call('GET', '/users/logout', { token: user.token });
    await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('Allow')).toBe('POST');
  });

  it('also retires an admin token (the stored version, not the role, decides)', async () => {
    const admin = await makeAdmin();
    await expectStatus(await call('POST', '/users/logout', { token: admin.token }), 200);
    await expectProblem(await call('GET', '/users', { token: admin.token }), 401, 'UNAUTHENTICATED');
  });
});

/** Leaves exactly the given admins: the others become members (allowed, since these remain). */
async function onlyAdmins(...ids: number[]) {
  await env.DB.prepare(`UPDATE users SET role = 'member' WHERE role = 'admin' AND id NOT IN (${ids.map(() => '?').join(', ')})`)
    .bind(...ids)
    .run();
  await env.DB.prepare(`UPDATE users SET role = 'admin' WHERE id IN (${ids.map(() => '?').join(', ')})`)
    .bind(...ids)
    .run();
}

const adminCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE role = 'admin'").first<{ n: number }>())!.n;

describe('the last admin', () => {
  it('cannot demote themselves (PUT /users/{id}) or be deleted (DELETE /users/{id}, DELETE /users)', async () => {
    const admin = await makeAdmin();
    await onlyAdmins(admin.id);
    await expectProblem(await call('PUT', `/users/${admin.id}`, { token: admin.token, body: { role: 'member' } }), 409, 'LAST_ADMIN');
    await expectProblem(await call('DELETE', `/users/${admin.id}`, { token: admin.token }), 409, 'LAST_ADMIN');
    await expectProblem(await call('DELETE', '/users', { token: admin.token }), 409, 'LAST_ADMIN');
    // Nothing changed; other edits of the last admin still work, and so does "role: admin".
    const same = await expectStatus(await call('PUT', `/users/${admin.id}`, { token: admin.token, body: { role: 'admin', first_name: 'Still' } }), 200);
    expect(same).toMatchObject({ role: 'admin', first_name: 'Still' });
    expect(await adminCount()).toBe(1);
  });

  it('with a second admin, either may go', async () => {
    const a = await makeAdmin();
    const b = await makeAdmin();
    await onlyAdmins(a.id, b.id);
    await expectStatus(await call('PUT', `/users/${b.id}`, { token: a.token, body: { role: 'member' } }), 200);
    await expectProblem(await call('DELETE', '/users', { token: a.token }), 409, 'LAST_ADMIN');
    await expectStatus(await call('PUT', `/users/${b.id}`, { token: a.token, body: { role: 'admin' } }), 200);
    await expectStatus(await call('DELETE', '/users', { token: a.token }), 200);
    expect(await adminCount()).toBe(1);
  });

  it('two admins demoting each other at once: exactly one succeeds, one admin remains', async () => {
    for (let round = 0; round < 3; round++) {
      const a = await makeAdmin();
      const b = await makeAdmin();
      await onlyAdmins(a.id, b.id);
      const answers = await Promise.all([
        call('PUT', `/users/${b.id}`, { token: a.token, body: { role: 'member' } }),
        call('PUT', `/users/${a.id}`, { token: b.token, body: { role: 'member' } }),
      ]);
      const statuses = answers.map((res) => res.status).sort();
      // The loser is refused by the trigger (409), or, when its caller was demoted first, by its stored role (403).
      expect(statuses[0]).toBe(200);
      expect([403, 409]).toContain(statuses[1]);
      expect(await adminCount()).toBe(1);
    }
  });

  it('two admins deleting each other (and themselves) at once: one admin remains', async () => {
    const a = await makeAdmin();
    const b = await makeAdmin();
    await onlyAdmins(a.id, b.id);
    const answers = await Promise.all([
      call('DELETE', `/users/${b.id}`, { token: a.token }),
      call('DELETE', `/users/${a.id}`, { token: b.token }),
      call('DELETE', '/users', { token: a.token }),
      call('DELETE', '/users', { token: b.token }),
    ]);
    expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
    for (const res of answers) expect([200, 401, 404, 409]).toContain(res.status);
    expect(await adminCount()).toBe(1);
  });

  it('raw SQL cannot remove the last admin either; members are unaffected', async () => {
    const admin = await makeAdmin();
    await onlyAdmins(admin.id);
    await expect(env.DB.prepare('DELETE FROM users WHERE id = ?').bind(admin.id).run()).rejects.toThrow(/LAST_ADMIN/);
    await expect(env.DB.prepare("UPDATE users SET role = 'member'").run()).rejects.toThrow(/LAST_ADMIN/);
    const member = await makeUser();
    await expectStatus(await call('DELETE', `/users/${member.id}`, { token: admin.token }), 200);
    expect(await adminCount()).toBe(1);
  });
});
