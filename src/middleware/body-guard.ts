import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/problem';

export const MAX_BODY_BYTES = 64 * 1024;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json$/i;
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const limit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
  },
});

const hasBody = (req: Request) => req.body !== null && req.headers.get('content-length') !== '0';

/**
 * Every request body is JSON (else 415), at most 64 KiB (else 413) and well-formed (else 400),
 * checked once here so routes only ever see parsed JSON. A write without a body reaches
 * validation as `{}`.
 */
export const bodyGuard = () =>
  createMiddleware<AppEnv>(async function bodyGuard(c, next) {
    if (!METHODS_WITH_BODY.has(c.req.method) || !hasBody(c.req.raw)) return next();
    const mediaType = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim();
    if (!JSON_MEDIA_TYPE.test(mediaType)) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.');
    }
    return limit(c, async () => {
      try {
        await c.req.json(); // cached on the request: the validator reads the same parse
      } catch {
        throw new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.');
      }
      await next();
    });
  });
