import type { Context } from 'hono';
import { policy } from '../../db/schema';
import type { AppEnv } from '../../env';
import { eventContext } from '../../lib/events';
import { validationFailed } from '../../lib/problem';
import type { AppRouteHandler } from '../../lib/types';
import { conditionalGet, etag, ifMatch, preconditionFailed } from '../../lib/conditional';
import { readPolicy, type StoredPolicy, updatePolicy } from './policy.queries';
import type * as routes from './policy.routes';
import type { PolicyChanges } from './policy.schemas';

/** ISO 4217 code from configuration; "EUR" when unset or not three letters. */
export const currencyOf = (c: Context<AppEnv>) => {
  const configured = c.env.CURRENCY?.trim().toUpperCase() ?? '';
  return /^[A-Z]{3}$/.test(configured) ? configured : 'EUR';
};

const toPolicy = (c: Context<AppEnv>, { version: _, ...fields }: StoredPolicy) => ({ ...fields, currency: currencyOf(c) });

export const getPolicy: AppRouteHandler<typeof routes.getPolicy> = async (c) => {
  const [row] = await readPolicy(c.var.db);
  // The migration writes the one row; a database without it is not set up.
  if (!row) throw new Error('policy row missing');
  const unchanged = conditionalGet(c, row.version);
  if (unchanged) return unchanged;
  return c.json(toPolicy(c, row), 200);
};

/** PUT and PATCH differ only in what validation demanded of the body. */
async function changePolicy(c: Context<AppEnv>, { currency, ...changes }: PolicyChanges) {
  if (currency !== undefined && currency !== currencyOf(c)) {
    throw validationFailed({ currency: [`Read-only: set by configuration; send "${currencyOf(c)}" or leave it out.`] });
  }
  const row = await updatePolicy(c.var.db, eventContext(c), changes, ifMatch(c, policy.version));
  if (!row) throw preconditionFailed();
  c.header('ETag', etag(row.version));
  return toPolicy(c, row);
}

export const replacePolicy: AppRouteHandler<typeof routes.replacePolicy> = async (c) => c.json(await changePolicy(c, c.req.valid('json')), 200);

export const patchPolicy: AppRouteHandler<typeof routes.patchPolicy> = async (c) => c.json(await changePolicy(c, c.req.valid('json')), 200);
