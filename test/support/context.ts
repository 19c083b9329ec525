import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig, type DeepPartial, type ConfigSchema } from '../../src/config.ts';
import { createContext, type AppContext, type ContextOverrides } from '../../src/context.ts';
import type { DatabaseKind } from '../../src/db/database.ts';
import type { Static } from '@sinclair/typebox';
import { createTestDatabase, type TestDatabase } from './databases.ts';

export interface TestContext extends AppContext {
  database: TestDatabase;
}

/** A docsync context on a fresh database of the given kind, with a silent logger. */
export async function createTestContext(
  kind: DatabaseKind,
  options: { config?: DeepPartial<Static<typeof ConfigSchema>>; overrides?: ContextOverrides } = {},
): Promise<TestContext> {
  const database = await createTestDatabase(kind);
  const config = loadConfig({
    env: { DOCSYNC_ENV: 'test' },
    overrides: {
      database: { url: database.url, dataDir: 'memory://' },
      secrets: { encryptionKey: randomBytes(32).toString('base64') },
      ...options.config,
    },
  });
  const ctx = await createContext(config, { log: pino({ level: 'silent' }), database, ...options.overrides });
  return ctx as TestContext;
}
