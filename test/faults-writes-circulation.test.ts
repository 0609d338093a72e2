import { beforeAll } from 'vitest';
import { faultsOnWriteRoutes, type WriteRoute } from './fault-writes';
import { call, copiesOf, expectStatus, makeAdmin, makeUser, seedBook, type TestUser } from './helpers';

// The copies, holds and circulation write routes under D1 faults (the checks: test/fault-writes.ts).

let admin: TestUser;
const openLoan = async (member: TestUser, bookIds: number[]) =>
  expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: bookIds } }), 201);
/** A book whose only copy is out on someone else's loan: a hold on it waits. */
const bookOut = async () => {
  const bookId = await seedBook();
  await openLoan(await makeUser(), [bookId]);
  return bookId;
};

const ROUTES: WriteRoute[] = [
  {
    name: 'POST /books/{id}/copies',
    op: 'POST /books/{id}/copies',
    setup: async () => ({ spec: { method: 'POST', path: `/books/${await seedBook()}/copies`, token: admin.token, body: { location: 'Shelf Q7' } }, status: 201 }),
  },
  {
    name: 'PATCH /copies/{id}',
    op: 'PATCH /copies/{id}',
    setup: async () => {
      const [copy] = await copiesOf(await seedBook());
      return { spec: { method: 'PATCH', path: `/copies/${copy!.id}`, token: admin.token, body: { status: 'lost' } }, status: 200 };
    },
  },
  {
    name: 'DELETE /copies/{id}',
    op: 'DELETE /copies/{id}',
    setup: async () => {
      const [copy] = await copiesOf(await seedBook({}, 2));
      return { spec: { method: 'DELETE', path: `/copies/${copy!.id}`, token: admin.token }, status: 200 };
    },
  },
  {
    name: 'POST /loans (barcodes)',
    op: 'POST /loans',
    setup: async () => {
      const [copy] = await copiesOf(await seedBook());
      return { spec: { method: 'POST', path: '/loans', token: (await makeUser()).token, body: { barcodes: [copy!.barcode] } }, status: 201 };
    },
  },
  {
    name: 'PUT /loans/{loan_id}/add-copy/{barcode}',
    op: 'PUT /loans/{loan_id}/add-copy/{barcode}',
    setup: async () => {
      const member = await makeUser();
      const loan = await openLoan(member, [await seedBook()]);
      const [copy] = await copiesOf(await seedBook());
      return { spec: { method: 'PUT', path: `/loans/${loan.id}/add-copy/${copy!.barcode}`, token: member.token }, status: 200 };
    },
  },
  {
    name: 'POST /holds',
    op: 'POST /holds',
    setup: async () => ({ spec: { method: 'POST', path: '/holds', token: (await makeUser()).token, body: { book_id: await bookOut() } }, status: 201 }),
  },
  {
    name: 'DELETE /holds/{id}',
    op: 'DELETE /holds/{id}',
    setup: async () => {
      const member = await makeUser();
      const hold = await expectStatus(await call('POST', '/holds', { token: member.token, body: { book_id: await bookOut() } }), 201);
      return { spec: { method: 'DELETE', path: `/holds/${hold.id}`, token: member.token }, status: 200 };
    },
  },
  {
    name: 'POST /circulation/check-in (the copy goes to a waiting hold)',
    op: 'POST /circulation/check-in',
    setup: async () => {
      const bookId = await seedBook();
      await openLoan(await makeUser(), [bookId]);
      await expectStatus(await call('POST', '/holds', { token: (await makeUser()).token, body: { book_id: bookId } }), 201);
      const [copy] = await copiesOf(bookId);
      return { spec: { method: 'POST', path: '/circulation/check-in', token: admin.token, body: { barcode: copy!.barcode } }, status: 200 };
    },
  },
];

beforeAll(async () => {
  admin = await makeAdmin();
});

await faultsOnWriteRoutes(ROUTES);
