import { env } from 'cloudflare:workers';

/** Drops every table of this test file's database, so a migration test can start from an empty schema. */
export async function emptyDatabase() {
  const names = async (type: string) =>
    (
      await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
        .bind(type)
        .all<{ name: string }>()
    ).results.map((r) => r.name);
  await env.DB.prepare('DROP TABLE IF EXISTS books_fts').run();
  // Children before parents, so no drop trips a foreign key.
  const order = ['events', 'account_balances', 'account_entries', 'notices', 'holds', 'loan_books', 'copies', 'loans', 'books', 'users'];
  const tables = await names('table');
  for (const table of [...order.filter((t) => tables.includes(t)), ...tables.filter((t) => !order.includes(t))]) {
    await env.DB.prepare(`DROP TABLE IF EXISTS "${table}"`).run();
  }
  await env.DB.prepare('DELETE FROM sqlite_sequence').run();
}
