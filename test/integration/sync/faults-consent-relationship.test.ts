// Customer-side access breaking between runs, against the emulator (real MSAL and Graph over
// HTTP): a customer admin removes docsync's consent, a GDAP relationship expires after
// discovery. Only that tenant fails, with the action to take in the log; the other tenants
// finish; what was documented before stays, unduplicated and undeleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun, getRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { connectEmulatedPartner } from './cli-harness.ts';
import { emulatorAsMicrosoft } from './fixtures.ts';

describe('a customer tenant loses docsync access between runs', () => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.now();
  const clock = { now: () => new Date(now) };
  let integrationId: string;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 23, customers: 4, usersPerTenant: 12, autoConsent: true });
    // The clock is the wall clock: with 30 inactive days a user could turn inactive between two runs
    // (a real change, written), whatever the hour. Ten years keeps this test about consent.
    ctx = await createTestContext('pglite', {
      config: { ...emulatorAsMicrosoft(emulator), sync: { inactiveDays: 3650 } },
      overrides: { clock },
    });
    const microsoft = newProcess();
    integrationId = await connectEmulatedPartner(ctx, emulator, { microsoft });
    // Some emulated customers are partial by nature (no Intune, concealed reports): none fails.
    const first = await syncAll();
    expect(first.children.map((c) => c.status).filter((s) => s !== 'succeeded' && s !== 'partial')).toEqual([]);
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  // A fresh process each run: no access token cached from before the fault.
  function newProcess(): SyncMicrosoft {
    return createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
  }

  async function syncAll() {
    now += 2 * 3_600_000;
    // A scheduled run between discoveries (the last one is recent): the tenants are synced as
    // discovery last saw them, so what changed in Microsoft since meets the tenant sync itself.
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'schedule', now: clock.now() });
    await createSyncWorker(newProcess().runner, { concurrency: 2 }).drain({ runId });
    return { runId, run: (await getRun(ctx.database.db, runId))!, children: await childRuns(ctx.database.db, runId) };
  }

  const documented = () =>
    ctx.database.db
      .selectFrom('contacts')
      .select(['id', 'tenant_id', 'microsoft_user_id', 'in_microsoft', 'first_name', 'last_name'])
      .orderBy('id')
      .execute();
  const tenantNamed = (name: string) =>
    ctx.database.db
      .selectFrom('tenants')
      .select(['id', 'microsoft_tenant_id', 'display_name'])
      .where('display_name', '=', name)
      .executeTakeFirstOrThrow();

  async function expectOnlyTenantFailed(result: Awaited<ReturnType<typeof syncAll>>, tenantId: string) {
    expect(result.run.status).toBe('partial');
    const failed = result.children.filter((c) => c.status === 'failed');
    expect(failed.map((c) => c.tenant_id)).toEqual([tenantId]);
    const others = result.children.filter((c) => c.tenant_id !== tenantId);
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((c) => c.status === 'succeeded' || c.status === 'partial')).toBe(true);
    const errors = (await readSyncLog(ctx.database.db, result.runId)).filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.tenant_id).toBe(tenantId);
    return errors[0]!;
  }

  it('fails only the tenant whose admin removed consent, says to re-run admin consent, and keeps its contacts', async () => {
    const before = await documented();
    const victim = await tenantNamed('Contoso, Ltd.');
    expect(before.some((c) => c.tenant_id === victim.id)).toBe(true);
    emulator.control.removeConsent(victim.microsoft_tenant_id);
    try {
      const result = await syncAll();
      const line = await expectOnlyTenantFailed(result, victim.id);
      expect(line.code).toBe('consent_missing');
      expect(line.message).toContain(victim.display_name);
      expect(line.action).toMatch(/consent/i);
      expect(result.run.summary).toContain('1 failed');
      expect(await documented()).toEqual(before);
      const health = await ctx.database.db
        .selectFrom('tenants')
        .select(['health', 'health_reason'])
        .where('id', '=', victim.id)
        .executeTakeFirstOrThrow();
      expect(health.health).toBe('failing');
      // The partner connection itself is fine: no reconnect is asked for.
      const integration = await ctx.database.db
        .selectFrom('integrations')
        .select('status')
        .where('id', '=', integrationId)
        .executeTakeFirstOrThrow();
      expect(integration.status).toBe('connected');
    } finally {
      emulator.world.restoreConsent(victim.microsoft_tenant_id);
    }
    // Consent given again: the next run syncs the tenant, creating nothing twice.
    const repaired = await syncAll();
    expect(repaired.children.find((c) => c.tenant_id === victim.id)?.status).toBe('succeeded');
    expect(repaired.run).toMatchObject({ created: 0, updated: 0 });
    expect(await documented()).toEqual(before);
  });

  it('fails only the tenant whose GDAP relationship expired after discovery, with the action, deleting nothing', async () => {
    const before = await documented();
    const victim = await tenantNamed('Fabrikam, Inc.');
    emulator.world.expireRelationship(victim.microsoft_tenant_id);
    const result = await syncAll();
    const line = await expectOnlyTenantFailed(result, victim.id);
    expect(line.message).toContain(victim.display_name);
    expect(line.message).toMatch(/relationship|GDAP/i);
    expect(line.action).toBeTruthy();
    expect(await documented()).toEqual(before);
    const ids = before.map((c) => c.microsoft_user_id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
