// A docsync context for src/microsoft tests, migrated up to (and including) the Microsoft
// migrations only: these tests need nothing newer, and stay green while other areas'
// migrations are being written.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../../../../src/config.ts';
import { createContext, type AppContext, type Clock } from '../../../../src/context.ts';
import { createMigrator } from '../../../../src/db/migrate.ts';
import { createTestDatabase } from '../../../support/databases.ts';
import type { DatabaseKind } from '../../../../src/db/database.ts';

const LAST_MICROSOFT_MIGRATION = '2026-11-23T0200_integration_secret_reminders';

export async function createMicrosoftTestContext(
  kind: DatabaseKind,
  options: { authorityHost?: string; graphBaseUrl?: string; clock?: Clock; log?: AppContext['log'] } = {},
): Promise<AppContext> {
  const database = await createTestDatabase(kind, { migrate: false });
  const { error } = await createMigrator(database.db).migrateTo(LAST_MICROSOFT_MIGRATION);
  if (error) throw error;
  const config = loadConfig({
    env: { DOCSYNC_ENV: 'test' },
    overrides: {
      database: { url: database.url, dataDir: 'memory://' },
      secrets: { encryptionKey: randomBytes(32).toString('base64') },
      microsoft: {
        authorityHost: options.authorityHost ?? 'https://login.microsoftonline.com',
        graphBaseUrl: options.graphBaseUrl ?? 'https://graph.microsoft.com',
      },
    },
  });
  return createContext(config, { log: options.log ?? pino({ level: 'silent' }), database, ...(options.clock ? { clock: options.clock } : {}) });
}
