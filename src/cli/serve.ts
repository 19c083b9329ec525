import closeWithGrace from 'close-with-grace';
import { loadConfig, publicBaseUrl } from '../config.ts';
import { createContext } from '../context.ts';
import { buildApp } from '../app.ts';
import { firstRunSetupLink } from '../auth/accounts.ts';
import { migrateToLatest, pendingMigrations } from '../db/migrate.ts';
import { integerFlag, parseCommandArgs } from './args.ts';

export async function serve(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { host: { type: 'string' }, port: { type: 'string' } });
  const config = loadConfig({
    overrides: { http: { host: values.host, port: values.port === undefined ? undefined : integerFlag('port', values.port, 0, 0, 65535) } },
  });
  const ctx = await createContext(config);
  if (ctx.database.kind === 'pglite') {
    // The embedded database belongs to this one process: it is safe to migrate here.
    const { applied } = await migrateToLatest(ctx.database.db);
    if (applied.length > 0) ctx.log.info({ applied }, 'migrations applied');
  } else {
    const pending = await pendingMigrations(ctx.database.db);
    if (pending.length > 0)
      ctx.log.warn({ pending }, 'the database schema is behind: run `docsync migrate`; /readyz reports not ready until then');
  }
  const app = await buildApp(ctx);
  await app.listen({ host: config.http.host, port: config.http.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  ctx.log.info({ url: publicBaseUrl(config, port), database: ctx.database.description }, 'docsync is serving');
  const setupLink = await firstRunSetupLink(ctx, publicBaseUrl(config, port));
  if (setupLink)
    process.stdout.write(
      `No technician account exists yet. Create the first administrator (one-time link, valid 24 hours):\n  ${setupLink}\n`,
    );

  await new Promise<void>((resolve) => {
    closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
      if (err) ctx.log.error({ err }, 'shutting down after an error');
      else ctx.log.info({ signal }, 'shutting down');
      await app.close();
      await ctx.close();
      resolve();
    });
  });
  return 0;
}
