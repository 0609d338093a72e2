import { defineConfig } from 'drizzle-kit';

// Generates flat migrations/NNNN_name.sql files that wrangler (`migrations_dir`)
// and the tests (`readD1Migrations`) read as they are.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './migrations',
});
