// A docsync context for src/microsoft tests on a fresh, fully migrated database.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../../../../src/config.ts';
import { createContext, type AppContext, type Clock } from '../../../../src/context.ts';
import { createTestDatabase } from '../../../support/databases.ts';
import type { DatabaseKind } from '../../../../src/db/database.ts';

export async function createMicrosoftTestContext(
  kind: DatabaseKind,
  options: { authorityHost?: string; graphBaseUrl?: string; clock?: Clock; log?: AppContext['log'] } = {},
): Promise<AppContext> {
  const database = await createTestDatabase(kind);
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
