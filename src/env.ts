import type { Database } from './db/client';
import type { D1Stats } from './db/instrument';
import type { ApiError } from './lib/problem';
import type { TokenClaims } from './lib/token';
import type { AuthUser } from './middleware/auth';

export interface Bindings {
  DB: D1Database;
  CACHE: KVNamespace;
  LOGIN_LIMITER: RateLimit;
  REGISTER_LIMITER: RateLimit;
  WRITE_LIMITER: RateLimit;
  /** Writes by tokens claiming the admin role: 300 per 60 s (a returns desk emptying a book drop). */
  ADMIN_WRITE_LIMITER: RateLimit;
  READ_LIMITER: RateLimit;
  /** HS256 signing key, at least 32 bytes. A Worker secret; `.dev.vars` locally. */
  JWT_SECRET?: string;
  /** Comma-separated allowed origins; empty or unset = no CORS headers. */
  CORS_ORIGINS?: string;
}

export interface Variables {
  requestId: string;
  db: Database;
  d1Stats: D1Stats;
  /** The verified bearer token's claims, set before rate limiting; the stored user is loaded later. */
  token?: TokenClaims;
  /** Why the bearer token was rejected; thrown only by routes that need a caller. */
  authError?: ApiError;
  /** Set by `requireUser` (always) and `optionalUser` (when a token is sent). */
  user: AuthUser;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
