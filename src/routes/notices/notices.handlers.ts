import { count, desc, eq } from 'drizzle-orm';
import { notices } from '../../db/schema';
import { pageWindow, toPage } from '../../lib/paging';
import type { AppRouteHandler } from '../../lib/types';
import { batchAsCaller } from '../../middleware/auth';
import type * as routes from './notices.routes';

const noticeColumns = {
  id: notices.id,
  kind: notices.kind,
  created_at: notices.created_at,
  book_id: notices.book_id,
  loan_id: notices.loan_id,
  hold_id: notices.hold_id,
  message: notices.message,
};

/** The caller's notices by id descending (notices_user_idx), with the caller check in the same batch. */
export const listNotices: AppRouteHandler<typeof routes.listNotices> = async (c) => {
  const paging = c.req.valid('query');
  const { limit, offset } = pageWindow(paging);
  const db = c.var.db;
  const [, [rows, [total]]] = await batchAsCaller(
    c,
    (caller) =>
      [
        db.select(noticeColumns).from(notices).where(eq(notices.user_id, caller.id)).orderBy(desc(notices.id)).limit(limit).offset(offset),
        db.select({ value: count() }).from(notices).where(eq(notices.user_id, caller.id)),
      ] as const,
  );
  return c.json(toPage(c, rows, total?.value ?? 0, paging), 200);
};
