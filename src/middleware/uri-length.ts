import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/problem';

export const MAX_REQUEST_TARGET = 8192;

/** A request target (path and query, as sent) over 8,192 characters is 414, before any work. */
export const uriLength = () =>
  createMiddleware<AppEnv>(async function uriLength(c, next) {
    const url = c.req.url;
    // The target is everything after the authority: from the first "/" after "scheme://host".
    const target = url.slice(url.indexOf('/', url.indexOf('//') + 2));
    if (target.length > MAX_REQUEST_TARGET) {
      throw new ApiError(414, 'URI_TOO_LONG', `The request target exceeds ${MAX_REQUEST_TARGET} characters.`);
    }
    await next();
  });
