import app from './app';
import type { Bindings } from './env';
import { scheduled } from './jobs/daily';

export type { AppType } from './app';

/** HTTP requests go to the Hono app; the Cron Trigger (wrangler.toml `[triggers]`) to the daily job. */
export default {
  fetch: app.fetch,
  scheduled,
} satisfies ExportedHandler<Bindings>;
