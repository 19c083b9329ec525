// Tenant health on the tenants table (what Organizations and Integrations show) after a run that
// failed inside docsync, and after the next run that got through.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { MicrosoftError } from '../../../src/microsoft/errors.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { enqueueTenantRun, getRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import type { RunnerDeps } from '../../../src/sync/runner.ts';
import type { TenantSource } from '../../../src/microsoft/tenant-reader.ts';
import { contosoDataAs, fakeSource, type FakeTenantData } from './records.ts';
import { insertIntegration, insertTenant, runnerWithFakeSources } from './fixtures.ts';

describe.each(DATABASE_KINDS)('tenant health after a sync on %s', (kind) => {
  let ctx: TestContext;
  let now = new Date('2026-11-23T12:00:00Z');
  const clock = { now: () => now };
  let integrationId: string;
  let tenantId: string;
  let data: FakeTenantData;
  /** The next sync's first read throws this (a bug, a constraint violation), or reads normally. */
  let internalFailure: Error | null = null;

  beforeAll(async () => {
    ctx = await createTestContext(kind, { overrides: { clock } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  beforeEach(async () => {
    const db = ctx.database.db;
    now = new Date(now.getTime() + 86_400_000);
    internalFailure = null;
    integrationId = (await insertIntegration(db, { name: `Partner ${now.toISOString()}` })).id;
    const name = `Fabrikam ${now.getTime()}`;
    tenantId = (await insertTenant(db, integrationId, { display_name: name })).id;
    await db.insertInto('organizations').values({ name, domains: [] }).execute();
    // Microsoft ids are unique across tenants: each test its own users and devices.
    data = contosoDataAs(name, { domain: `fabrikam${now.getTime()}.example`, idPrefix: String(now.getTime()) });
  });

  const deps = (): RunnerDeps =>
    runnerWithFakeSources(ctx, () => {
      const source: TenantSource = fakeSource(data);
      const organization = source.organization.bind(source);
      source.organization = async () => {
        if (internalFailure) throw internalFailure;
        return organization();
      };
      return source;
    });

  const syncOnce = async () => {
    const runId = await enqueueTenantRun(ctx.database.db, { integrationId, tenantId, trigger: 'manual', now });
    await createSyncWorker(deps(), { concurrency: 1 }).drain();
    now = new Date(now.getTime() + 60_000);
    return runId;
  };
  const health = () =>
    ctx.database.db.selectFrom('tenants').select(['health', 'health_reason']).where('id', '=', tenantId).executeTakeFirstOrThrow();

  it('marks a tenant failing when its sync failed inside docsync, naming the run to look up in the server log', async () => {
    await syncOnce();
    expect(await health()).toEqual({ health: 'ok', health_reason: null });

    internalFailure = new Error('duplicate key value violates unique constraint "contacts_microsoft_user_unique"');
    const runId = await syncOnce();
    expect((await getRun(ctx.database.db, runId))!.status).toBe('failed');
    const after = await health();
    expect(after.health).toBe('failing');
    expect(after.health_reason).toBe(`the last sync failed inside docsync; the error is in the server log with run id ${runId}`);
    // The technician's words never carry the internal message (SQL, stack).
    expect(after.health_reason).not.toContain('constraint');
    const line = (await readSyncLog(ctx.database.db, runId)).find((l) => l.code === 'internal_error')!;
    expect(line.action).toContain(runId);
  });

  it('is ok again after the next sync that gets through', async () => {
    internalFailure = new TypeError("Cannot read properties of undefined (reading 'id')");
    await syncOnce();
    expect((await health()).health).toBe('failing');

    internalFailure = null;
    const runId = await syncOnce();
    expect((await getRun(ctx.database.db, runId))!.status).toBe('succeeded');
    expect(await health()).toEqual({ health: 'ok', health_reason: null });
  });

  it('follows the same rule for a failure Microsoft reported', async () => {
    data.failing.organization = new MicrosoftError(
      'consent_missing',
      'tenant',
      'the docsync app is not consented in Fabrikam',
      'open the admin consent link for Fabrikam',
    );
    await syncOnce();
    expect(await health()).toEqual({ health: 'failing', health_reason: 'the docsync app is not consented in Fabrikam' });

    data.failing = {};
    await syncOnce();
    expect(await health()).toEqual({ health: 'ok', health_reason: null });
  });
});
