import { asc, eq, sql } from 'drizzle-orm';
import { users } from '../../db/schema';
import { isUniqueViolation } from '../../db/errors';
import { pageWindow, toPage } from '../../lib/paging';
import { hashPassword, needsRehash, verifyPassword } from '../../lib/password';
import { ApiError, forbidden, notFound } from '../../lib/problem';
import { issueToken, requireSecret, TOKEN_TTL_SECONDS } from '../../lib/token';
import type { AppRouteHandler } from '../../lib/types';
import { batchAsCaller, loadCaller } from '../../middleware/auth';
import type { Database } from '../../db/client';
import { deleteUser as deleteUserRow, emailTaken, findLoginUser, publicUserColumns, type PublicUser, userCount } from './users.queries';
import type * as routes from './users.routes';

type Changes = Partial<Omit<PublicUser, 'id'>> & { password?: string };

/** Applies a partial update; a password is stored hashed. Maps a taken email to 409. */
async function applyChanges(db: Database, id: number, { password, ...changes }: Changes): Promise<PublicUser | undefined> {
  // A new password also retires every token issued before it (checked on each request).
  const values =
    password === undefined
      ? changes
      : { ...changes, password_hash: await hashPassword(password), token_version: sql`${users.token_version} + 1` };
  if (Object.keys(values).length === 0) {
    const [row] = await db.select(publicUserColumns).from(users).where(eq(users.id, id));
    return row;
  }
  try {
    const [row] = await db.update(users).set(values).where(eq(users.id, id)).returning(publicUserColumns);
    return row;
  } catch (err) {
    if (isUniqueViolation(err, 'users.email')) throw emailTaken();
    throw err;
  }
}

export const register: AppRouteHandler<typeof routes.register> = async (c) => {
  const { password, role = 'member', ...fields } = c.req.valid('json');
  if (role !== 'member') {
    const caller = await loadCaller(c);
    if (caller?.role !== 'admin') throw forbidden('Only an admin can create a user with another role than member.');
  }
  const [row] = await c.var.db
    .insert(users)
    .values({ ...fields, role, password_hash: await hashPassword(password) })
    .onConflictDoNothing({ target: users.email })
    .returning(publicUserColumns);
  if (!row) throw emailTaken();
  c.header('Location', `/users/${row.id}`);
  return c.json(row, 201);
};

export const login: AppRouteHandler<typeof routes.login> = async (c) => {
  const secret = requireSecret(c.env.JWT_SECRET);
  const { email, password } = c.req.valid('json');
  const [account] = await findLoginUser(c.var.db, email);
  // Unknown email and wrong password take the same path, time and answer.
  const valid = await verifyPassword(password, account?.password_hash ?? null);
  if (!account || !valid) throw new ApiError(401, 'INVALID_CREDENTIALS', 'The email or password is incorrect.');
  if (needsRehash(account.password_hash)) {
    await c.var.db.update(users).set({ password_hash: await hashPassword(password) }).where(eq(users.id, account.id));
  }
  const token = await issueToken(account, secret);
  // A bearer credential: no cache may keep it (RFC 6749 §5.1; Pragma for HTTP/1.0 caches).
  c.header('Cache-Control', 'no-store');
  c.header('Pragma', 'no-cache');
  return c.json({ message: `Welcome, ${account.first_name}.`, token, token_type: 'Bearer' as const, expires_in: TOKEN_TTL_SECONDS }, 200);
};

export const getProfile: AppRouteHandler<typeof routes.getProfile> = (c) => c.json(c.var.user, 200);

export const updateProfile: AppRouteHandler<typeof routes.updateProfile> = async (c) => {
  const row = await applyChanges(c.var.db, c.var.user.id, c.req.valid('json'));
  if (!row) throw notFound('User');
  return c.json(row, 200);
};

export const deleteSelf: AppRouteHandler<typeof routes.deleteSelf> = async (c) => {
  await deleteUserRow(c.var.db, c.var.user.id, c.var.user.id);
  return c.json({ message: 'Your account has been deleted.' }, 200);
};

export const listUsers: AppRouteHandler<typeof routes.listUsers> = async (c) => {
  const query = c.req.valid('query');
  const { limit, offset } = pageWindow(query);
  const db = c.var.db;
  const [, [rows, [count]]] = await batchAsCaller(
    c,
    () => [db.select(publicUserColumns).from(users).orderBy(asc(users.id)).limit(limit).offset(offset), userCount(db)] as const,
    'admin',
  );
  return c.json(toPage(c, rows, count?.value ?? 0, query), 200);
};

export const getUser: AppRouteHandler<typeof routes.getUser> = async (c) => {
  const { id } = c.req.valid('param');
  const [, [[row]]] = await batchAsCaller(c, () => [c.var.db.select(publicUserColumns).from(users).where(eq(users.id, id))] as const, 'admin');
  if (!row) throw notFound('User');
  return c.json(row, 200);
};

export const updateUser: AppRouteHandler<typeof routes.updateUser> = async (c) => {
  const row = await applyChanges(c.var.db, c.req.valid('param').id, c.req.valid('json'));
  if (!row) throw notFound('User');
  return c.json(row, 200);
};

export const deleteUser: AppRouteHandler<typeof routes.deleteUser> = async (c) => {
  const { id } = c.req.valid('param');
  await deleteUserRow(c.var.db, id, c.var.user.id);
  return c.json({ message: `User ${id} has been deleted.` }, 200);
};
