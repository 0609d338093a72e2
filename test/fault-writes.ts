import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callWith, D1_TRANSIENT, expectAuditPasses, faultyD1, type RequestSpec, snapshot } from './fault-injection';
import { call, expectProblem, expectStatus, freshIp } from './helpers';

/**
 * The fault checks every write route gets (test/faults-writes*.test.ts list the routes):
 * 1. D1 fails transiently on the route's 1st, 2nd, … call (statement or batch) until the route
 *    makes no more calls: each failed attempt answers a clean 503 with Retry-After, changes no row,
 *    leaves the integrity audit passing and logs the failed statement class without any request
 *    value; then the plain retry succeeds.
 * 2. D1 fails after the route's last call committed (the answer is lost): 503, the database stays
 *    consistent.
 * 3. For the operations that take an Idempotency-Key (as OpenAPI documents them): that lost
 *    answer, retried with the same key, is replayed and changes nothing.
 */

export interface WriteRoute {
  name: string;
  /** The OpenAPI operation, e.g. `POST /loans/{id}/renew`. */
  op: string;
  /** Builds the state the write needs; returns the request and its success status. */
  setup(): Promise<{ spec: RequestSpec; status: number }>;
}

const MESSAGES = Object.values(D1_TRANSIENT);
const MAX_CALLS = 8;

/** String values of a request body (emails, passwords, titles), which no log line may contain. */
const valuesOf = (body: unknown): string[] =>
  body && typeof body === 'object' ? Object.values(body).filter((v): v is string => typeof v === 'string' && v.length >= 4) : [];

/** The operations whose OpenAPI entry takes an Idempotency-Key header. */
async function idempotentOperations(): Promise<Set<string>> {
  const doc = await expectStatus(await call('GET', '/openapi.json'), 200);
  const ops = new Set<string>();
  for (const [path, operations] of Object.entries<Record<string, { parameters?: { in: string; name: string }[] }>>(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (operation.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')) ops.add(`${method.toUpperCase()} ${path}`);
    }
  }
  return ops;
}

const quiet = () => vi.spyOn(console, 'warn').mockImplementation(() => {});

/** Registers the three checks for `routes` (call at the top level of a test file). */
export async function faultsOnWriteRoutes(routes: WriteRoute[]): Promise<void> {
  const idempotent = await idempotentOperations();

  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Runs the route once through a counting binding: how many D1 calls it makes. */
  async function callsOf(route: WriteRoute): Promise<number> {
    const twin = await route.setup();
    const counter = faultyD1(env.DB);
    await expectStatus(await callWith({ DB: counter.db }, twin.spec), twin.status);
    return counter.calls.statement + counter.calls.batch;
  }

  describe('transient D1 failures on every write route', () => {
    it.each(routes.map((route) => [route.name, route] as const))('%s: 503 + Retry-After at each call, nothing written, then the retry succeeds', async (_, route) => {
      const { spec, status } = await route.setup();
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      let n = 1;
      for (; n <= MAX_CALLS; n++) {
        const before = await snapshot();
        const d1 = faultyD1(env.DB, { on: 'any', nth: n, message: MESSAGES[n % MESSAGES.length]! });
        warn.mockClear();
        const res = await callWith({ DB: d1.db }, spec);
        if (d1.failed === 0) {
          // The route made fewer than n calls: this attempt ran untouched and is the retry.
          await expectStatus(res, status);
          break;
        }
        const retryAfter = Number(res.headers.get('Retry-After'));
        const problem = await expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(10);
        expect(problem.detail).toMatch(/retry/i);
        expect(res.headers.get('Server-Timing')).toBeNull();
        expect(await snapshot(), `call ${n} failed but rows changed`).toBe(before);

        const lines = warn.mock.calls.map((args) => String(args[0])).filter((line) => line.includes('database unavailable'));
        expect(lines, `no log line for call ${n}`).toHaveLength(1);
        const log = JSON.parse(lines[0]!);
        expect(log.statement).toMatch(/^(batch of \d+: )?((with … )?(select|insert|update|delete)( \w+)?(, )?)+(, …)?$/);
        expect(log.reason).toEqual(expect.any(String));
        for (const value of valuesOf(spec.body)) expect(lines[0]).not.toContain(value);
      }
      expect(n, 'the route kept calling D1').toBeGreaterThan(1);
      expect(n).toBeLessThanOrEqual(MAX_CALLS);
      await expectAuditPasses();
    });
  });

  describe('a write that committed but whose answer was lost', () => {
    it.each(routes.map((route) => [route.name, route] as const))('%s: 503, and the database is still consistent', async (_, route) => {
      // Count the route's calls on a twin setup, then fail the last one (the write) after it ran.
      const calls = await callsOf(route);
      const { spec } = await route.setup();
      const d1 = faultyD1(env.DB, { on: 'any', nth: calls, message: D1_TRANSIENT.networkLost, when: 'after' });
      await expectProblem(await callWith({ DB: d1.db }, spec), 503, 'SERVICE_UNAVAILABLE');
      expect(d1.failed).toBe(1);
      await expectAuditPasses();
    });
  });

  const keyed = routes.filter((route) => idempotent.has(route.op));
  describe('a lost answer, retried with the same Idempotency-Key', () => {
    if (keyed.length === 0) it.skip('no write route of this file takes an Idempotency-Key in this build', () => {});
    else
      it.each(keyed.map((route) => [route.name, route] as const))('%s: the retry replays the first answer and changes nothing', async (_, route) => {
        quiet();
        const calls = await callsOf(route);
        const { spec, status } = await route.setup();
        // One client: same address (anonymous keys are scoped by it) and same key.
        const request = { ...spec, headers: { ...spec.headers, 'CF-Connecting-IP': freshIp(), 'Idempotency-Key': `lost-answer-${crypto.randomUUID()}` } };
        const d1 = faultyD1(env.DB, { on: 'any', nth: calls, message: D1_TRANSIENT.storageReset, when: 'after' });
        await expectProblem(await callWith({ DB: d1.db }, request), 503, 'SERVICE_UNAVAILABLE');
        expect(d1.failed).toBe(1);
        const committed = await snapshot();

        const retry = await callWith({}, request);
        expect(retry.headers.get('Idempotent-Replayed')).toBe('true');
        await expectStatus(retry, status);
        expect(await snapshot(), 'the retry had a second effect').toBe(committed);
        await expectAuditPasses();
      });
  });
}
