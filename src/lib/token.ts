import { sign, verify } from 'hono/jwt';
import type { Role } from '../db/schema';
import { parsePositiveInteger } from './fields';
import { ApiError, unauthenticated } from './problem';

export const TOKEN_TTL_SECONDS = 3600;
const ALG = 'HS256';
const MIN_SECRET_BYTES = 32;

/** The signing key, or a 503 when the deployment has none (or a weak one): fail closed, never a default. */
export function requireSecret(secret: string | undefined): string {
  if (!secret || new TextEncoder().encode(secret).byteLength < MIN_SECRET_BYTES) {
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'JWT_SECRET is missing or shorter than 32 bytes; token routes answer 503 until it is set',
      }),
    );
    throw new ApiError(503, 'NOT_CONFIGURED', 'The server is not configured to issue or check tokens.');
  }
  return secret;
}

export async function issueToken(user: { id: number; role: Role; token_version: number }, secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub: String(user.id), role: user.role, ver: user.token_version, iat: now, exp: now + TOKEN_TTL_SECONDS }, secret, ALG);
}

export interface TokenClaims {
  /** The user id (`sub`). */
  id: number;
  /** The role claimed when the token was issued: a hint only; the stored role is what counts. */
  role: Role;
  /** `ver`: the account's token version when issued; a password change raises it, retiring the token. */
  version: number;
}

/**
 * Verifies algorithm and signature, then expiry; throws a 401 ApiError otherwise.
 *
 * hono/jwt checks `exp` before the signature, so a forged token with a past (or non-numeric) `exp`
 * would be called expired. Its own `exp` check is off here: only a token we signed is judged on
 * its expiry, and only a finite number there is one (ours always carry it; anything else is forged
 * or broken, hence invalid).
 */
export async function verifyToken(token: string, secret: string): Promise<TokenClaims> {
  let payload: Record<string, unknown>;
  try {
    payload = await verify(token, secret, { alg: ALG, exp: false });
  } catch {
    throw unauthenticated('The token is invalid.');
  }
  const subject = typeof payload.sub === 'string' ? parsePositiveInteger(payload.sub) : undefined;
  if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp) || subject === undefined) {
    throw unauthenticated('The token is invalid.');
  }
  if (payload.exp <= Math.floor(Date.now() / 1000)) throw unauthenticated('The token has expired; log in again.', 'TOKEN_EXPIRED');
  return { id: subject, role: payload.role === 'admin' ? 'admin' : 'member', version: typeof payload.ver === 'number' ? payload.ver : -1 };
}
