import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { queryInt } from './fields';

/** The one paging module every list uses (contract, "Pages"). */

/** Any page a client can name whose offset JavaScript still counts exactly; pages past the end are empty. */
export const MAX_PAGE = Math.floor(Number.MAX_SAFE_INTEGER / 100);
export const pageQuery = z.object({
  page: queryInt('page', MAX_PAGE, 1),
  per_page: queryInt('per_page', 100, 20),
});
export type PageQuery = z.output<typeof pageQuery>;

export const pageWindow = ({ page, per_page }: PageQuery) => ({ limit: per_page, offset: (page - 1) * per_page });

export const pageSchema = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      items: z.array(item),
      page: z.number().int(),
      per_page: z.number().int(),
      total: z.number().int(),
      pages: z.number().int(),
      has_next: z.boolean(),
      has_prev: z.boolean(),
    })
    .openapi(name);

export interface Page<T> {
  items: T[];
  page: number;
  per_page: number;
  total: number;
  pages: number;
  has_next: boolean;
  has_prev: boolean;
}

/** Validated query values a page's links carry besides paging (filters, search terms). */
export type LinkParams = Record<string, string | number | undefined>;

/**
 * Builds the envelope and sets X-Total-Count and an RFC 8288 Link header (first, prev, next, last).
 * Links carry only validated parameters (`page`, `per_page` and the route's own `filters`, as
 * validation left them): an unknown query parameter is ignored, so it is never echoed into a header.
 */
export function toPage<T>(c: Context, items: T[], total: number, { page, per_page }: PageQuery, filters: LinkParams = {}): Page<T> {
  const pages = Math.max(1, Math.ceil(total / per_page));
  const link = (target: number, rel: string) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(filters)) if (value !== undefined) params.set(name, String(value));
    params.set('page', String(target));
    params.set('per_page', String(per_page));
    return `<${c.req.path}?${params}>; rel="${rel}"`;
  };
  const links = [link(1, 'first')];
  if (page > 1) links.push(link(Math.min(page - 1, pages), 'prev'));
  if (page < pages) links.push(link(page + 1, 'next'));
  links.push(link(pages, 'last'));
  c.header('X-Total-Count', String(total));
  c.header('Link', links.join(', '));
  return { items, page, per_page, total, pages, has_next: page < pages, has_prev: page > 1 };
}
