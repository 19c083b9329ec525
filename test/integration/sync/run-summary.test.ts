// Issue 15, "run and log clarity": an integration run's sentence adds up from its tenant runs and
// names the tenants it left out, with the reason ("2 skipped: relationship ended").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { enqueueIntegrationRun, enqueueTenantRun, finishRun, getRun } from '../../../src/sync/runs.ts';
import { getIntegration } from '../../../src/web/services/integrations.ts';
import { contosoDataAs, fakeSource, type FakeTenantData } from './records.ts';
import { insertIntegration, insertTenant, retireOrganizations, runnerWithFakeSources } from './fixtures.ts';

describe.each(DATABASE_KINDS)("an integration run's summary on %s", (kind) => {
  let ctx: TestContext;
  const now = new Date('2026-11-23T12:00:00Z');
  const clock = { now: () => now };

  beforeAll(async () => {
    ctx = await createTestContext(kind, { overrides: { clock } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('counts the tenants whose relationship ended as skipped, with the reason', async () => {
    const db = ctx.database.db;
    const integration = await insertIntegration(db);
    await retireOrganizations(db);
    const data = new Map<string, FakeTenantData>();
    for (const name of ['Alpha', 'Bravo']) {
      const tenant = await insertTenant(db, integration.id, { display_name: name });
      data.set(tenant.id, contosoDataAs(name, { domain: `${name.toLowerCase()}.example`, idPrefix: name }));
    }
    for (const [name, reason] of [
      ['Charlie', 'the GDAP relationship has ended (expired on 2026-10-01)'],
      ['Delta', 'the GDAP relationship has ended (terminated)'],
    ])
      await insertTenant(db, integration.id, { display_name: name, active: false, inactive_reason: reason, health: 'failing' });

    const runId = await enqueueIntegrationRun(db, { integrationId: integration.id, trigger: 'manual', now });
    await createSyncWorker(
      runnerWithFakeSources(ctx, (tenant) => fakeSource(data.get(tenant.id)!)),
      { concurrency: 1 },
    ).drain();
    const run = (await getRun(db, runId))!;
    expect(run.status).toBe('succeeded');
    expect(run.summary).toBe('2 of 2 tenants synced, 2 skipped: relationship ended (2)');

    // A technician's "sync now" of the ended tenant fails on its own; the integration's last run stays the integration's.
    const ended = await db.selectFrom('tenants').select('id').where('display_name', '=', 'Charlie').executeTakeFirstOrThrow();
    const later = new Date(now.getTime() + 60_000);
    const single = await enqueueTenantRun(db, { integrationId: integration.id, tenantId: ended.id, trigger: 'manual', now: later });
    await finishRun(db, single, {
      status: 'failed',
      now: later,
      errorCode: 'relationship_ended',
      summary: 'the GDAP relationship has ended',
    });
    const summary = await getIntegration({ db, secrets: ctx.secrets, clock }, integration.id);
    expect(summary.lastRun).toMatchObject({ id: runId, status: 'succeeded' });
  });
});
