import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../src/routes/loans/loan-dates';
import { call, expectProblem, expectStatus, makeUser, rowCounts, seedBook, type TestUser } from './helpers';

// Racing requests come from different members wherever the per-user write limit (60/min) could bite.
const RACERS = 24;


const loanBookRows = (bookId: number) =>
  env.DB.prepare('SELECT loan_id, active FROM loan_books WHERE book_id = ?').bind(bookId).all<{ loan_id: number; active: number }>();

/** Splits responses by status; every loser must be the given 409 problem. */
async function settle(responses: Response[], winStatus: number, loserCode: string) {
  const winners = responses.filter((res) => res.status === winStatus);
  const losers = responses.filter((res) => res.status !== winStatus);
  for (const res of losers) await expectProblem(res, 409, loserCode);
  return { winners: await Promise.all(winners.map((res) => expectStatus(res, winStatus))), losers: losers.length };
}

const members: TestUser[] = [];
beforeAll(async () => {
  for (let i = 0; i < RACERS; i++) members.push(await makeUser());
});

describe('racing checkouts', () => {
  it('lets exactly one of many simultaneous checkouts of a book win; the rest are 409 and write nothing', async () => {
    const book = await seedBook();
    const before = await rowCounts();
    const responses = await Promise.all(members.map((member) => call('POST', '/loans', { token: member.token, body: { book_ids: [book] } })));
    const { winners, losers } = await settle(responses, 201, 'BOOK_UNAVAILABLE');
    expect(winners).toHaveLength(1);
    expect(losers).toBe(RACERS - 1);
    expect(winners[0].books).toEqual([expect.objectContaining({ id: book, available: false })]);
    expect((await loanBookRows(book)).results).toEqual([{ loan_id: winners[0].id, active: 1 }]);
    // No orphan loan rows from the losers.
    expect(await rowCounts()).toEqual({ loans: before!.loans + 1, loan_books: before!.loan_books + 1 });
  });

  it('keeps multi-book checkouts all-or-nothing when they overlap', async () => {
    const pool = [await seedBook(), await seedBook(), await seedBook(), await seedBook(), await seedBook()];
    const before = await rowCounts();
    // Member i asks for two neighbouring books of the pool, so every request overlaps two others.
    const requests = members.map((member, i) => [pool[i % pool.length]!, pool[(i + 1) % pool.length]!]);
    const responses = await Promise.all(
      members.map((member, i) => call('POST', '/loans', { token: member.token, body: { book_ids: requests[i] } })),
    );
    const { winners } = await settle(responses, 201, 'BOOK_UNAVAILABLE');
    expect(winners.length).toBeGreaterThanOrEqual(1);
    expect(winners.length).toBeLessThanOrEqual(2); // five books, two per loan
    for (const loan of winners) expect(loan.books).toHaveLength(2);
    for (const book of pool) {
      const active = (await loanBookRows(book)).results.filter((row) => row.active === 1);
      expect(active.length, `book ${book}`).toBeLessThanOrEqual(1);
    }
    expect(await rowCounts()).toEqual({ loans: before!.loans + winners.length, loan_books: before!.loan_books + 2 * winners.length });
  });
});

describe('racing add-book', () => {
  it('lets exactly one of many loans gain a book; the rest are 409 BOOK_UNAVAILABLE', async () => {
    const loans = await Promise.all(members.map(async (member) => expectStatus(await call('POST', '/loans', { token: member.token }), 201)));
    const book = await seedBook();
    const responses = await Promise.all(
      members.map((member, i) => call('PUT', `/loans/${loans[i].id}/add-book/${book}`, { token: member.token })),
    );
    const { winners, losers } = await settle(responses, 200, 'BOOK_UNAVAILABLE');
    expect(winners).toHaveLength(1);
    expect(losers).toBe(RACERS - 1);
    expect((await loanBookRows(book)).results).toEqual([{ loan_id: winners[0].loan.id, active: 1 }]);
    const { readers } = (await env.DB.prepare('SELECT readers FROM books WHERE id = ?').bind(book).first<{ readers: number }>())!;
    expect(readers).toBe(1);
  });

  it('races add-book against checkout of the same book: one wins', async () => {
    const [adder, borrower] = members;
    const loan = await expectStatus(await call('POST', '/loans', { token: adder!.token }), 201);
    const book = await seedBook();
    const responses = await Promise.all([
      call('PUT', `/loans/${loan.id}/add-book/${book}`, { token: adder!.token }),
      call('POST', '/loans', { token: borrower!.token, body: { book_ids: [book] } }),
    ]);
    expect(responses.filter((res) => res.status < 300)).toHaveLength(1);
    for (const res of responses.filter((res) => res.status >= 300)) await expectProblem(res, 409, 'BOOK_UNAVAILABLE');
    expect((await loanBookRows(book)).results.filter((row) => row.active === 1)).toHaveLength(1);
  });
});

describe('racing writes on one loan', () => {
  let owner: TestUser;
  beforeAll(async () => {
    owner = await makeUser();
  });

  it('lets racing renewals succeed at most twice', async () => {
    const loan = await expectStatus(await call('POST', '/loans', { token: owner.token }), 201);
    const responses = await Promise.all(Array.from({ length: 6 }, () => call('POST', `/loans/${loan.id}/renew`, { token: owner.token })));
    const { winners } = await settle(responses, 200, 'RENEWAL_LIMIT_REACHED');
    expect(winners.map((won) => won.renewals).sort()).toEqual([1, 2]);
    const stored = await env.DB.prepare('SELECT deadline, renewals FROM loans WHERE id = ?').bind(loan.id).first();
    expect(stored).toEqual({ deadline: addDays(loan.deadline, 28), renewals: 2 });
  });

  it('returns a loan once when returns race', async () => {
    const book = await seedBook();
    const loan = await expectStatus(await call('POST', '/loans', { token: owner.token, body: { book_ids: [book] } }), 201);
    const responses = await Promise.all(Array.from({ length: 5 }, () => call('POST', `/loans/${loan.id}/return`, { token: owner.token })));
    const { winners } = await settle(responses, 200, 'LOAN_RETURNED');
    expect(winners).toHaveLength(1);
    expect((await loanBookRows(book)).results).toEqual([{ loan_id: loan.id, active: 0 }]);
  });

  it('removes a book once when removals race, lowering its readers once', async () => {
    const book = await seedBook();
    const loan = await expectStatus(await call('POST', '/loans', { token: owner.token, body: { book_ids: [book] } }), 201);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => call('PUT', `/loans/${loan.id}/remove-book/${book}`, { token: owner.token })),
    );
    const { winners } = await settle(responses, 200, 'BOOK_NOT_ON_LOAN');
    expect(winners).toHaveLength(1);
    const state = await env.DB.prepare('SELECT readers, 1 - available_copies AS on_loan FROM books WHERE id = ?').bind(book).first();
    expect(state).toEqual({ readers: 0, on_loan: 0 });
  });
});
