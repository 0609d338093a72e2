import { createMiddleware } from 'hono/factory';
import type { AppEnv, Bindings } from '../env';
import { ApiError } from '../lib/problem';
import type { TokenClaims } from '../lib/token';

/** The binding reports no reset time, so Retry-After is the limit's whole period (wrangler.toml). */
const PERIOD_SECONDS = 60;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type LimiterName = 'LOGIN_LIMITER' | 'REGISTER_LIMITER' | 'WRITE_LIMITER' | 'ADMIN_WRITE_LIMITER' | 'READ_LIMITER';

/**
 * Each request counts against exactly one limit (contract, "Rate limits"): login and register
 * by IP, authenticated writes by user (admins 300/60 s, others 60/60 s), everything else by IP.
 *
 * Writes are keyed by user AND token version: the limiter runs before the stored row is read, so
 * it only knows that the signature verified. A token retired by a password change still verifies,
 * and without the version it could spend (and exhaust) the budget of the owner's current token.
 *
 * For the same reason the admin budget is chosen by the verified token's role claim. That is safe:
 * the claim only picks the budget; every admin write checks the stored role itself (inside its SQL
 * or before it), so a demoted admin's token buys at most a larger budget for requests that are then
 * refused, until it expires (1 h) or the password changes.
 */
function classify(method: string, path: string, token: TokenClaims | undefined, ip: string): [LimiterName, string] {
  if (method === 'POST' && path === '/users/login') return ['LOGIN_LIMITER', `ip:${ip}`];
  if (method === 'POST' && path === '/users') return ['REGISTER_LIMITER', `ip:${ip}`];
  if (WRITES.has(method) && token) {
    return [token.role === 'admin' ? 'ADMIN_WRITE_LIMITER' : 'WRITE_LIMITER', `user:${token.id}:v${token.version}`];
  }
  return ['READ_LIMITER', `ip:${ip}`];
}

export const rateLimit = () =>
  createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const ip = c.req.header('CF-Connecting-IP') ?? 'unknown';
    const [name, key] = classify(c.req.method, c.req.path, c.get('token'), ip);
    const limiter: Bindings[LimiterName] | undefined = c.env[name];
    let allowed = true;
    try {
      allowed = limiter ? (await limiter.limit({ key })).success : true;
    } catch {
      // Throttling protects the service; an outage of the limiter must not take the API down with it.
      console.warn(JSON.stringify({ level: 'warn', msg: 'rate limiter unavailable', id: c.get('requestId'), limiter: name }));
    }
    if (!allowed) {
      throw new ApiError(429, 'RATE_LIMITED', `Too many requests; try again in ${PERIOD_SECONDS} seconds.`, {
        headers: { 'Retry-After': String(PERIOD_SECONDS) },
      });
    }
    await next();
  });
