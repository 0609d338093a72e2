/**
 * PBKDF2-SHA-256 password hashing on Web Crypto, stored self-describing as
 * `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` so the cost can be raised later.
 * No imports: scripts/create-admin.ts runs this same file on Node.
 */

/** Deployed Workers reject PBKDF2 above 100,000 iterations (local workerd does not): a test pins this. */
export const PBKDF2_ITERATIONS = 100_000;
const ALGORITHM = 'pbkdf2-sha256';
const SALT_BYTES = 16;
const HASH_BYTES = 32;

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
    key,
    HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, PBKDF2_ITERATIONS);
  return `${ALGORITHM}$${PBKDF2_ITERATIONS}$${toBase64(salt)}$${toBase64(hash)}`;
}

interface ParsedHash {
  iterations: number;
  salt: Uint8Array;
  hash: Uint8Array;
}

function parse(stored: string): ParsedHash | null {
  const [algorithm, iterations, salt, hash] = stored.split('$');
  const count = Number(iterations);
  if (algorithm !== ALGORITHM || !Number.isInteger(count) || count < 1 || count > PBKDF2_ITERATIONS || !salt || !hash) {
    return null;
  }
  try {
    return { iterations: count, salt: fromBase64(salt), hash: fromBase64(hash) };
  } catch {
    return null;
  }
}

function equalInConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  // Workers provide timingSafeEqual; on Node (scripts) an XOR fold gives the same guarantee.
  if ('timingSafeEqual' in crypto.subtle) return crypto.subtle.timingSafeEqual(a as BufferSource, b as BufferSource);
  let difference = 0;
  for (let i = 0; i < a.byteLength; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

const DUMMY_SALT = new Uint8Array(SALT_BYTES);

/**
 * Checks `password` against a stored hash. With `stored` null (unknown account) it still
 * derives once, so an unknown email and a wrong password take the same time.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parsed = stored === null ? null : parse(stored);
  if (!parsed) {
    await derive(password, DUMMY_SALT, PBKDF2_ITERATIONS);
    return false;
  }
  const candidate = await derive(password, parsed.salt, parsed.iterations);
  return equalInConstantTime(candidate, parsed.hash);
}

/** True when a hash was made with other parameters than today's: rehash it on the next login. */
export const needsRehash = (stored: string) => parse(stored)?.iterations !== PBKDF2_ITERATIONS;
