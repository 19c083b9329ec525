// One place wires everything: main.ts and the tests both build the app's dependencies here,
// the Microsoft side (integrations, token broker, Graph client, discovery) and the sync runner's
// dependencies included; buildApp and the CLI commands take them from here.
// Tests swap a part through `overrides` (an in-memory database, a captured logger, a sleep that
// moves their clock) rather than by mocking modules.
import type { Config } from './config.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { createLogger, type Logger } from './logger.ts';
import { secretBoxFromConfig } from './crypto/keys.ts';
import type { SecretBox } from './crypto/secret-box.ts';
import type { MicrosoftDeps } from './microsoft/index.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from './sync/microsoft-wiring.ts';
import { systemClock, type Clock } from './time.ts';

// The clock lives in time.ts so modules that only need the time do not import the composition root.
export { systemClock, type Clock } from './time.ts';

export interface AppContext {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  secrets: SecretBox;
  clock: Clock;
  /** The Microsoft side and the sync runner's dependencies, one per process (token caches). */
  microsoft: SyncMicrosoft;
  close(): Promise<void>;
}

export interface ContextOverrides {
  log?: Logger;
  database?: DatabaseHandle;
  secrets?: SecretBox;
  clock?: Clock;
  /** How the Microsoft client waits and retries, and how MSAL reaches the identity platform. */
  microsoft?: Pick<MicrosoftDeps, 'sleep' | 'retry' | 'msal'>;
}

export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<AppContext> {
  const log = overrides.log ?? createLogger(config);
  const secrets = overrides.secrets ?? secretBoxFromConfig(config);
  const database = overrides.database ?? (await openDatabase(config.database));
  const clock = overrides.clock ?? systemClock;
  const microsoft = createSyncMicrosoft({ config, log, database, secrets, clock }, overrides.microsoft);
  return {
    config,
    log,
    database,
    secrets,
    clock,
    microsoft,
    async close() {
      await database.close();
    },
  };
}
