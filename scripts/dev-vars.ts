// Run by `npm run dev`: creates .dev.vars with a random JWT_SECRET when there is none,
// so a fresh clone serves a fully working API. Never overwrites an existing file.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const path = join(import.meta.dirname, '..', '.dev.vars');
if (!existsSync(path)) {
  writeFileSync(path, `# Local secrets for wrangler dev; never commit.\nJWT_SECRET=${randomBytes(48).toString('base64url')}\n`, {
    mode: 0o600,
  });
  console.log('Created .dev.vars with a random JWT_SECRET for local development.');
}
