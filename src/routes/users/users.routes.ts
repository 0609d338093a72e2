import { createRoute } from '@hono/zod-openapi';
import { AUTH_PROBLEMS, BODY_PROBLEMS, bearer, json, jsonBody, problems, noBody, pagedJson } from '../../lib/openapi';
import { idParams, messageSchema } from '../../lib/fields';
import { etagResponseHeader, ifMatchHeader, ifNoneMatchHeader, notModifiedResponse } from '../../lib/conditional';
import { idempotencyKeyHeader, replayedResponseHeader } from '../../lib/idempotency';
import { pageQuery } from '../../lib/paging';
import { requireToken, requireUser } from '../../middleware/auth';
import { adminUpdateBody, loginBody, profileUpdateBody, registerBody, tokenSchema, userPageSchema, userSchema } from './users.schemas';

const tags = ['Users'];
const admin = requireUser('admin');
/** Profile reads and writes check the caller inside their one D1 round trip (lib/caller.ts). */
const self = requireToken();
/** Admin reads check the role inside their own batch (one D1 round trip): see batchAsCaller. */
const adminRead = requireToken();

export const register = createRoute({
  method: 'post',
  path: '/users',
  tags,
  summary: 'Register',
  description:
    'Anyone may register as a `member`. Only an admin (bearer token) may send another `role`; anyone else gets 403. ' +
    'Rate limited to 10 per 60 s per IP.',
  // The token is optional: only an admin's lets `role` be other than member.
  security: [{}, ...bearer],
  request: { body: jsonBody(registerBody), headers: idempotencyKeyHeader },
  responses: {
    201: {
      ...json(userSchema, 'The new user; `Location` names it'),
      headers: { Location: { schema: { type: 'string' } }, ...etagResponseHeader, ...replayedResponseHeader },
    },
    ...problems([...BODY_PROBLEMS, 401, 403, 409, 422, 503], 'EMAIL_TAKEN'),
  },
});

export const login = createRoute({
  method: 'post',
  path: '/users/login',
  tags,
  summary: 'Log in',
  description: 'Exchanges email and password for a one-hour HS256 token. Rate limited to 5 per 60 s per IP.',
  request: { body: jsonBody(loginBody) },
  responses: {
    200: {
      ...json(tokenSchema, 'A bearer token'),
      headers: {
        'Cache-Control': { schema: { type: 'string' as const, const: 'no-store' }, description: 'A credential: no cache may keep it (RFC 6749 §5.1).' },
        Pragma: { schema: { type: 'string' as const, const: 'no-cache' }, description: 'The same, for HTTP/1.0 caches.' },
      },
    },
    ...problems([...BODY_PROBLEMS, 401, 503]),
  },
});

export const logout = createRoute({
  method: 'post',
  path: '/users/logout',
  tags,
  summary: 'Sign out everywhere',
  description:
    'Retires every token issued to your account so far, this one included (on every device); later requests ' +
    'with them are 401. Log in again for a new token. A repeat with the same `Idempotency-Key` (a retry after a ' +
    'lost answer) replays the 200; without one, a repeat finds the token retired (401).',
  security: bearer,
  middleware: [self] as const,
  request: { body: noBody, headers: idempotencyKeyHeader },
  responses: {
    200: { ...json(messageSchema, 'Signed out'), headers: replayedResponseHeader },
    ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 422]),
  },
});

export const getProfile = createRoute({
  method: 'get',
  path: '/users/profile',
  tags,
  summary: 'Your profile',
  security: bearer,
  middleware: [self] as const,
  request: { headers: ifNoneMatchHeader },
  responses: { 200: { ...json(userSchema, 'The caller'), headers: etagResponseHeader }, ...notModifiedResponse, ...problems(AUTH_PROBLEMS) },
});

export const updateProfile = createRoute({
  method: 'put',
  path: '/users/profile',
  tags,
  summary: 'Update your profile',
  description: 'Changes only the fields sent. `role` cannot be sent here. A new password retires every token issued before it.',
  security: bearer,
  middleware: [self] as const,
  request: { body: jsonBody(profileUpdateBody), headers: ifMatchHeader },
  responses: {
    200: { ...json(userSchema, 'The updated caller'), headers: etagResponseHeader },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 409, 412], 'EMAIL_TAKEN'),
  },
});

export const deleteSelf = createRoute({
  method: 'delete',
  path: '/users',
  tags,
  summary: 'Delete your account',
  description:
    'Refused (409 HAS_ACTIVE_LOANS) while you have an active loan, (409 BALANCE_OUTSTANDING) while your account ' +
    'balance is above 0, and (409 LAST_ADMIN) when you are the last admin. Returned loans and account entries stay, ' +
    'anonymised; events lose your id.',
  security: bearer,
  middleware: [requireUser()] as const,
  request: { body: noBody },
  responses: {
    200: json(messageSchema, 'Deleted'),
    ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 409], 'HAS_ACTIVE_LOANS, BALANCE_OUTSTANDING, LAST_ADMIN'),
  },
});

export const listUsers = createRoute({
  method: 'get',
  path: '/users',
  tags,
  summary: 'List users (admin)',
  security: bearer,
  middleware: [adminRead] as const,
  request: { query: pageQuery },
  responses: { 200: pagedJson(userPageSchema, 'A page of users, by id'), ...problems([...AUTH_PROBLEMS, 400, 403]) },
});

export const getUser = createRoute({
  method: 'get',
  path: '/users/{id}',
  tags,
  summary: 'Read a user (admin)',
  security: bearer,
  middleware: [adminRead] as const,
  request: { params: idParams, headers: ifNoneMatchHeader },
  responses: {
    200: { ...json(userSchema, 'The user'), headers: etagResponseHeader },
    ...notModifiedResponse,
    ...problems([...AUTH_PROBLEMS, 400, 403, 404]),
  },
});

export const updateUser = createRoute({
  method: 'put',
  path: '/users/{id}',
  tags,
  summary: 'Update a user (admin)',
  description: 'Changes only the fields sent, `role` included. A change of role appends `user.role_changed`; demoting the last admin is refused (409 LAST_ADMIN).',
  security: bearer,
  middleware: [admin] as const,
  request: { params: idParams, body: jsonBody(adminUpdateBody), headers: ifMatchHeader },
  responses: {
    200: { ...json(userSchema, 'The updated user'), headers: etagResponseHeader },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409, 412], 'EMAIL_TAKEN, LAST_ADMIN'),
  },
});

export const deleteUser = createRoute({
  method: 'delete',
  path: '/users/{id}',
  tags,
  summary: 'Delete a user (admin)',
  description:
    'Refused (409 HAS_ACTIVE_LOANS) while the user has an active loan, (409 BALANCE_OUTSTANDING) while their balance ' +
    'is above 0, and (409 LAST_ADMIN) for the last admin. Appends `user.deleted` (with no `user_id`: the user is gone, ' +
    'and their events lose it too).',
  security: bearer,
  middleware: [admin] as const,
  request: { body: noBody, params: idParams, headers: ifMatchHeader },
  responses: {
    200: json(messageSchema, 'Deleted'),
    ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 403, 404, 409, 412], 'HAS_ACTIVE_LOANS, BALANCE_OUTSTANDING, LAST_ADMIN'),
  },
});
