import { beforeAll } from 'vitest';
import { faultsOnWriteRoutes, type WriteRoute } from './fault-writes';
import { call, expectStatus, makeAdmin, makeUser, type TestUser } from './helpers';

// The policy and account write routes under D1 faults (the checks: test/fault-writes.ts).

let admin: TestUser;
/** A patron who owes `cents`. */
const owing = async (cents: number) => {
  const patron = await makeUser();
  await expectStatus(await call('POST', `/users/${patron.id}/account/charges`, { token: admin.token, body: { amount_cents: cents, note: 'Torn page' } }), 201);
  return patron;
};

const ROUTES: WriteRoute[] = [
  {
    name: 'PATCH /policy',
    op: 'PATCH /policy',
    setup: async () => ({ spec: { method: 'PATCH', path: '/policy', token: admin.token, body: { max_holds: 5 } }, status: 200 }),
  },
  {
    name: 'POST /users/{id}/account/charges',
    op: 'POST /users/{id}/account/charges',
    setup: async () => ({
      spec: { method: 'POST', path: `/users/${(await makeUser()).id}/account/charges`, token: admin.token, body: { amount_cents: 250, note: 'Water damage' } },
      status: 201,
    }),
  },
  {
    name: 'POST /users/{id}/account/payments',
    op: 'POST /users/{id}/account/payments',
    setup: async () => ({
      spec: { method: 'POST', path: `/users/${(await owing(400)).id}/account/payments`, token: admin.token, body: { amount_cents: 150, note: 'Paid at the desk' } },
      status: 201,
    }),
  },
  {
    name: 'POST /users/{id}/account/waivers',
    op: 'POST /users/{id}/account/waivers',
    setup: async () => ({
      spec: { method: 'POST', path: `/users/${(await owing(300)).id}/account/waivers`, token: admin.token, body: { amount_cents: 300 } },
      status: 201,
    }),
  },
];

beforeAll(async () => {
  admin = await makeAdmin();
});

await faultsOnWriteRoutes(ROUTES);
