import { createRoute, z } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import { users } from '../../db/schema';
import { orderBlockers } from '../../lib/blockers';
import { patronBlockers, patronBlockProbe } from '../../lib/blocks';
import { parsePositiveInteger, queryId, today } from '../../lib/fields';
import { AUTH_PROBLEMS, bearer, json, problems } from '../../lib/openapi';
import { type Blocker, forbidden, notFound, PROBLEM_CODES } from '../../lib/problem';
import type { AppRouteHandler } from '../../lib/types';
import { batchAsCaller, requireToken } from '../../middleware/auth';
import { MAX_BOOKS_PER_CHECKOUT } from '../loans/loans.schemas';
import { diagnoseEntries, entryBlockers, inEntryOrder } from '../loans/copy-choice';

const bookIdList = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text.trim() === '') return [];
    const ids = text.split(',').map((part) => parsePositiveInteger(part.trim()));
    if (ids.some((id) => id === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'Must be a comma-separated list of positive integers.' });
      return z.NEVER;
    }
    if (ids.length > MAX_BOOKS_PER_CHECKOUT) {
      ctx.addIssue({ code: 'custom', message: `At most ${MAX_BOOKS_PER_CHECKOUT} ids.` });
      return z.NEVER;
    }
    if (new Set(ids).size !== ids.length) {
      ctx.addIssue({ code: 'custom', message: 'Ids must be distinct.' });
      return z.NEVER;
    }
    return ids as number[];
  })
  .openapi({ param: { name: 'book_ids', in: 'query' }, type: 'string', example: '1,2', description: 'Up to 10 distinct book ids, comma-separated; may be empty.' });

const blockerSchema = z
  .object({ code: z.enum(PROBLEM_CODES), detail: z.string(), book_id: z.number().int().optional() })
  .openapi('Blocker');

export const eligibility = createRoute({
  method: 'get',
  path: '/circulation/eligibility',
  tags: ['Circulation'],
  summary: 'Could this patron borrow these books now?',
  description:
    'Every reason opening a loan on `book_ids` for `user_id` (default: you) would fail now, from the same probes the ' +
    'checkout uses, in the order of refusals: an unknown book as `NOT_FOUND`, item-level reasons with `book_id`, then ' +
    'the patron-level blocks (FINES_OVER_LIMIT, OVERDUE_COPIES, LOAN_LIMIT_REACHED). Writes nothing; one round trip. ' +
    'Members may ask only about themselves (403 otherwise). `book_ids`: at most 10, distinct (400 otherwise).',
  security: bearer,
  middleware: [requireToken()] as const,
  request: { query: z.object({ book_ids: bookIdList, user_id: queryId('user_id', 'The patron; default the caller (admins only for others).') }) },
  responses: {
    200: json(z.object({ eligible: z.boolean(), blockers: z.array(blockerSchema) }).openapi('Eligibility'), 'The answer'),
    ...problems([...AUTH_PROBLEMS, 400, 403, 404]),
  },
});

export const checkEligibility: AppRouteHandler<typeof eligibility> = async (c) => {
  const { book_ids: bookIds, user_id } = c.req.valid('query');
  const day = today();
  const entries = bookIds.map((book_id) => ({ book_id }));
  const db = c.var.db;
  const [caller, [[user], diagnoses, [blocks]]] = await batchAsCaller(c, (viewer) => {
    const userId = viewer.role === 'admin' ? (user_id ?? viewer.id) : viewer.id;
    return [
      db.select({ id: users.id }).from(users).where(eq(users.id, userId)),
      diagnoseEntries(db, entries, sql`${userId}`, 0, false),
      patronBlockProbe(db, userId, day),
    ] as const;
  });
  if (caller.role !== 'admin' && user_id !== undefined && user_id !== caller.id) throw forbidden('Members can check only their own eligibility.');
  if (!user) throw notFound('User');
  const unknown: Blocker[] = inEntryOrder(diagnoses)
    .filter((d) => d.book_id === null)
    .map((d) => ({ code: 'NOT_FOUND', detail: `Book ${d.want_book} not found.`, book_id: d.want_book! }));
  const blockers = [...unknown, ...orderBlockers([...entryBlockers(diagnoses), ...(blocks ? patronBlockers(blocks, { copies: entries.length }) : [])])];
  return c.json({ eligible: blockers.length === 0, blockers }, 200);
};
