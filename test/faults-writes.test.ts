import { beforeAll } from 'vitest';
import { faultsOnWriteRoutes, type WriteRoute } from './fault-writes';
import { call, expectStatus, makeAdmin, makeBook, makeUser, seedBook, type TestUser, uniqueEmail } from './helpers';

// The users, books and loans write routes under D1 faults (the checks: test/fault-writes.ts).

let admin: TestUser;
const openLoan = async (member: TestUser, bookIds: number[]) =>
  expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: bookIds } }), 201);

const ROUTES: WriteRoute[] = [
  {
    name: 'POST /users',
    op: 'POST /users',
    setup: async () => ({
      spec: { method: 'POST', path: '/users', body: { first_name: 'Faulty', last_name: 'Register', email: uniqueEmail('fault'), password: 'secret-password-1' } },
      status: 201,
    }),
  },
  {
    name: 'POST /users/login',
    op: 'POST /users/login',
    setup: async () => {
      const user = await makeUser();
      return { spec: { method: 'POST', path: '/users/login', body: { email: user.email, password: user.password } }, status: 200 };
    },
  },
  {
    name: 'PUT /users/profile',
    op: 'PUT /users/profile',
    setup: async () => ({ spec: { method: 'PUT', path: '/users/profile', token: (await makeUser()).token, body: { first_name: 'Zygmunt' } }, status: 200 }),
  },
  {
    name: 'DELETE /users',
    op: 'DELETE /users',
    setup: async () => ({ spec: { method: 'DELETE', path: '/users', token: (await makeUser()).token }, status: 200 }),
  },
  {
    name: 'PUT /users/{id}',
    op: 'PUT /users/{id}',
    setup: async () => ({ spec: { method: 'PUT', path: `/users/${(await makeUser()).id}`, token: admin.token, body: { last_name: 'Quixote' } }, status: 200 }),
  },
  {
    name: 'DELETE /users/{id}',
    op: 'DELETE /users/{id}',
    setup: async () => ({ spec: { method: 'DELETE', path: `/users/${(await makeUser()).id}`, token: admin.token }, status: 200 }),
  },
  {
    name: 'POST /books',
    op: 'POST /books',
    setup: async () => ({
      spec: {
        method: 'POST',
        path: '/books',
        token: admin.token,
        body: { title: `Faulty Towers ${crypto.randomUUID()}`, genre: 'Comedy', age_category: 'Adult', publish_date: '1975-09-19', author: 'Basil Fawlty' },
      },
      status: 201,
    }),
  },
  {
    name: 'PUT /books/{id}',
    op: 'PUT /books/{id}',
    setup: async () => ({
      spec: {
        method: 'PUT',
        path: `/books/${await seedBook()}`,
        token: admin.token,
        body: { title: `Replaced ${crypto.randomUUID()}`, genre: 'Drama', age_category: 'Adult', publish_date: '1999-01-01', author: 'Xanthippe Quill' },
      },
      status: 200,
    }),
  },
  {
    name: 'PATCH /books/{id}',
    op: 'PATCH /books/{id}',
    setup: async () => ({ spec: { method: 'PATCH', path: `/books/${(await makeBook(admin)).id}`, token: admin.token, body: { author: 'Ottoline Vex' } }, status: 200 }),
  },
  {
    name: 'DELETE /books/{id}',
    op: 'DELETE /books/{id}',
    setup: async () => ({ spec: { method: 'DELETE', path: `/books/${await seedBook()}`, token: admin.token }, status: 200 }),
  },
  {
    name: 'POST /loans',
    op: 'POST /loans',
    setup: async () => {
      const member = await makeUser();
      return { spec: { method: 'POST', path: '/loans', token: member.token, body: { book_ids: [await seedBook(), await seedBook()] } }, status: 201 };
    },
  },
  {
    name: 'PUT /loans/{id}/add-book/{book_id}',
    op: 'PUT /loans/{loan_id}/add-book/{book_id}',
    setup: async () => {
      const member = await makeUser();
      const loan = await openLoan(member, [await seedBook()]);
      return { spec: { method: 'PUT', path: `/loans/${loan.id}/add-book/${await seedBook()}`, token: member.token }, status: 200 };
    },
  },
  {
    name: 'PUT /loans/{id}/remove-book/{book_id}',
    op: 'PUT /loans/{loan_id}/remove-book/{book_id}',
    setup: async () => {
      const member = await makeUser();
      const second = await seedBook();
      const loan = await openLoan(member, [await seedBook(), second]);
      return { spec: { method: 'PUT', path: `/loans/${loan.id}/remove-book/${second}`, token: member.token }, status: 200 };
    },
  },
  {
    name: 'POST /loans/{id}/return',
    op: 'POST /loans/{id}/return',
    setup: async () => {
      const member = await makeUser();
      const loan = await openLoan(member, [await seedBook(), await seedBook()]);
      return { spec: { method: 'POST', path: `/loans/${loan.id}/return`, token: member.token }, status: 200 };
    },
  },
  {
    name: 'POST /loans/{id}/renew',
    op: 'POST /loans/{id}/renew',
    setup: async () => {
      const member = await makeUser();
      const loan = await openLoan(member, [await seedBook()]);
      return { spec: { method: 'POST', path: `/loans/${loan.id}/renew`, token: member.token }, status: 200 };
    },
  },
  {
    name: 'DELETE /loans/{id}',
    op: 'DELETE /loans/{id}',
    setup: async () => {
      const loan = await openLoan(await makeUser(), [await seedBook()]);
      return { spec: { method: 'DELETE', path: `/loans/${loan.id}`, token: admin.token }, status: 200 };
    },
  },
];

beforeAll(async () => {
  admin = await makeAdmin();
});

await faultsOnWriteRoutes(ROUTES);
