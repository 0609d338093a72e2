import { Validator } from '@cfworker/json-schema';
import openApi31Schema from '@seriousme/openapi-schema-validator/schemas/v3.1/schema.json';
import { env, exports } from 'cloudflare:workers';
import { hc } from 'hono/client';
import { describe, expect, it } from 'vitest';
import app from '../src/app';
import { VIEWER_SCRIPT } from '../src/routes/docs';
import type { AppType } from '../src/index';
import { call, expectStatus, makeUser } from './helpers';

/** Routes that serve the documentation itself. */
const META_ROUTES = new Set(['GET /openapi.json', 'GET /docs']);

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 with bearer security and the problem schema', async () => {
    const doc = await expectStatus(await call('GET', '/openapi.json'), 200);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Library API');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.Problem.properties.code.enum).toContain('VALIDATION_FAILED');
  });

  it('validates against the official OpenAPI 3.1 schema', async () => {
    const doc = await expectStatus(await call('GET', '/openapi.json'), 200);
    // @cfworker/json-schema runs inside workerd (no code generation), unlike Ajv.
    const validator = new Validator(openApi31Schema as object, '2020-12', false);
    const result = validator.validate(doc);
    expect(result.errors.slice(0, 5)).toEqual([]);
    expect(result.valid).toBe(true);
    // The validator does reject a broken document: a response without its description.
    const broken = structuredClone(doc);
    delete broken.paths['/health'].get.responses['200'].description;
    expect(validator.validate(broken).valid).toBe(false);
  });

  it('publishes schemas that accept real requests and responses', async () => {
    const doc = await expectStatus(await call('GET', '/openapi.json'), 200);
    // Examples are data, but the validator would read an example's `id` as a schema id.
    const components = JSON.parse(JSON.stringify(doc.components), (key, value) => (key === 'example' ? undefined : value));
    const accepts = (name: string, value: unknown) => {
      const schema = { $ref: `#/components/schemas/${name}`, components };
      const result = new Validator(schema, '2020-12', false).validate(value);
      expect(result.errors.slice(0, 3), name).toEqual([]);
    };
    const registration = { first_name: 'Ada', last_name: 'Lovelace', email: 'ada.schema@example.org', password: 'correct horse', DOB: '1990-04-01' };
    accepts('RegisterUser', registration);
    accepts('User', await expectStatus(await call('POST', '/users', { body: registration }), 201));
    accepts('BookInput', { title: 'Dune', genre: 'Science fiction', age_category: 'Adult', publish_date: '1965-08-01', author: 'Frank Herbert' });
    // And rejects what validation rejects.
    const refused = new Validator({ $ref: '#/components/schemas/RegisterUser', components }, '2020-12', false);
    expect(refused.validate({ ...registration, first_name: 'Gr\u0007ace' }).valid).toBe(false);
  });

  it('documents every registered route, its parameters, responses and security', async () => {
    const doc = await expectStatus(await call('GET', '/openapi.json'), 200);
    const registered = app.routes.filter((route) => route.method !== 'ALL' && !META_ROUTES.has(`${route.method} ${route.path}`));
    expect(registered.length).toBeGreaterThan(8);
    for (const route of registered) {
      const name = `${route.method} ${route.path}`;
      const operation = doc.paths[toOpenApiPath(route.path)]?.[route.method.toLowerCase()];
      expect(operation, `${name} is not in the OpenAPI document`).toBeDefined();
      expect(operation.summary, `${name} has no summary`).toBeTruthy();
      expect(Object.keys(operation.responses).some((status) => status.startsWith('2')), `${name} documents no success`).toBe(true);
      expect(operation.responses['429'], `${name} does not document 429`).toBeDefined();
      for (const param of route.path.match(/:(\w+)/g) ?? []) {
        const documented = (operation.parameters ?? []).some((p: { in: string; name: string }) => p.in === 'path' && p.name === param.slice(1));
        expect(documented, `${name} does not document ${param}`).toBe(true);
      }
      if (operation.responses['401'] && route.path !== '/users/login' && !(route.method === 'POST' && route.path === '/users')) {
        expect(operation.security, `${name} answers 401 but declares no security`).toEqual([{ bearerAuth: [] }]);
      }
    }
  });

  it('documents 503 SERVICE_UNAVAILABLE with Retry-After on every operation (the database can fail under any route)', async () => {
    const doc = await expectStatus(await call('GET', '/openapi.json'), 200);
    for (const [path, operations] of Object.entries<Record<string, { responses: Record<string, any> }>>(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const unavailable = operation.responses['503'];
        expect(unavailable, `${method} ${path}`).toBeDefined();
        expect(unavailable.description).toContain('SERVICE_UNAVAILABLE');
        expect(unavailable.headers?.['Retry-After'], `${method} ${path}`).toBeDefined();
      }
    }
  });

  it('every documented operation is served', async () => {
    const doc = await expectStatus(await call('GET', '/openapi.json'), 200);
    const served = new Set(app.routes.map((route) => `${route.method} ${toOpenApiPath(route.path)}`));
    for (const [path, operations] of Object.entries<Record<string, unknown>>(doc.paths)) {
      for (const method of Object.keys(operations)) expect(served.has(`${method.toUpperCase()} ${path}`), `${method} ${path}`).toBe(true);
    }
  });
});

describe('GET /docs', () => {
  it('serves an interactive reference for the document', async () => {
    const res = await call('GET', '/docs');
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/html');
    expect(html).toContain('/openapi.json');
  });

  it('references only same-origin scripts, and no other third-party resource', async () => {
    const html = await (await call('GET', '/docs')).text();
    const sources = [...html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']?([^"' >]+)/gi)].map((m) => m[1]!);
    expect(sources).toEqual([VIEWER_SCRIPT]);
    for (const src of sources) expect(src).toMatch(/^\/(?!\/)/); // a path on this origin, not //host
    // No absolute URL at all: no CDN script, stylesheet, font or image.
    expect(html).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(html).not.toMatch(/<link\b/i);
  });

  it('the viewer script is served as a static asset from this Worker', async () => {
    const res = await env.ASSETS!.fetch(`http://library.test${VIEWER_SCRIPT}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/javascript/);
    const script = await res.text();
    expect(script.length).toBeGreaterThan(100_000);
    expect(script).toContain('createApiReference');
  });
});

describe('typed client (hc<AppType>)', () => {
  it('calls the API with types derived from the routes', async () => {
    const client = hc<AppType>('http://library.test', {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(new Request(input, init)),
      headers: { 'CF-Connecting-IP': '192.0.2.200' },
    });
    const health = await client.health.$get();
    expect(await health.json()).toEqual({ status: 'ok' });
    const user = await makeUser();
    const profile = await client.users.profile.$get({ header: {} }, { headers: { Authorization: `Bearer ${user.token}` } });
    if (profile.status !== 200) throw new Error(`profile answered ${profile.status}`);
    const me = await profile.json();
    expect(me.email).toBe(user.email);
  });
});
