import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditPassed, d1Runner, INVARIANTS, readSchema, runAudit } from '../src/db/audit';
import { call, expectStatus, makeAdmin, makeBook, makeUser } from './helpers';

const audit = (options = {}) => runAudit(d1Runner(env.DB), options);
const verdictOf = async (name: string) => (await audit({ only: [name] }))[0]!;

/** Runs `tamper`, expects `name` to be violated, then `undo` restores a passing audit. */
async function expectCaught(name: string, tamper: string, undo: string) {
  await env.DB.prepare(tamper).run();
  try {
    const verdict = await verdictOf(name);
    expect(verdict.status, JSON.stringify(verdict)).toBe('violated');
    expect(verdict.violations.length).toBeGreaterThan(0);
  } finally {
    await env.DB.prepare(undo).run();
  }
  expect((await verdictOf(name)).status).toBe('ok');
}

describe('integrity audit', () => {
  let bookId: number;
  let memberId: number;
  let openLoanId: number;
  let adminToken: string;
  beforeAll(async () => {
    const admin = await makeAdmin();
    adminToken = admin.token;
    const member = await makeUser();
    memberId = member.id;
    const books = [];
    for (let i = 0; i < 6; i++) books.push(await makeBook(admin, i === 0 ? { title: 'Éclair "quoted" Straße' } : {}));
    bookId = books[0].id;
    const loan = await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [books[0].id, books[1].id] } }), 201);
    await expectStatus(await call('POST', `/loans/${loan.id}/return`, { token: member.token }), 200);
    openLoanId = (await expectStatus(await call('POST', '/loans', { token: member.token, body: { book_ids: [books[0].id] } }), 201)).id;
    await expectStatus(await call('PATCH', `/books/${books[2].id}`, { token: admin.token, body: { title: 'Renamed in the audit test' } }), 200);
    await expectStatus(await call('DELETE', `/books/${books[3].id}`, { token: admin.token }), 200);
  });

  it('passes on a consistent database, with every invariant run', async () => {
    const verdicts = await audit({ page: 2 }); // tiny pages: the paging itself is exercised
    expect(verdicts.map((v) => v.name)).toEqual(INVARIANTS.map((i) => i.name));
    // Every invariant this schema has tables for runs and holds; the others are skipped, saying why.
    expect(verdicts.filter((v) => v.status !== 'ok' && v.status !== 'skipped')).toEqual([]);
    for (const v of verdicts.filter((v) => v.status === 'skipped')) expect(v.note).toMatch(/^(not in this schema|replaced in this schema)/);
    const ran = verdicts.filter((v) => v.status === 'ok').map((v) => v.name);
    for (const name of ['counters.totals', 'books.readers', 'books_fts.content', 'books.title_key']) expect(ran).toContain(name);
    expect(auditPassed(verdicts)).toBe(true);
  });

  it('names the invariant a hand edit breaks', async () => {
    const schema = await readSchema(d1Runner(env.DB));
    await expectCaught('books.readers', `UPDATE books SET readers = readers + 1 WHERE id = ${bookId}`, `UPDATE books SET readers = readers - 1 WHERE id = ${bookId}`);
    await expectCaught('counters.totals', "UPDATE counters SET value = value + 1 WHERE name = 'books'", "UPDATE counters SET value = value - 1 WHERE name = 'books'");
    await expectCaught(
      'counters.loans_per_user',
      `UPDATE counters SET value = value + 1 WHERE name = 'loans:user:${memberId}'`,
      `UPDATE counters SET value = value - 1 WHERE name = 'loans:user:${memberId}'`,
    );
    if (schema.has('users', 'items_out')) {
      await expectCaught('users.items_out', `UPDATE users SET items_out = items_out + 1 WHERE id = ${memberId}`, `UPDATE users SET items_out = items_out - 1 WHERE id = ${memberId}`);
    }
    await expectCaught('counters.deleted_users', "INSERT INTO counters (name, value) VALUES ('loans:user:999999999999', 2)", "DELETE FROM counters WHERE name = 'loans:user:999999999999'");
    await expectCaught('books.title_key', `UPDATE books SET title_key = 'something else' WHERE id = ${bookId}`, `UPDATE books SET title_key = '${'éclair "quoted" strasse'}' WHERE id = ${bookId}`);
    if (schema.has('books', 'on_loan')) {
      // Part one: one copy per book, availability a flag.
      await expectCaught('books.on_loan', `UPDATE books SET on_loan = 0 WHERE id = ${bookId}`, `UPDATE books SET on_loan = 1 WHERE id = ${bookId}`);
      await expectCaught(
        'loan_books.active',
        `UPDATE loan_books SET active = 1 WHERE book_id = ${bookId + 1}`,
        `UPDATE loan_books SET active = 0 WHERE book_id = ${bookId + 1}`,
      );
    }
    if ((await env.DB.prepare("SELECT 1 FROM counters WHERE name = 'open_loans'").first()) !== null) {
      await expectCaught('counters.stats', "UPDATE counters SET value = value + 1 WHERE name = 'open_loans'", "UPDATE counters SET value = value - 1 WHERE name = 'open_loans'");
    }
    if (schema.has('account_balances')) {
      // Accounts and events: the balance row, and people an event names.
      await expectStatus(await call('POST', `/users/${memberId}/account/charges`, { token: adminToken, body: { amount_cents: 120, note: 'Audit test' } }), 201);
      await expectCaught(
        'accounts.balance',
        `UPDATE account_balances SET balance_cents = balance_cents + 1 WHERE user_id = ${memberId}`,
        `UPDATE account_balances SET balance_cents = balance_cents - 1 WHERE user_id = ${memberId}`,
      );
      // Events are append-only: the tampered row is anonymised afterwards (the one update allowed).
      await expectCaught(
        'events.people',
        "INSERT INTO events (at, action, user_id) VALUES ('2026-01-01T00:00:00.000Z', 'audit.test', 999999999999)",
        "UPDATE events SET user_id = NULL WHERE user_id = 999999999999",
      );
    }
    if (schema.has('copies')) {
      // Copies and holds: the copy's status, the book's counts, the loan's return date.
      await expectCaught('books.copy_counts', `UPDATE books SET available_copies = available_copies + 1 WHERE id = ${bookId}`, `UPDATE books SET available_copies = available_copies - 1 WHERE id = ${bookId}`);
      await expectCaught('counters.circulation', "UPDATE counters SET value = value + 1 WHERE name = 'copies'", "UPDATE counters SET value = value - 1 WHERE name = 'copies'");
      await expectCaught(
        'loans.copies_returned_with_loan',
        `UPDATE loans SET return_date = '2001-01-01' WHERE id = ${openLoanId}`,
        `UPDATE loans SET return_date = NULL WHERE id = ${openLoanId}`,
      );
      await expectCaught(
        'copies.on_loan',
        `UPDATE copies SET location = 'tampered', status = 'lost' WHERE id = (SELECT copy_id FROM loan_books WHERE loan_id = ${openLoanId} AND active = 1)`,
        `UPDATE copies SET location = NULL, status = 'on_loan' WHERE id = (SELECT copy_id FROM loan_books WHERE loan_id = ${openLoanId} AND active = 1)`,
      );
    }
  });

  it('catches a search index that lost a book or kept a stale title', async () => {
    const row = await env.DB.prepare('SELECT title, author, genre FROM books WHERE id = ?').bind(bookId).first<Record<string, string>>();
    const remove = env.DB.prepare("INSERT INTO books_fts (books_fts, rowid, title, author, genre) VALUES ('delete', ?, ?, ?, ?)").bind(bookId, row!.title, row!.author, row!.genre);
    const restore = env.DB.prepare('INSERT INTO books_fts (rowid, title, author, genre) VALUES (?, ?, ?, ?)').bind(bookId, row!.title, row!.author, row!.genre);
    await remove.run();
    try {
      const verdicts = await audit({ only: ['books_fts.rows', 'books_fts.content'] });
      expect(verdicts.map((v) => v.status)).toEqual(['violated', 'violated']);
    } finally {
      await restore.run();
    }
    expect(auditPassed(await audit({ only: ['books_fts.rows', 'books_fts.content'] }))).toBe(true);
  });

  it('skips an invariant whose table this schema does not have, and reports a failing check as an error', async () => {
    const withoutLoanBooks = async (statements: string[]) => {
      const results = await d1Runner(env.DB)(statements);
      return statements[0]!.includes('sqlite_master') ? results.map((rows) => rows.filter((row) => row.name !== 'loan_books')) : results;
    };
    const skipped = await runAudit(withoutLoanBooks, { only: ['books.readers', 'counters.totals'] });
    expect(skipped.map((v) => v.status)).toEqual(['ok', 'skipped']);
    expect(skipped[1]!.note).toContain('loan_books');
    expect(auditPassed(skipped)).toBe(true);

    const failing = await runAudit(async (statements) => {
      if (statements.some((s) => s.includes('FROM loan_books'))) throw new Error('boom');
      return d1Runner(env.DB)(statements);
    }, { only: ['books.readers', 'counters.totals'] });
    expect(failing.map((v) => v.status)).toEqual(['ok', 'error']);
    expect(auditPassed(failing)).toBe(false);
  });
});
