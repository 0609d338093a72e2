import { Hono } from 'hono';
import type { AppEnv } from '../../env';

/**
 * Where the viewer's script is served from: a Workers static asset (wrangler.toml `[assets]`),
 * copied from the @scalar/api-reference npm package by scripts/docs-assets.ts. Same origin, so the
 * page needs no third-party request (no CDN, and no web fonts: the browser's own fonts are used).
 */
export const VIEWER_SCRIPT = '/docs/scalar/standalone.js';

// No web fonts, telemetry, AI agent or hosted developer tools: nothing that reaches another origin.
const viewerConfig = {
  url: '/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never',
  hideClientButton: true,
};

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Library API reference</title>
  </head>
  <body>
    <div id="app"><noscript>The interactive reference needs JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript></div>
    <script src="${VIEWER_SCRIPT}"></script>
    <script>Scalar.createApiReference('#app', ${JSON.stringify(viewerConfig)});</script>
  </body>
</html>
`;

/** `GET /docs`: the interactive reference for /openapi.json. */
export const docsRouter = new Hono<AppEnv>({ strict: true }).get('/docs', (c) => c.html(page));
