import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, expectProblem, expectStatus, makeAdmin, makeUser, uniqueEmail, RATE_LIMIT_TEST_TIMEOUT, startOfRateWindow } from './helpers';

const registration = (overrides: Record<string, unknown> = {}) => ({
  first_name: 'Grace',
  last_name: 'Hopper',
  email: uniqueEmail('grace'),
  password: 'correct horse battery',
  ...overrides,
});

describe('POST /users', () => {
  it('registers a member: 201, Location, trimmed lower-case email, no hash', async () => {
    const body = registration({ email: '  Grace.Hopper@Example.ORG ', DOB: '1906-12-09', address: ' 1 Navy Way ' });
    const res = await call('POST', '/users', { body });
    const user = await expectStatus(res, 201);
    expect(res.headers.get('Location')).toBe(`/users/${user.id}`);
    expect(user).toEqual({
      id: user.id,
      first_name: 'Grace',
      last_name: 'Hopper',
      email: 'grace.hopper@example.org',
      DOB: '1906-12-09',
      address: '1 Navy Way',
      role: 'member',
    });
  });

  it('refuses a duplicate email in another case with 409 EMAIL_TAKEN', async () => {
    const email = uniqueEmail('dup');
    await expectStatus(await call('POST', '/users', { body: registration({ email }) }), 201);
    await expectProblem(await call('POST', '/users', { body: registration({ email: email.toUpperCase() }) }), 409, 'EMAIL_TAKEN');
  });

  it('refuses role admin from anonymous callers and members (no mass assignment)', async () => {
    await expectProblem(await call('POST', '/users', { body: registration({ role: 'admin' }) }), 403, 'FORBIDDEN');
    const member = await makeUser();
    await expectProblem(await call('POST', '/users', { token: member.token, body: registration({ role: 'admin' }) }), 403, 'FORBIDDEN');
    // An explicit member role is fine for anyone.
    await expectStatus(await call('POST', '/users', { body: registration({ role: 'member' }) }), 201);
  });

  it('lets an admin create an admin', async () => {
    const admin = await makeAdmin();
    const created = await expectStatus(await call('POST', '/users', { token: admin.token, body: registration({ role: 'admin' }) }), 201);
    expect(created.role).toBe('admin');
  });

  it.each([
    ['a short password', { password: 'short' }, 'password'],
    ['a 129-character password', { password: 'x'.repeat(129) }, 'password'],
    ['an invalid email', { email: 'not-an-email' }, 'email'],
    ['an over-long email', { email: `${'a'.repeat(250)}@example.org` }, 'email'],
    ['an empty first name', { first_name: '   ' }, 'first_name'],
    ['a 101-character last name', { last_name: 'x'.repeat(101) }, 'last_name'],
    ['a control character', { first_name: 'Gr\u0007ace' }, 'first_name'],
    ['an impossible date', { DOB: '2023-02-29' }, 'DOB'],
    ['a future birth date', { DOB: '2999-01-01' }, 'DOB'],
    ['a wrong type', { first_name: 42 }, 'first_name'],
    ['an unknown field', { is_admin: true }, 'is_admin'],
    ['an unknown role', { role: 'librarian' }, 'role'],
  ])('rejects %s with 400 and a field error', async (_name, overrides, field) => {
    const problem = await expectProblem(await call('POST', '/users', { body: registration(overrides) }), 400, 'VALIDATION_FAILED');
    expect(problem.errors[field]).toBeInstanceOf(Array);
  });

  it('reports every missing field', async () => {
    const problem = await expectProblem(await call('POST', '/users', { body: {} }), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toEqual({
      first_name: ['Required.'],
      last_name: ['Required.'],
      email: ['Required.'],
      password: ['Required.'],
    });
  });

  it('allows 10 registrations per minute per IP, then 429', { timeout: RATE_LIMIT_TEST_TIMEOUT }, async () => {
    await startOfRateWindow();
    const ip = '203.0.113.10';
    for (let i = 0; i < 10; i++) await expectStatus(await call('POST', '/users', { ip, body: registration() }), 201);
    const limited = await call('POST', '/users', { ip, body: registration() });
    expect(limited.headers.get('Retry-After')).toBe('60');
    await expectProblem(limited, 429, 'RATE_LIMITED');
  });
});

describe('/users/profile', () => {
  it('reads the caller', async () => {
    const user = await makeUser();
    const me = await expectStatus(await call('GET', '/users/profile', { token: user.token }), 200);
    expect(me).toMatchObject({ id: user.id, email: user.email, role: 'member' });
    expect(me).not.toHaveProperty('password_hash');
  });

  it('changes only the fields sent', async () => {
    const user = await makeUser('member', { address: '1 Old Road' });
    const updated = await expectStatus(await call('PUT', '/users/profile', { token: user.token, body: { first_name: 'Renamed' } }), 200);
    expect(updated).toMatchObject({ first_name: 'Renamed', last_name: 'member', address: '1 Old Road', email: user.email });
    expect(await expectStatus(await call('PUT', '/users/profile', { token: user.token, body: {} }), 200)).toEqual(updated);
  });

  it('changes the password: the new one logs in, the old one no longer does, older tokens stop working at once', async () => {
    const user = await makeUser();
    const changed = await expectStatus(await call('PUT', '/users/profile', { token: user.token, body: { password: 'a brand new secret' } }), 200);
    expect(changed).not.toHaveProperty('token_version');
    const { token } = await expectStatus(await call('POST', '/users/login', { body: { email: user.email, password: 'a brand new secret' } }), 200);
    await expectProblem(await call('POST', '/users/login', { body: { email: user.email, password: user.password } }), 401, 'INVALID_CREDENTIALS');
    const stale = await expectProblem(await call('GET', '/users/profile', { token: user.token }), 401, 'UNAUTHENTICATED');
    expect(stale.detail).toMatch(/password change/);
    await expectStatus(await call('GET', '/users/profile', { token }), 200);
  });

  it('refuses a taken email (any case) with 409 and a role with 400', async () => {
    const a = await makeUser();
    const b = await makeUser();
    await expectProblem(await call('PUT', '/users/profile', { token: b.token, body: { email: a.email.toUpperCase() } }), 409, 'EMAIL_TAKEN');
    const problem = await expectProblem(await call('PUT', '/users/profile', { token: b.token, body: { role: 'admin' } }), 400, 'VALIDATION_FAILED');
    expect(problem.errors.role).toEqual(['Unknown field.']);
  });

  it('requires a token', async () => {
    await expectProblem(await call('PUT', '/users/profile', { body: { first_name: 'X' } }), 401, 'UNAUTHENTICATED');
  });
});

describe('DELETE /users (self)', () => {
  it('deletes the account; the email can register again', async () => {
    const user = await makeUser();
    expect(await expectStatus(await call('DELETE', '/users', { token: user.token }), 200)).toHaveProperty('message');
    await expectProblem(await call('POST', '/users/login', { body: { email: user.email, password: user.password } }), 401, 'INVALID_CREDENTIALS');
    await expectStatus(await call('POST', '/users', { body: registration({ email: user.email }) }), 201);
  });

  it('is refused with 409 while the user has an active loan; returned loans stay, anonymised', async () => {
    const user = await makeUser();
    const loan = await env.DB.prepare("INSERT INTO loans (user_id, loan_date, deadline) VALUES (?, '2026-01-01', '2026-01-15') RETURNING id")
      .bind(user.id)
      .first<{ id: number }>();
    await expectProblem(await call('DELETE', '/users', { token: user.token }), 409, 'HAS_ACTIVE_LOANS');
    await env.DB.prepare("UPDATE loans SET return_date = '2026-01-10' WHERE id = ?").bind(loan!.id).run();
    await expectStatus(await call('DELETE', '/users', { token: user.token }), 200);
    const kept = await env.DB.prepare('SELECT user_id FROM loans WHERE id = ?').bind(loan!.id).first();
    expect(kept).toEqual({ user_id: null });
  });
});

describe('admin: /users and /users/{id}', () => {
  it('lists users in pages with X-Total-Count and Link; members get 403, anonymous 401', async () => {
    const admin = await makeAdmin();
    for (let i = 0; i < 3; i++) await makeUser();
    const res = await call('GET', '/users?page=1&per_page=2', { token: admin.token });
    const page = await expectStatus(res, 200);
    expect(page).toMatchObject({ page: 1, per_page: 2, has_prev: false, has_next: true });
    expect(page.items).toHaveLength(2);
    expect(page.total).toBeGreaterThanOrEqual(4);
    expect(page.pages).toBe(Math.ceil(page.total / 2));
    expect(res.headers.get('X-Total-Count')).toBe(String(page.total));
    expect(res.headers.get('Link')).toContain('rel="next"');
    const second = await expectStatus(await call('GET', '/users?page=2&per_page=2', { token: admin.token }), 200);
    expect(second.items[0].id).toBeGreaterThan(page.items[1].id);
    for (const item of [...page.items, ...second.items]) expect(item).not.toHaveProperty('password_hash');

    const member = await makeUser();
    await expectProblem(await call('GET', '/users', { token: member.token }), 403, 'FORBIDDEN');
    await expectProblem(await call('GET', '/users'), 401, 'UNAUTHENTICATED');
  });

  it.each(['page=0', 'per_page=101', 'page=abc', 'per_page=1.5', 'page=-1'])('rejects bad paging %s with 400', async (query) => {
    const admin = await makeAdmin();
    await expectProblem(await call('GET', `/users?${query}`, { token: admin.token }), 400, 'VALIDATION_FAILED');
  });

  it('reads, updates (including role) and deletes a user', async () => {
    const admin = await makeAdmin();
    const user = await makeUser();
    expect(await expectStatus(await call('GET', `/users/${user.id}`, { token: admin.token }), 200)).toMatchObject({ id: user.id });
    const updated = await expectStatus(
      await call('PUT', `/users/${user.id}`, { token: admin.token, body: { role: 'admin', last_name: 'Promoted' } }),
      200,
    );
    expect(updated).toMatchObject({ role: 'admin', last_name: 'Promoted' });
    await expectStatus(await call('DELETE', `/users/${user.id}`, { token: admin.token }), 200);
    await expectProblem(await call('GET', `/users/${user.id}`, { token: admin.token }), 404, 'NOT_FOUND');
    await expectProblem(await call('DELETE', `/users/${user.id}`, { token: admin.token }), 404, 'NOT_FOUND');
    await expectProblem(await call('PUT', `/users/${user.id}`, { token: admin.token, body: { first_name: 'X' } }), 404, 'NOT_FOUND');
  });

  it.each(['abc', '0', '-1', '1.5', '99999999999999999999'])('rejects the id %s with 400', async (id) => {
    const admin = await makeAdmin();
    const problem = await expectProblem(await call('GET', `/users/${id}`, { token: admin.token }), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveProperty('id');
  });

  it('is admin only', async () => {
    const member = await makeUser();
    const other = await makeUser();
    await expectProblem(await call('GET', `/users/${other.id}`, { token: member.token }), 403, 'FORBIDDEN');
    await expectProblem(await call('PUT', `/users/${other.id}`, { token: member.token, body: { role: 'admin' } }), 403, 'FORBIDDEN');
    await expectProblem(await call('DELETE', `/users/${other.id}`, { token: member.token }), 403, 'FORBIDDEN');
  });

  it('refuses to take an email that belongs to someone else', async () => {
    const admin = await makeAdmin();
    const a = await makeUser();
    const b = await makeUser();
    await expectProblem(await call('PUT', `/users/${b.id}`, { token: admin.token, body: { email: a.email } }), 409, 'EMAIL_TAKEN');
  });
});
