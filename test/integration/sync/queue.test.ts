import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { MicrosoftError } from '../../../src/microsoft/errors.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { claimTenantRun, LEASE_SECONDS } from '../../../src/sync/queue.ts';
import { childRuns, enqueueIntegrationRun, enqueueTenantRun, getRun, pruneRuns } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { claimScheduleSlot, enqueueScheduledRuns, slotOf } from '../../../src/sync/schedule.ts';
import type { RunnerDeps } from '../../../src/sync/runner.ts';
import type { Integration } from '../../../src/db/schema.ts';
import { contosoDataAs, fakeSource, type FakeTenantData } from './records.ts';
import { insertIntegration, insertTenant, retireOrganizations, runnerWithFakeSources } from './fixtures.ts';

describe.each(DATABASE_KINDS)('sync queue on %s', (kind) => {
  let ctx: TestContext;
  let now = new Date('2026-11-23T12:00:00Z');
  const clock = { now: () => now };
  let integration: Integration;
  let tenants: Array<{ id: string; name: string }>;
  const data = new Map<string, FakeTenantData>();
  const partnerFailures: string[] = [];

  beforeAll(async () => {
    ctx = await createTestContext(kind, { overrides: { clock } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  beforeEach(async () => {
    const db = ctx.database.db;
    now = new Date(now.getTime() + 86_400_000);
    data.clear();
    integration = await insertIntegration(db);
    await retireOrganizations(db);
    tenants = [];
    for (const name of ['Alpha', 'Bravo', 'Charlie']) {
      const tenant = await insertTenant(db, integration.id, { display_name: name });
      await db.insertInto('organizations').values({ name, domains: [] }).execute();
      data.set(tenant.id, contosoDataAs(name, { domain: `${name.toLowerCase()}.example`, idPrefix: name }));
      tenants.push({ id: tenant.id, name });
    }
  });

  const deps = (): RunnerDeps =>
    runnerWithFakeSources(ctx, (tenant) => fakeSource(data.get(tenant.id)!), {
      onPartnerFailure: async (id) => void partnerFailures.push(id),
    });

  const contactCount = async () =>
    Number(
      (
        await ctx.database.db
          .selectFrom('contacts')
          .innerJoin('tenants', 'tenants.id', 'contacts.tenant_id')
          .where('tenants.integration_id', '=', integration.id)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('syncs every tenant of an integration run and rolls the counts up', async () => {
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId: integration.id, trigger: 'manual', now });
    await createSyncWorker(deps(), { concurrency: 2 }).drain();
    const run = (await getRun(ctx.database.db, runId))!;
    expect(run).toMatchObject({ status: 'succeeded', created: 9, progress_done: 3, progress_total: 3, failed: 0 });
    expect(run.summary).toBe('3 of 3 tenants synced');
    expect(await contactCount()).toBe(6);
  });

  it('finishes the other tenants when one fails every call, and says which one and why', async () => {
    data.get(tenants[1]!.id)!.failing.organization = new MicrosoftError(
      'consent_missing',
      'tenant',
      'the docsync app is not consented in Bravo',
      'open the admin consent link for Bravo',
    );
    data.get(tenants[1]!.id)!.failing.users = data.get(tenants[1]!.id)!.failing.organization;
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId: integration.id, trigger: 'manual', now });
    await createSyncWorker(deps(), { concurrency: 2 }).drain();
    const run = (await getRun(ctx.database.db, runId))!;
    expect(run.status).toBe('partial');
    expect(run.summary).toBe('2 of 3 tenants synced, 1 failed');
    const children = await childRuns(ctx.database.db, runId);
    expect(children.map((c) => c.status).sort()).toEqual(['failed', 'succeeded', 'succeeded']);
    const line = (await readSyncLog(ctx.database.db, runId)).find((l) => l.level === 'error')!;
    expect(line).toMatchObject({ code: 'consent_missing', tenant_id: tenants[1]!.id, action: 'open the admin consent link for Bravo' });
    expect(line.message).toContain('Bravo');
  });

  it('never syncs one tenant twice at once when two workers and a manual trigger race', async () => {
    const db = ctx.database.db;
    await enqueueIntegrationRun(db, { integrationId: integration.id, trigger: 'schedule', now });
    await enqueueTenantRun(db, { integrationId: integration.id, tenantId: tenants[0]!.id, trigger: 'manual', now });
    await enqueueTenantRun(db, { integrationId: integration.id, tenantId: tenants[0]!.id, trigger: 'manual', now });
    const a = createSyncWorker(deps(), { concurrency: 3, workerId: 'a' });
    const b = createSyncWorker(deps(), { concurrency: 3, workerId: 'b' });
    await Promise.all([a.drain(), b.drain()]);
    expect(await contactCount()).toBe(6);
    const runs = await db.selectFrom('sync_runs').select(['status', 'created']).where('tenant_id', '=', tenants[0]!.id).execute();
    expect(runs).toHaveLength(3);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(runs.map((r) => r.created).sort()).toEqual([0, 0, 3]);
  });

  it('picks a tenant up again when its worker died mid-sync (lease expired)', async () => {
    const db = ctx.database.db;
    const runId = await enqueueTenantRun(db, { integrationId: integration.id, tenantId: tenants[2]!.id, trigger: 'manual', now });
    const claimed = await claimTenantRun(db, { workerId: 'killed-worker', now });
    expect(claimed?.id).toBe(runId);
    // The killed worker never renews; another worker must not touch the tenant until the lease ends.
    await createSyncWorker(deps(), { concurrency: 1, workerId: 'survivor' }).drain();
    expect((await getRun(db, runId))!.status).toBe('running');
    now = new Date(now.getTime() + (LEASE_SECONDS + 1) * 1000);
    await createSyncWorker(deps(), { concurrency: 1, workerId: 'survivor' }).drain();
    expect((await getRun(db, runId))!).toMatchObject({ status: 'succeeded', created: 3, attempts: 2 });
    expect((await readSyncLog(db, runId)).map((l) => l.code)).toContain('worker_lost');
    expect(await contactCount()).toBe(2);
  });

  it('retries a throttled-out tenant after a backoff', async () => {
    const db = ctx.database.db;
    data.get(tenants[0]!.id)!.failing.organization = new MicrosoftError(
      'throttled_out',
      'tenant',
      'Microsoft kept throttling Alpha',
      'nothing to do: docsync retries',
    );
    const runId = await enqueueTenantRun(db, { integrationId: integration.id, tenantId: tenants[0]!.id, trigger: 'manual', now });
    await createSyncWorker(deps(), { concurrency: 1 }).drain();
    expect((await getRun(db, runId))!.status).toBe('queued');
    data.get(tenants[0]!.id)!.failing = {};
    now = new Date(now.getTime() + 31_000);
    await createSyncWorker(deps(), { concurrency: 1 }).drain();
    expect((await getRun(db, runId))!.status).toBe('succeeded');
    expect((await readSyncLog(db, runId)).map((l) => l.code)).toContain('retrying');
  });

  it('stops the integration run when the partner connection breaks', async () => {
    const db = ctx.database.db;
    for (const t of tenants)
      data.get(t.id)!.failing.organization = new MicrosoftError(
        'partner_connection_expired',
        'partner',
        'the partner sign-in was revoked',
        'reconnect the partner account',
      );
    const runId = await enqueueIntegrationRun(db, { integrationId: integration.id, trigger: 'manual', now });
    await createSyncWorker(deps(), { concurrency: 1 }).drain();
    const children = await childRuns(db, runId);
    expect(children.map((c) => c.status).sort()).toEqual(['cancelled', 'cancelled', 'failed']);
    expect((await getRun(db, runId))!.status).toBe('failed');
    expect(partnerFailures).toContain(integration.id);
    expect((await readSyncLog(db, runId)).find((l) => l.code === 'run_stopped')?.action).toBe('reconnect the partner account');
  });

  it('lets one process claim a schedule slot and does not stack scheduled runs', async () => {
    const db = ctx.database.db;
    const slotAt = slotOf(now);
    const claims = await Promise.all([claimScheduleSlot(db, { slotAt, owner: 'a' }), claimScheduleSlot(db, { slotAt, owner: 'b' })]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    const first = await enqueueScheduledRuns(db, now);
    const second = await enqueueScheduledRuns(db, now);
    expect(first.length).toBeGreaterThanOrEqual(1);
    expect(second).toEqual([]);
    await createSyncWorker(deps(), { concurrency: 3 }).drain();
  });

  it('prunes finished runs older than the retention, with their log lines', async () => {
    const db = ctx.database.db;
    const runId = await enqueueIntegrationRun(db, { integrationId: integration.id, trigger: 'manual', now });
    await createSyncWorker(deps(), { concurrency: 3 }).drain();
    await pruneRuns(db, { now: new Date(now.getTime() + 29 * 86_400_000), retentionDays: 30 });
    expect((await getRun(db, runId))?.status).toBe('succeeded');
    expect(await pruneRuns(db, { now: new Date(now.getTime() + 31 * 86_400_000), retentionDays: 30 })).toBeGreaterThanOrEqual(1);
    expect(await getRun(db, runId)).toBeUndefined();
    expect(await readSyncLog(db, runId)).toEqual([]);
  });
});
