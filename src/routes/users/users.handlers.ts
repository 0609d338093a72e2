import { and, asc, eq, exists, ne, sql } from 'drizzle-orm';
import { users } from '../../db/schema';
import { isUniqueViolation } from '../../db/errors';
import { pageWindow, toPage } from '../../lib/paging';
import { hashPassword, needsRehash, verifyPassword } from '../../lib/password';
import { eventContext, recordEvent } from '../../lib/events';
import { ApiError, forbidden, notFound } from '../../lib/problem';
import { issueToken, requireSecret, TOKEN_TTL_SECONDS, type TokenClaims } from '../../lib/token';
import type { AppRouteHandler } from '../../lib/types';
import { authorizeCaller, callerIs, callerProbe } from '../../lib/caller';
import { conditionalGet, etag, ifMatch, matchesIfMatch, preconditionFailed } from '../../lib/conditional';
import { idempotent, idempotentBatch } from '../../lib/idempotency';
import { batchAsCaller, callerToken, optionalToken } from '../../middleware/auth';
import { deleteUser as deleteUserRow, emailTaken, findLoginUser, findUser, publicUserColumns, type PublicUser, userCount } from './users.queries';
import type * as routes from './users.routes';

type Changes = Partial<Omit<PublicUser, 'id'>> & { password?: string };
type VersionedUser = PublicUser & { version: number };

/** The SET of an update: a new password is stored hashed and retires every earlier token; the version rises. */
async function changeSet({ password, ...changes }: Changes) {
  const values = { ...changes, version: sql`${users.version} + 1` };
  return password === undefined
    ? values
    : { ...values, password_hash: await hashPassword(password), token_version: sql`${users.token_version} + 1` };
}

const withoutVersion = ({ version, ...user }: VersionedUser): [PublicUser, number] => [user, version];

async function orEmailTaken<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (isUniqueViolation(err, 'users.email')) throw emailTaken();
    throw err;
  }
}

export const register: AppRouteHandler<typeof routes.register> = (c) =>
  idempotent(
    c,
    async (key) => {
      const { password, role = 'member', ...fields } = c.req.valid('json');
      const db = c.var.db;
      const values = { ...fields, role, password_hash: await hashPassword(password) };
      // Another role than member needs an admin, checked inside the INSERT (one round trip).
      let token: TokenClaims | null = null;
      if (role !== 'member') {
        token = optionalToken(c);
        if (!token) throw forbidden('Only an admin can create a user with another role than member.');
      }
      const insert = token
        ? db
            .insert(users)
            .select((qb) =>
              qb
                .select({
                  id: sql`NULL`.as('id'),
                  first_name: sql`${values.first_name}`.as('first_name'),
                  last_name: sql`${values.last_name}`.as('last_name'),
                  email: sql`${values.email}`.as('email'),
                  password_hash: sql`${values.password_hash}`.as('password_hash'),
                  DOB: sql`${values.DOB ?? null}`.as('dob'),
                  address: sql`${values.address ?? null}`.as('address'),
                  role: sql`${role}`.as('role'),
                  token_version: sql`0`.as('token_version'),
                  version: sql`1`.as('version'),
                  items_out: sql`0`.as('items_out'),
                })
                .from(sql`(SELECT 1)`)
                .where(callerIs(token, 'admin')),
            )
            .onConflictDoNothing({ target: users.email })
            .returning({ ...publicUserColumns, version: users.version })
        : db.insert(users).values(values).onConflictDoNothing({ target: users.email }).returning({ ...publicUserColumns, version: users.version });
      // The probe explains a refused admin-only insert (401 or 403); without a token it matches no row.
      const [probe, [created]] = await idempotentBatch(db, key, [callerProbe(db, token ?? { id: 0 }), insert], {
        after: 1,
        status: 201,
        resourceId: 'inserted',
      });
      if (!created) {
        if (token) authorizeCaller(probe, token, 'admin');
        throw emailTaken();
      }
      const [row, version] = withoutVersion(created);
      c.header('Location', `/users/${row.id}`);
      c.header('ETag', etag(version));
      return c.json(row, 201);
    },
    (userId) => [findUser(c.var.db, userId)] as const,
    ([[found]]) => {
      if (!found) throw notFound('User');
      const [row, version] = withoutVersion(found);
      return { body: row, location: `/users/${row.id}`, etag: version };
    },
  );

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

/**
 * One round trip: the UPDATE raises the token version only for the very token presented (its
 * account, its version), and the probe in the same batch explains a refusal (401).
 */
const SIGNED_OUT = { message: 'Signed out: every token issued to this account so far has stopped working.' };

/**
 * A repeat under the same Idempotency-Key (a retry after a lost answer) is answered from the key's
 * record: the token it carries was retired by the first attempt, so it would otherwise be a 401.
 */
export const logout: AppRouteHandler<typeof routes.logout> = (c) =>
  idempotent(
    c,
    async (key) => {
      const token = callerToken(c);
      const db = c.var.db;
      const [[probe], [retired]] = await idempotentBatch(
        db,
        key,
        [
          callerProbe(db, token),
          db
            .update(users)
            .set({ token_version: sql`${users.token_version} + 1` })
            .where(and(eq(users.id, token.id), eq(users.token_version, token.version)))
            .returning({ id: users.id }),
        ],
        { after: 1, status: 200, resourceId: null },
      );
      if (!retired) authorizeCaller(probe, token);
      return c.json(SIGNED_OUT, 200);
    },
    () => [] as const,
    () => ({ body: SIGNED_OUT }),
  );

export const getProfile: AppRouteHandler<typeof routes.getProfile> = async (c) => {
  const token = callerToken(c);
  const [probe] = await callerProbe(c.var.db, token);
  const caller = authorizeCaller(probe, token);
  return conditionalGet(c, probe!.version) ?? c.json(caller, 200);
};

/** One round trip: the account and token checks and If-Match sit in the UPDATE's own WHERE. */
export const updateProfile: AppRouteHandler<typeof routes.updateProfile> = async (c) => {
  const token = callerToken(c);
  const changes = c.req.valid('json');
  const db = c.var.db;
  if (Object.keys(changes).length === 0) {
    const [probe] = await callerProbe(db, token);
    const caller = authorizeCaller(probe, token);
    if (!matchesIfMatch(c, probe!.version)) throw preconditionFailed();
    c.header('ETag', etag(probe!.version));
    return c.json(caller, 200);
  }
  const [[probe], [updated]] = await orEmailTaken(
    db.batch([
      callerProbe(db, token),
      db
        .update(users)
        .set(await changeSet(changes))
        .where(and(eq(users.id, token.id), eq(users.token_version, token.version), ifMatch(c, users.version)))
        .returning({ ...publicUserColumns, version: users.version }),
    ]),
  );
  if (!updated) {
    authorizeCaller(probe, token);
    throw preconditionFailed();
  }
  const [row, version] = withoutVersion(updated);
  c.header('ETag', etag(version));
  return c.json(row, 200);
};

export const deleteSelf: AppRouteHandler<typeof routes.deleteSelf> = async (c) => {
  await deleteUserRow(c.var.db, eventContext(c), c.var.user.id, c.var.user.id);
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
  const [, [[found]]] = await batchAsCaller(c, () => [findUser(c.var.db, id)] as const, 'admin');
  if (!found) throw notFound('User');
  const [row, version] = withoutVersion(found);
  return conditionalGet(c, version) ?? c.json(row, 200);
};

/** An admin write (the caller was checked by requireUser): 404 no such user, 412 If-Match, 409 email. */
export const updateUser: AppRouteHandler<typeof routes.updateUser> = async (c) => {
  const { id } = c.req.valid('param');
  const changes = c.req.valid('json');
  const db = c.var.db;
  const matches = ifMatch(c, users.version);
  // `user.role_changed` is written BEFORE the update, on the condition that the stored role differs
  // and the update's own conditions hold (afterwards the old role is gone); a failing update aborts
  // the batch, event included.
  const roleChanges =
    changes.role === undefined
      ? sql`0`
      : sql`${exists(db.select({ id: users.id }).from(users).where(and(eq(users.id, id), ne(users.role, changes.role), matches)))}`;
  const [, [updated], [probe]] = await orEmailTaken(
    db.batch([
      recordEvent(db, eventContext(c), 'user.role_changed', { user_id: id }, roleChanges),
      db
        .update(users)
        .set(Object.keys(changes).length ? await changeSet(changes) : { version: sql`${users.version}` })
        .where(and(eq(users.id, id), matches))
        .returning({ ...publicUserColumns, version: users.version }),
      db.select({ id: users.id }).from(users).where(eq(users.id, id)),
    ]),
  );
  if (!updated) throw probe ? preconditionFailed() : notFound('User');
  const [row, version] = withoutVersion(updated);
  c.header('ETag', etag(version));
  return c.json(row, 200);
};

export const deleteUser: AppRouteHandler<typeof routes.deleteUser> = async (c) => {
  const { id } = c.req.valid('param');
  await deleteUserRow(c.var.db, eventContext(c), id, c.var.user.id, ifMatch(c, users.version));
  return c.json({ message: `User ${id} has been deleted.` }, 200);
};
