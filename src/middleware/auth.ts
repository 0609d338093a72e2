import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Role } from '../db/schema';
import { authorizeCaller, callerProbe, type CallerRow } from '../lib/caller';
import type { AppEnv } from '../env';
import { type ApiError, unauthenticated } from '../lib/problem';
import { requireSecret, type TokenClaims, verifyToken } from '../lib/token';
import type { PublicUser } from '../routes/users/users.queries';

/** The caller as stored now (public columns): the role that counts is this one, not the token's claim. */
export type AuthUser = PublicUser;

// The scheme name is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/**
 * Verifies a bearer token when one is sent (no database access), so the rate limiter can key
 * authenticated writes by user. It never rejects: routes that need a caller do, with what went
 * wrong here.
 */
export const readBearer = () =>
  createMiddleware<AppEnv>(async function readBearer(c, next) {
    const header = c.req.header('Authorization');
    if (header !== undefined) {
      try {
        const match = BEARER.exec(header.trim());
        if (!match) throw unauthenticated('The Authorization header must be `Bearer <token>`.');
        c.set('token', await verifyToken(match[1]!, requireSecret(c.env.JWT_SECRET)));
      } catch (err) {
        c.set('authError', err as ApiError);
      }
    }
    await next();
  });

/** The verified token, or null when none was sent; throws the 401 (or 503) a bad one earned. */
function tokenOf(c: Context<AppEnv>): TokenClaims | null {
  const authError = c.get('authError');
  if (authError) throw authError;
  return c.get('token') ?? null;
}

/** The verified token, or null when none was sent; throws the 401 a bad one earned. */
export const optionalToken = (c: Context<AppEnv>): TokenClaims | null => tokenOf(c);

export function callerToken(c: Context<AppEnv>): TokenClaims {
  const token = tokenOf(c);
  if (token) return token;
  requireSecret(c.env.JWT_SECRET); // an unconfigured server says so before asking for a token
  throw unauthenticated('Missing bearer token.');
}

const callerQuery = (c: Context<AppEnv>, id: number) => callerProbe(c.var.db, { id });
const checkCaller = (row: CallerRow | undefined, token: TokenClaims, role: Role | undefined): AuthUser => authorizeCaller(row, token, role);

/** The stored user behind the request's token; null without a token; throws 401 for a bad one. */
export async function loadCaller(c: Context<AppEnv>): Promise<AuthUser | null> {
  const token = tokenOf(c);
  if (!token) return null;
  const [row] = await callerQuery(c, token.id);
  return checkCaller(row, token, undefined);
}

/**
 * Requires a valid token of an existing user (401 otherwise) and, with `role`, that stored role
 * (403); sets `c.var.user`. Costs one D1 round trip before the handler: used by writes, whose
 * statements must not run for a caller who turns out not to be allowed.
 */
export const requireUser = (role?: Role) =>
  createMiddleware<AppEnv>(async function requireUser(c, next) {
    const token = callerToken(c);
    const [row] = await callerQuery(c, token.id);
    c.set('user', checkCaller(row, token, role));
    await next();
  });

/** For reads that `batchAsCaller` authorises inside the handler's own batch: checks the token only. */
export const requireToken = () =>
  createMiddleware<AppEnv>(async function requireToken(c, next) {
    callerToken(c);
    await next();
  });

/**
 * Authenticated reads in ONE D1 round trip: the caller lookup rides in the same batch as the
 * handler's queries, which `build` makes for the caller as the token describes them. The stored
 * row then decides: 401 when the account is gone, 403 when `role` is required and missing, and a
 * second batch, built for the stored role, when the token's role claim is out of date (rare).
 * Only for reads: a refused caller's queries have run, but their results are dropped.
 */
export async function batchAsCaller<T extends readonly BatchItem<'sqlite'>[]>(
  c: Context<AppEnv>,
  build: (caller: TokenClaims) => readonly [...T],
  role?: Role,
): Promise<[AuthUser, BatchResponse<T>]> {
  const token = callerToken(c);
  let assumed = token;
  for (;;) {
    const [[row], ...results] = (await c.var.db.batch([callerQuery(c, assumed.id), ...build(assumed)])) as unknown as [
      CallerRow[],
      ...BatchResponse<T>,
    ];
    const caller = checkCaller(row, token, role);
    c.set('user', caller);
    if (caller.role === assumed.role) return [caller, results as unknown as BatchResponse<T>];
    assumed = { ...token, role: caller.role };
  }
}
