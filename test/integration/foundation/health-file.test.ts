import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { healthFile } from '../../../src/cli/health-file.ts';
import { createTestDatabase, DATABASE_KINDS } from '../../support/databases.ts';

const clock = { now: () => new Date('2026-12-03T14:00:00Z') };

describe.each(DATABASE_KINDS)("a worker's health file on %s", (kind) => {
  const dirs: string[] = [];
  const fileIn = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'docsync-health-'));
    dirs.push(dir);
    return path.join(dir, 'worker-health');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the time while the database answers, and is gone once it does not', async () => {
    const database = await createTestDatabase(kind, { migrate: false });
    const file = fileIn();
    const health = healthFile(file, { db: database.db, clock });
    expect(await health.beat()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('2026-12-03T14:00:00.000Z\n');
    await database.close();
    expect(await health.beat()).toBe(false);
    expect(existsSync(file)).toBe(false);
  });

  it('removes the file when the worker stops', async () => {
    const database = await createTestDatabase(kind, { migrate: false });
    try {
      const file = fileIn();
      const health = healthFile(file, { db: database.db, clock });
      await health.beat();
      await health.stop();
      expect(existsSync(file)).toBe(false);
      expect(await health.beat()).toBe(false);
      expect(existsSync(file)).toBe(false);
    } finally {
      await database.close();
    }
  });
});
