import { eq, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';
import { keyWhen } from '../db/raw';
import { users, type Role } from '../db/schema';
import { publicUserColumns, type PublicUser } from '../routes/users/users.queries';
import { forbidden, unauthenticated } from './problem';
import type { TokenClaims } from './token';

/**
 * Authorization inside the write: one D1 round trip per write instead of a caller lookup first.
 *
 *   const [probe, changed, ...] = await db.batch([callerProbe(db, token), db.update(t).set(...)
 *     .where(and(eq(t.id, id), callerIs(token))), ...]);
 *   const caller = authorizeCaller(probe, token);   // 401, then 403: the contract's order
 *
 * `callerIs` makes the write do nothing unless the token's account exists with that token version
 * (and, with `role`, that stored role); `callerProbe` reads the same row in the same batch, so the
 * refusal is explained without a second trip. Both see the same state: D1 runs a batch alone.
 */
export const callerIs = (token: Pick<TokenClaims, 'id' | 'version'>, role?: Role): SQL =>
  sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${token.id} AND ${users.token_version} = ${token.version}${
    role ? sql` AND ${users.role} = ${role}` : sql``
  })`;

/**
 * The caller's stored row (public columns, token version and ETag version): a statement for the
 * write's batch. A write that needs it only to explain a refusal puts it after its last write with
 * `when` = `nothingChanged`, so a write that succeeded does not read it.
 */
export const callerProbe = (db: Database, token: Pick<TokenClaims, 'id'>, when?: SQL) =>
  db
    .select({ ...publicUserColumns, token_version: users.token_version, version: users.version })
    .from(users)
    .where(eq(users.id, when ? keyWhen(when, token.id) : token.id));

export type CallerRow = PublicUser & { token_version: number; version: number };

/**
 * The stored caller behind a token, or the refusal: 401 when the account is gone or the token was
 * retired (password change or sign-out), 403 when `role` is required and the stored role differs. The role that
 * counts is the stored one, never the token's claim.
 */
export function authorizeCaller(rows: CallerRow[] | CallerRow | undefined, token: TokenClaims, role?: Role): PublicUser {
  const row = Array.isArray(rows) ? rows[0] : rows;
  if (!row) throw unauthenticated('The token belongs to an account that no longer exists.');
  const { token_version: tokenVersion, version: _version, ...caller } = row;
  if (token.version !== tokenVersion) throw unauthenticated('The token has been retired (a sign-out or a password change since it was issued); log in again.');
  if (role && caller.role !== role) throw forbidden(`This requires the ${role} role.`);
  return caller;
}
