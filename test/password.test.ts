import { describe, expect, it } from 'vitest';
import { PBKDF2_ITERATIONS, hashPassword, needsRehash, verifyPassword } from '../src/lib/password';

describe('password hashing', () => {
  it('pins PBKDF2 at no more than 100,000 iterations (deployed Workers reject more; local workerd does not)', () => {
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000);
    expect(PBKDF2_ITERATIONS).toBe(100_000);
  });

  it('stores a self-describing hash with a random 16-byte salt', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    const [algorithm, iterations, salt, hash] = a.split('$');
    expect(algorithm).toBe('pbkdf2-sha256');
    expect(Number(iterations)).toBe(PBKDF2_ITERATIONS);
    expect(atob(salt!)).toHaveLength(16);
    expect(atob(hash!)).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('verifies the right password only', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('correct horse battery', null)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });

  it('asks for a rehash when the stored cost differs from today', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(needsRehash(stored)).toBe(false);
    expect(needsRehash(stored.replace(`$${PBKDF2_ITERATIONS}$`, '$50000$'))).toBe(true);
  });
});
