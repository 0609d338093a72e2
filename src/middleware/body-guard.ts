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

/**
 * The one route whose body is not JSON: a catalogue file for POST /books/import, in either of its
 * media types, up to 5 MiB (books.import.ts reads and checks the text itself).
 */
export const IMPORT_MAX_BYTES = 5 * 1024 * 1024;
const FILE_UPLOADS: Record<string, { mediaTypes: string[]; maxBytes: number }> = {
  'POST /books/import': { mediaTypes: ['text/csv', 'application/x-ndjson'], maxBytes: IMPORT_MAX_BYTES },
};

const fileLimits = new Map(
  Object.entries(FILE_UPLOADS).map(([route, { maxBytes }]) => [
    route,
    bodyLimit({
      maxSize: maxBytes,
      onError: () => {
        throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${maxBytes} bytes.`);
      },
    }),
  ]),
);

/** Only UTF-8 (the default when no charset is named). */
const utf8OrUnnamed = (contentType: string) => {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1];
  return charset === undefined || /^utf-?8$/i.test(charset);
};

/** The methods the app serves at a path (see routeTable in lib/create-app.ts). */
export type MethodsAt = (path: string) => string[];

const hasBody = (req: Request) => req.body !== null && req.headers.get('content-length') !== '0';

/**
 * Every request body is JSON (else 415), at most 64 KiB (else 413) and well-formed (else 400),
 * except a file upload (FILE_UPLOADS: its own media types and limit, the text left to the route),
 * checked once here so routes only ever see parsed JSON. An absent or empty body reads as `{}`,
 * whatever its Content-Type: routes then report missing fields, or accept it when nothing is required.
 */
export const bodyGuard = (methodsAt: MethodsAt) =>
  createMiddleware<AppEnv>(async function bodyGuard(c, next) {
    // A body sent to no route is not looked at: the answer is the 404 or 405.
    if (!METHODS_WITH_BODY.has(c.req.method) || !methodsAt(c.req.path).includes(c.req.method)) return next();
    const upload = FILE_UPLOADS[`${c.req.method} ${c.req.path}`];
    if (upload) {
      if (!hasBody(c.req.raw)) return next();
      const contentType = c.req.header('Content-Type') ?? '';
      const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
      if (!upload.mediaTypes.includes(mediaType) || !utf8OrUnnamed(contentType)) {
        throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `Send the file as ${upload.mediaTypes.join(' or ')}, in UTF-8.`);
      }
      return fileLimits.get(`${c.req.method} ${c.req.path}`)!(c, next);
    }
    if (!hasBody(c.req.raw)) {
      // Hono's json() parses the cached text, so this is what every validator reads.
      c.req.bodyCache.text = Promise.resolve('{}') as unknown as string;
      return next();
    }
    const mediaType = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim();
    if (!JSON_MEDIA_TYPE.test(mediaType)) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.');
    }
    return limit(c, async () => {
      try {
        await c.req.json(); // the text is cached on the request: validators read the same body
      } catch {
        throw new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.');
      }
      await next();
    });
  });
