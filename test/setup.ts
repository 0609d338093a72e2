import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// Setup files run before each test file; applying is idempotent.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Storage is per test file, but rate-limit state is shared by all of them and authenticated
// writes are limited per user id. Start each file's user ids at a random offset so two files'
// "user 1" never share a write budget.
await env.DB.prepare(
  "INSERT INTO sqlite_sequence (name, seq) SELECT 'users', ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'users')",
)
  .bind(Math.floor(Math.random() * 1_000_000_000))
  .run();
