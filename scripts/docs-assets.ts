// Run by `npm run dev`, `npm test`, `npm run deploy` and `npm run bench`: copies the API reference
// viewer (Scalar's single-file browser build, from the installed npm package) into static/, which
// wrangler serves as Workers static assets. /docs then loads it from the Worker's own origin, so the
// page works where third-party CDNs are blocked. static/ is generated, hence git-ignored.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const packageDir = join(root, 'node_modules', '@scalar', 'api-reference');
const source = join(packageDir, 'dist', 'browser', 'standalone.js');
const targetDir = join(root, 'static', 'docs', 'scalar');
const target = join(targetDir, 'standalone.js');

if (!existsSync(source)) {
  console.error('docs-assets: @scalar/api-reference is not installed; run `npm install` first.');
  process.exit(1);
}
const fresh = existsSync(target) && statSync(target).size === statSync(source).size && statSync(target).mtimeMs >= statSync(source).mtimeMs;
if (!fresh) {
  mkdirSync(targetDir, { recursive: true });
  copyFileSync(source, target);
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  console.log(`docs-assets: copied @scalar/api-reference ${version} (browser build) to static/docs/scalar/`);
}
