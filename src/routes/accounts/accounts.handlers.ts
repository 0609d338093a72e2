import type { Context } from 'hono';
import type { AppEnv } from '../../env';
import { eventContext } from '../../lib/events';
import { idempotent } from '../../lib/idempotency';
import { today } from '../../lib/fields';
import { type PageQuery, pageWindow, toPage } from '../../lib/paging';
import { ApiError, notFound } from '../../lib/problem';
import type { AppRouteHandler } from '../../lib/types';
import { batchAsCaller } from '../../middleware/auth';
import { currencyOf } from '../policy/policy.handlers';
import { accountQueries, findEntry, type NewEntry, recordEntry } from './accounts.queries';
import type * as routes from './accounts.routes';

type AccountResults = Awaited<ReturnType<typeof batchAsCaller<ReturnType<typeof accountQueries>>>>[1];

function toAccount(c: Context<AppEnv>, [[user], [balance], entries, [accruing]]: AccountResults, query: PageQuery) {
  if (!user) throw notFound('User');
  const { items, ...page } = toPage(c, entries, balance?.entries ?? 0, query);
  return {
    balance_cents: balance?.balance_cents ?? 0,
    accruing_cents: accruing?.value ?? 0,
    currency: currencyOf(c),
    entries: items,
    ...page,
  };
}

export const ownAccount: AppRouteHandler<typeof routes.ownAccount> = async (c) => {
  const query = c.req.valid('query');
  const [, results] = await batchAsCaller(c, (caller) => accountQueries(c.var.db, caller.id, today(), pageWindow(query)));
  return c.json(toAccount(c, results, query), 200);
};

export const userAccount: AppRouteHandler<typeof routes.userAccount> = async (c) => {
  const { id } = c.req.valid('param');
  const query = c.req.valid('query');
  const [, results] = await batchAsCaller(c, () => accountQueries(c.var.db, id, today(), pageWindow(query)), 'admin');
  return c.json(toAccount(c, results, query), 200);
};

/**
 * Records the entry (idempotent with an Idempotency-Key: a repeat answers the entry as it is, with
 * the same Location): 404 unknown patron, 409 OVERPAYMENT.
 */
function record(c: Context<AppEnv>, entry: NewEntry) {
  const location = `/users/${entry.userId}/account`;
  return idempotent(
    c,
    async (key) => {
      const { entry: row, userExists, copyExists, balanceCents } = await recordEntry(c.var.db, eventContext(c), entry, key);
      if (!userExists) throw notFound('User');
      if (!copyExists) throw notFound(`Copy ${entry.copyId}`);
      if (!row) {
        throw new ApiError(409, 'OVERPAYMENT', `The balance is ${balanceCents} cents; a ${entry.kind} can be at most that.`);
      }
      c.header('Location', location);
      return c.json(row, 201);
    },
    (entryId) => [findEntry(c.var.db, entryId)] as const,
    ([[found]]) => {
      if (!found) throw notFound('Entry');
      return { body: found, location };
    },
  );
}

export const recordCharge: AppRouteHandler<typeof routes.recordCharge> = async (c) => {
  const { id } = c.req.valid('param');
  const { amount_cents, note, copy_id } = c.req.valid('json');
  return record(c, { userId: id, kind: 'charge', amountCents: amount_cents, note, copyId: copy_id ?? null });
};

export const recordPayment: AppRouteHandler<typeof routes.recordPayment> = async (c) => {
  const { amount_cents, note } = c.req.valid('json');
  return record(c, { userId: c.req.valid('param').id, kind: 'payment', amountCents: amount_cents, note: note ?? null });
};

export const recordWaiver: AppRouteHandler<typeof routes.recordWaiver> = async (c) => {
  const { amount_cents, note } = c.req.valid('json');
  return record(c, { userId: c.req.valid('param').id, kind: 'waiver', amountCents: amount_cents, note: note ?? null });
};
