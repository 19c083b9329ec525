// A run's log is read whole by the CLI summary, the tests and the bench: a run of 1,000 tenants
// writes more lines than one page, and none may be left out silently.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { readSyncLog, readSyncLogPage, writeSyncLog } from '../../../src/sync/sync-log.ts';
import { insertIntegration } from './fixtures.ts';

describe('sync log', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContext('pglite');
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('reads every line of a run longer than one page, oldest first', async () => {
    const db = ctx.database.db;
    const integration = await insertIntegration(db);
    const runId = await enqueueIntegrationRun(db, { integrationId: integration.id, trigger: 'cli', now: new Date('2026-11-23T12:00:00Z') });
    const lines = Array.from({ length: 2_345 }, (_, i) => ({ level: 'info' as const, code: 'line', message: `line ${i}` }));
    for (let i = 0; i < lines.length; i += 500) await writeSyncLog(db, runId, lines.slice(i, i + 500));

    const all = await readSyncLog(db, runId);
    expect(all.map((l) => l.message)).toEqual(lines.map((l) => l.message));
    const firstPage = await readSyncLogPage(db, runId, { limit: 100 });
    expect(firstPage).toHaveLength(100);
    expect((await readSyncLogPage(db, runId, { afterId: firstPage.at(-1)!.id, limit: 1 }))[0]?.message).toBe('line 100');
  });
});
