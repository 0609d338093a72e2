import { env } from 'cloudflare:workers';
import { it } from 'vitest';

const run = async (sql: string, ...b: unknown[]) => (await env.DB.prepare(sql).bind(...b).run()).meta.rows_read;
const triggersOn = async (table: string) =>
  (await env.DB.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?").bind(table).all<{ name: string; sql: string }>()).results;

async function fixture() {
  await env.DB.prepare("INSERT INTO users (first_name,last_name,email,password_hash) SELECT 'a','b','u'||value||'@x.y','h' FROM json_each('[1,2,3,4,5,6]')").run();
  await env.DB.prepare("INSERT INTO books (title, genre, age_category, publish_date, author) SELECT 'B'||value, 'F','Adult','2001-01-01','A' FROM json_each('[1,2,3,4,5,6,7,8,9,10]')").run();
  await env.DB.prepare("INSERT INTO copies (book_id) SELECT b.id FROM books b JOIN json_each('[1,2]') ORDER BY b.id").run();
  await env.DB.prepare("UPDATE circulation_context SET today = '2026-03-01', now = 'n', actor_id = NULL WHERE id = 1").run();
}

/** Runs `setup` then `stmt` with each trigger of `tables` dropped in turn (restored after), printing the rows each costs. */
async function attribute(label: string, tables: string[], setup: () => Promise<unknown>, stmt: () => Promise<number>, undo: () => Promise<unknown>) {
  await setup(); const base = await stmt(); await undo();
  console.log(`ATTR ${label}: total ${base}`);
  for (const table of tables) for (const t of await triggersOn(table)) {
    await env.DB.prepare(`DROP TRIGGER ${t.name}`).run();
    await setup(); const without = await stmt(); await undo();
    await env.DB.prepare(t.sql).run();
    if (base - without !== 0) console.log(`ATTR   ${table}.${t.name}: ${base - without}`);
  }
}

it('attribution', async () => {
  await fixture();
  const u0 = Number(await env.DB.prepare('SELECT min(id) AS m FROM users').first('m')) - 1;
  // A checkout's loan row and its copy.
  await attribute('insert loans', ['loans'], async () => {}, () => run(`INSERT INTO loans (user_id, loan_date, deadline) VALUES (${u0 + 1}, '2026-03-01', '2026-03-15')`), () => run('DELETE FROM loans WHERE id = (SELECT max(id) FROM loans)'));
  await run(`INSERT INTO loans (user_id, loan_date, deadline) VALUES (${u0 + 1}, '2026-03-01', '2026-03-15')`);
  await attribute('insert loan_books', ['loan_books', 'copies', 'holds', 'books'], async () => {}, () => run('INSERT INTO loan_books (loan_id, book_id, copy_id, active) VALUES ((SELECT max(id) FROM loans), 1, 1, 1)'), () => run('DELETE FROM loan_books WHERE id = (SELECT max(id) FROM loan_books)'));
  // Check-in of copy 1 with a waiting hold on book 1.
  await run('INSERT INTO loan_books (loan_id, book_id, copy_id, active) VALUES ((SELECT max(id) FROM loans), 1, 1, 1)');
  await run('INSERT INTO loan_books (loan_id, book_id, copy_id, active) VALUES ((SELECT max(id) FROM loans), 2, 3, 1)');
  await run(`INSERT INTO loans (user_id, loan_date, deadline) VALUES (${u0 + 2}, '2026-03-01', '2026-03-15')`);
  await run('INSERT INTO loan_books (loan_id, book_id, copy_id, active) VALUES ((SELECT max(id) FROM loans), 1, 2, 1)');
  await run(`INSERT INTO holds (user_id, book_id, status, placed_on) VALUES (${u0 + 3}, 1, 'waiting', '2026-03-01'), (${u0 + 4}, 1, 'waiting', '2026-03-01')`);
  const snapshot = async () => {};
  await attribute('check-in filling a hold', ['loan_books', 'copies', 'holds', 'books', 'loans'], snapshot,
    () => run("UPDATE loan_books SET active = 0, return_date = '2026-03-02' WHERE copy_id = 1 AND active = 1"),
    async () => {
      // Back to: copy 1 out on loan 1, holds waiting.
      await env.DB.batch([
        env.DB.prepare("UPDATE holds SET status = 'cancelled' WHERE status = 'ready'"),
        env.DB.prepare("UPDATE copies SET status = 'on_loan' WHERE id = 1"),
        env.DB.prepare("INSERT INTO holds (user_id, book_id, status, placed_on) SELECT 3 + (SELECT count(*) FROM holds) , 1, 'waiting', '2026-03-01' WHERE 0"),
        env.DB.prepare("UPDATE loan_books SET active = 1, return_date = NULL WHERE copy_id = 1 AND id = (SELECT max(id) FROM loan_books WHERE copy_id = 1)"),
        env.DB.prepare("UPDATE loans SET return_date = NULL WHERE id = (SELECT loan_id FROM loan_books WHERE copy_id = 1 ORDER BY id DESC LIMIT 1)"),
      ]);
    });
  await attribute('insert hold waiting', ['holds'], async () => {}, () => run(`INSERT INTO holds (user_id, book_id, status, placed_on) VALUES (${u0 + 5}, 2, 'waiting', '2026-03-01')`), () => run('DELETE FROM holds WHERE id = (SELECT max(id) FROM holds)'));
  console.log('ATTR seq ' + JSON.stringify((await env.DB.prepare('SELECT name FROM sqlite_sequence').all()).results.map((r) => r.name)));
});
