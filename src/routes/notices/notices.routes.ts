import { createRoute, z } from '@hono/zod-openapi';
import { NOTICE_KINDS } from '../../db/schema';
import { AUTH_PROBLEMS, bearer, pagedJson, problems } from '../../lib/openapi';
import { pageQuery, pageSchema } from '../../lib/paging';
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
  .openapi('Notice', {
    example: {
      id: 3,
      kind: 'hold_ready',
      created_at: '2026-03-04T10:15:00.000Z',
      book_id: 7,
      loan_id: null,
      hold_id: 5,
      message: 'Your hold on "Kindred" is ready: collect it by 2026-03-11.',
    },
  });

export const listNotices = createRoute({
  method: 'get',
  path: '/users/profile/notices',
  tags: ['Users'],
  summary: 'My notices',
  description:
    'What the library has told you, newest first: `hold_ready` when a hold of yours became ready, `hold_expired` when ' +
    'it expired uncollected, `due_soon` two days before a loan is due and `overdue` once it is past due (loan ' +
    'notices have `book_id` null). Each is written once; the daily job writes all but `hold_ready`.',
  security: bearer,
  middleware: [requireToken()] as const,
  request: { query: pageQuery },
  responses: { 200: pagedJson(pageSchema(noticeSchema, 'NoticePage'), 'A page of notices, newest first'), ...problems([...AUTH_PROBLEMS, 400]) },
});
