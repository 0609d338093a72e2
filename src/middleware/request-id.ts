import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';

const ACCEPTED_ID = /^[A-Za-z0-9._=-]{1,255}$/;

/** Echoes a well-formed incoming X-Request-Id (the contract's alphabet, 1–255 chars), else generates one. */
export const requestId = () =>
  createMiddleware<AppEnv>(async function requestId(c, next) {
    const incoming = c.req.header('X-Request-Id');
    const id = incoming && ACCEPTED_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  });
