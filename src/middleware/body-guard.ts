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

/** The methods the app serves at a path (see routeTable in lib/create-app.ts). */
export type MethodsAt = (path: string) => string[];

const unsupported = () => new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json (UTF-8).');
const malformed = (detail = 'The request body is not valid JSON.') => new ApiError(400, 'MALFORMED_JSON', detail);

/**
 * A JSON media type whose charset, if any, is UTF-8 (RFC 8259 §8.1: JSON between systems is UTF-8).
 * Parameters follow RFC 9110 §5.6.6: `;` with optional whitespace around it, empty ones allowed
 * (`application/json;`), names and the charset value case-insensitive, values possibly quoted.
 */
function isUtf8Of(contentType: string | undefined, accepts: (mediaType: string) => boolean): boolean {
  const [mediaType = '', ...parameters] = (contentType ?? '').split(';');
  if (!accepts(mediaType.trim().toLowerCase())) return false;
  for (const parameter of parameters.map((p) => p.trim()).filter(Boolean)) {
    const match = /^([!#$%&'*+.^_`|~\w-]+)=("(?:[^"\\]|\\.)*"|[!#$%&'*+.^_`|~\w-]+)$/.exec(parameter);
    if (!match) return false;
    const value = match[2]!.startsWith('"') ? match[2]!.slice(1, -1).replace(/\\(.)/g, '$1') : match[2]!;
    if (match[1]!.toLowerCase() === 'charset' && value.toLowerCase() !== 'utf-8') return false;
  }
  return true;
}

const isUtf8Json = (contentType: string | undefined) => isUtf8Of(contentType, (mediaType) => JSON_MEDIA_TYPE.test(mediaType));

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Every request body is JSON in UTF-8 (else 415), at most 64 KiB (else 413) and well-formed (else
 * 400), checked once here so routes only ever see parsed JSON. A body of zero bytes is no body,
 * however it is framed (Content-Length: 0, or chunked with no data): it reads as `{}` whatever
 * its Content-Type, and routes then report missing fields, or accept it when nothing is required.
 *
 * What passes is handed on as a plain `application/json` request with its text cached, so every
 * validator downstream (zod-openapi's media-type gate included) sees the same accepted body.
 *
 * A file upload (FILE_UPLOADS) is the exception: its own media types (UTF-8) and size limit, and
 * its text is left to the route.
 */
export const bodyGuard = (methodsAt: MethodsAt) =>
  createMiddleware<AppEnv>(async function bodyGuard(c, next) {
    // A body sent to no route is not looked at: the answer is the 404 or 405.
    if (!METHODS_WITH_BODY.has(c.req.method) || !methodsAt(c.req.path).includes(c.req.method)) return next();
    const upload = FILE_UPLOADS[`${c.req.method} ${c.req.path}`];
    if (upload) {
      if (!isUtf8Of(c.req.header('Content-Type'), (mediaType) => upload.mediaTypes.includes(mediaType))) {
        throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `Send the file as ${upload.mediaTypes.join(' or ')}, in UTF-8.`);
      }
      return fileLimits.get(`${c.req.method} ${c.req.path}`)!(c, next);
    }
    return limit(c, async () => {
      const bytes = c.req.raw.body === null ? new Uint8Array() : new Uint8Array(await c.req.raw.arrayBuffer());
      let text = '{}';
      if (bytes.byteLength > 0) {
        if (!isUtf8Json(c.req.header('Content-Type'))) throw unsupported();
        try {
          text = utf8.decode(bytes);
        } catch {
          throw malformed('The request body is not valid UTF-8.');
        }
        try {
          JSON.parse(text);
        } catch {
          throw malformed();
        }
      }
      const headers = new Headers(c.req.raw.headers);
      headers.set('Content-Type', 'application/json');
      headers.delete('Content-Length');
      headers.delete('Transfer-Encoding');
      c.req.raw = new Request(c.req.raw, { headers, body: text });
      // Hono's json() parses the cached text, so this is what every validator reads.
      c.req.bodyCache = { text: Promise.resolve(text) as unknown as string };
      await next();
    });
  });
