import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { users, type Role } from '../db/schema';
import { publicUserColumns, type PublicUser } from '../routes/users/users.queries';
import type { AppEnv } from '../env';
import { type ApiError, forbidden, unauthenticated } from '../lib/problem';
import { requireSecret, verifyToken } from '../lib/token';

/** The caller as stored now (public columns): the role that counts is this one, not the token's claim. */
export type AuthUser = PublicUser;

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/**
 * Verifies a bearer token when one is sent (no database access), so the rate limiter can key
 * authenticated writes by user. It never rejects: routes that need a caller use `requireUser`,
 * which rethrows what went wrong here.
 */
export const readBearer = () =>
  createMiddleware<AppEnv>(async function readBearer(c, next) {
    const header = c.req.header('Authorization');
    if (header !== undefined) {
      try {
        const match = BEARER.exec(header.trim());
        if (!match) throw unauthenticated('The Authorization header must be `Bearer <token>`.');
        c.set('tokenSubject', await verifyToken(match[1]!, requireSecret(c.env.JWT_SECRET)));
      } catch (err) {
        c.set('authError', err as ApiError);
      }
    }
    await next();
  });

/** The stored user behind the request's token; null without a token; throws 401 for a bad one. */
export async function loadCaller(c: Context<AppEnv>): Promise<AuthUser | null> {
  const authError = c.get('authError');
  if (authError) throw authError;
  const id = c.get('tokenSubject');
  if (id === undefined) return null;
  const [row] = await c.var.db.select(publicUserColumns).from(users).where(eq(users.id, id));
  // Tokens are not revoked when an account goes; this lookup is what makes them worthless.
  if (!row) throw unauthenticated('The token belongs to an account that no longer exists.');
  return row;
}

/** Requires a valid token of an existing user (401 otherwise) and, with `role`, that stored role (403). */
export const requireUser = (role?: Role) =>
  createMiddleware<AppEnv>(async function requireUser(c, next) {
    const caller = await loadCaller(c);
    if (!caller) {
      requireSecret(c.env.JWT_SECRET); // an unconfigured server says so before asking for a token
      throw unauthenticated('Missing bearer token.');
    }
    if (role && caller.role !== role) throw forbidden(`This requires the ${role} role.`);
    c.set('user', caller);
    await next();
  });
