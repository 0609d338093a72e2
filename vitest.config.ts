import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig(async () => {
  // The same migrations folder that drizzle-kit writes and wrangler applies.
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          // A fresh random signing key per run: tests never depend on a known secret.
          bindings: { TEST_MIGRATIONS: migrations, JWT_SECRET: randomBytes(48).toString('base64url') },
        },
      }),
    ],
    test: {
      setupFiles: ['./test/setup.ts'],
      testTimeout: 30_000,
      // The Worker logs one JSON line per request; keep test output to failures and warnings.
      onConsoleLog: (log: string) => !log.includes('"msg":"request"'),
    },
  };
});
