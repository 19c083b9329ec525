// One place wires everything: main.ts and the tests both build the app's dependencies here.
// Tests swap a part through `overrides` (an in-memory database, a captured logger) rather
// than by mocking modules.
import type { Config } from './config.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { createLogger, type Logger } from './logger.ts';
import { secretBoxFromConfig } from './crypto/keys.ts';
import type { SecretBox } from './crypto/secret-box.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface AppContext {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  secrets: SecretBox;
  clock: Clock;
  close(): Promise<void>;
}

export interface ContextOverrides {
  log?: Logger;
  database?: DatabaseHandle;
  secrets?: SecretBox;
  clock?: Clock;
}

export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<AppContext> {
  const log = overrides.log ?? createLogger(config);
  const secrets = overrides.secrets ?? secretBoxFromConfig(config);
  const database = overrides.database ?? (await openDatabase(config.database));
  return {
    config,
    log,
    database,
    secrets,
    clock: overrides.clock ?? systemClock,
    async close() {
      await database.close();
    },
  };
}
