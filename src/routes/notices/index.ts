import { createRoute, z } from '@hono/zod-openapi';
import { desc, eq, count } from 'drizzle-orm';
import { NOTICE_KINDS, notices } from '../../db/schema';
import { createRouter } from '../../lib/create-app';
import { AUTH_PROBLEMS, bearer, pagedJson, problems } from '../../lib/openapi';
import { pageQuery, pageSchema, pageWindow, toPage } from '../../lib/paging';
import { batchAsCaller } from '../../middleware/auth';
import { requireToken } from '../../middleware/auth';

export const noticeSchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(NOTICE_KINDS),
    created_at: z.string().openapi({ description: 'ISO 8601 UTC timestamp.' }),
    book_id: z.number().int().nullable(),
    loan_id: z.number().int().nullable(),
    hold_id: z.number().int().nullable(),
    message: z.string(),
  })
  .openapi('Notice');

const listNotices = createRoute({
  method: 'get',
  path: '/users/profile/notices',
  tags: ['Users'],
  summary: 'My notices',
  description: 'What the library has told you, newest first: `hold_ready` when a hold of yours became ready (more kinds to come).',
  security: bearer,
  middleware: [requireToken()] as const,
  request: { query: pageQuery },
  responses: { 200: pagedJson(pageSchema(noticeSchema, 'NoticePage'), 'A page of notices, newest first'), ...problems([...AUTH_PROBLEMS, 400]) },
});

const noticeColumns = {
  id: notices.id,
  kind: notices.kind,
  created_at: notices.created_at,
  book_id: notices.book_id,
  loan_id: notices.loan_id,
  hold_id: notices.hold_id,
  message: notices.message,
};

export const noticesRouter = createRouter().openapi(listNotices, async (c) => {
  const paging = c.req.valid('query');
  const { limit, offset } = pageWindow(paging);
  const db = c.var.db;
  const [, [rows, [total]]] = await batchAsCaller(c, (caller) => [
    db.select(noticeColumns).from(notices).where(eq(notices.user_id, caller.id)).orderBy(desc(notices.id)).limit(limit).offset(offset),
    db.select({ value: count() }).from(notices).where(eq(notices.user_id, caller.id)),
  ] as const);
  return c.json(toPage(c, rows, total?.value ?? 0, paging), 200);
});
