// A worker has no HTTP port, so its container health check reads a file instead: each beat asks
// the database for `select 1` and, when it answers, writes the time to the file; when it does not,
// the file is removed. compose.yaml's worker health check accepts a file younger than a minute.
import { rm, writeFile } from 'node:fs/promises';
import { pingDatabase, type DatabaseHandle } from '../db/database.ts';
import type { Clock } from '../time.ts';

export interface HealthFile {
  /** Checks the database once and writes or removes the file accordingly. */
  beat(): Promise<boolean>;
  /** Stops writing and removes the file (a stopping worker is no longer healthy). */
  stop(): Promise<void>;
}

export function healthFile(path: string, deps: { db: DatabaseHandle['db']; clock: Clock }): HealthFile {
  let stopped = false;
  return {
    async beat() {
      if (stopped) return false;
      try {
        await pingDatabase(deps.db);
      } catch {
        await rm(path, { force: true });
        return false;
      }
      await writeFile(path, `${deps.clock.now().toISOString()}\n`);
      return true;
    },
    async stop() {
      stopped = true;
      await rm(path, { force: true });
    },
  };
}
