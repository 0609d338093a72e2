import { createRoute } from '@hono/zod-openapi';
import { AUTH_PROBLEMS, BODY_PROBLEMS, bearer, json, jsonBody, problems, noBody, pagedJson } from '../../lib/openapi';
import { idParams, messageSchema } from '../../lib/fields';
import { pageQuery } from '../../lib/paging';
import { requireToken, requireUser } from '../../middleware/auth';
import { adminUpdateBody, loginBody, profileUpdateBody, registerBody, tokenSchema, userPageSchema, userSchema } from './users.schemas';

const tags = ['Users'];
const member = requireUser();
const admin = requireUser('admin');
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
  request: { body: jsonBody(registerBody) },
  responses: {
    201: { ...json(userSchema, 'The new user; `Location` names it'), headers: { Location: { schema: { type: 'string' } } } },
    ...problems([...BODY_PROBLEMS, 401, 403, 409, 503], 'EMAIL_TAKEN'),
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

export const getProfile = createRoute({
  method: 'get',
  path: '/users/profile',
  tags,
  summary: 'Your profile',
  security: bearer,
  middleware: [member] as const,
  responses: { 200: json(userSchema, 'The caller'), ...problems(AUTH_PROBLEMS) },
});

export const updateProfile = createRoute({
  method: 'put',
  path: '/users/profile',
  tags,
  summary: 'Update your profile',
  description: 'Changes only the fields sent. `role` cannot be sent here.',
  security: bearer,
  middleware: [member] as const,
  request: { body: jsonBody(profileUpdateBody) },
  responses: { 200: json(userSchema, 'The updated caller'), ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 409], 'EMAIL_TAKEN') },
});

export const deleteSelf = createRoute({
  method: 'delete',
  path: '/users',
  tags,
  summary: 'Delete your account',
  description: 'Refused (409 HAS_ACTIVE_LOANS) while you have an active loan. Returned loans stay, anonymised.',
  security: bearer,
  middleware: [member] as const,
  request: { body: noBody },
  responses: { 200: json(messageSchema, 'Deleted'), ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 409], 'HAS_ACTIVE_LOANS') },
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
  request: { params: idParams },
  responses: { 200: json(userSchema, 'The user'), ...problems([...AUTH_PROBLEMS, 400, 403, 404]) },
});

export const updateUser = createRoute({
  method: 'put',
  path: '/users/{id}',
  tags,
  summary: 'Update a user (admin)',
  description: 'Changes only the fields sent, `role` included.',
  security: bearer,
  middleware: [admin] as const,
  request: { params: idParams, body: jsonBody(adminUpdateBody) },
  responses: { 200: json(userSchema, 'The updated user'), ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 404, 409], 'EMAIL_TAKEN') },
});

export const deleteUser = createRoute({
  method: 'delete',
  path: '/users/{id}',
  tags,
  summary: 'Delete a user (admin)',
  description: 'Refused (409 HAS_ACTIVE_LOANS) while the user has an active loan.',
  security: bearer,
  middleware: [admin] as const,
  request: { body: noBody, params: idParams },
  responses: { 200: json(messageSchema, 'Deleted'), ...problems([...BODY_PROBLEMS, ...AUTH_PROBLEMS, 400, 403, 404, 409], 'HAS_ACTIVE_LOANS') },
});
