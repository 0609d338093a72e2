import { createRoute } from '@hono/zod-openapi';
import { etagResponseHeader as etagHeader, ifMatchHeader as ifMatch, ifNoneMatchHeader, notModifiedResponse } from '../../lib/conditional';
import { AUTH_PROBLEMS, BODY_PROBLEMS, bearer, json, jsonBody, problems } from '../../lib/openapi';
import { requireUser } from '../../middleware/auth';
import { policyBody, policyPatchBody, policySchema } from './policy.schemas';

const tags = ['Policy'];
const admin = requireUser('admin');

export const getPolicy = createRoute({
  method: 'get',
  path: '/policy',
  tags,
  summary: 'The circulation rules',
  description:
    'Anyone may read them. Carries `ETag`; `If-None-Match` naming the current version answers 304 with no body. ' +
    'Amounts are in cents of `currency`.',
  request: { headers: ifNoneMatchHeader },
  responses: {
    200: { ...json(policySchema, 'The policy'), headers: etagHeader },
    ...notModifiedResponse,
    ...problems([]),
  },
});

const writeDescription =
  'Rules are read when applied: a change affects later writes only (no deadline or `pickup_by` already set moves). ' +
  'Appends one `policy.changed` event. `currency` comes from configuration: a body may repeat it, another value is 400.';

export const replacePolicy = createRoute({
  method: 'put',
  path: '/policy',
  tags,
  summary: 'Replace the policy (admin)',
  description: `Every field but \`currency\` is required; use PATCH to change some. ${writeDescription}`,
  security: bearer,
  middleware: [admin] as const,
  request: { headers: ifMatch, body: jsonBody(policyBody) },
  responses: {
    200: { ...json(policySchema, 'The policy now'), headers: etagHeader },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 412]),
  },
});

export const patchPolicy = createRoute({
  method: 'patch',
  path: '/policy',
  tags,
  summary: 'Change some rules (admin)',
  description: `At least one field; the others keep their values. ${writeDescription}`,
  security: bearer,
  middleware: [admin] as const,
  request: { headers: ifMatch, body: jsonBody(policyPatchBody) },
  responses: {
    200: { ...json(policySchema, 'The policy now'), headers: etagHeader },
    ...problems([...AUTH_PROBLEMS, ...BODY_PROBLEMS, 403, 412]),
  },
});
