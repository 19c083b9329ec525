// A customer the MSP signs up after docsync was connected appears without reconnecting: a sync
// requested by a person discovers customer tenants first, and the hourly schedule does so once
// the last discovery is older than the full-listing interval. Discovery's warnings reach the
// run's sync log with their actions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from './fixtures.ts';
import type { SyncTrigger } from '../../../src/db/schema.ts';

describe('discovery inside integration runs', () => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;
  let integrationId: string;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 9, customers: 3, usersPerTenant: 10, autoConsent: true, clock });
    ctx = await createTestContext('pglite', { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
    integrationId = await connectIntegrationToEmulator(microsoft, emulator);
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  async function run(trigger: SyncTrigger) {
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger, now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 2 }).drain({ runId });
    return { children: await childRuns(ctx.database.db, runId), log: await readSyncLog(ctx.database.db, runId) };
  }
  const knownTenant = (tenantId: string) =>
    ctx.database.db
      .selectFrom('tenants')
      .select(['id', 'display_name', 'active'])
      .where('integration_id', '=', integrationId)
      .where('microsoft_tenant_id', '=', tenantId)
      .executeTakeFirst();

  it('leaves a scheduled run on the known tenants while the last discovery is recent', async () => {
    const added = emulator.world.addCustomer({ displayName: 'Brand New Customer Ltd', traits: { gdap: 'active' } });
    now += 3_600_000;
    const { children } = await run('schedule');
    expect(await knownTenant(added.tenantId)).toBeUndefined();
    expect(children.length).toBeGreaterThan(0);
  });

  it('discovers the new customer when a technician presses "Sync now", and syncs it in the same run', async () => {
    const added = emulator.world.customers().find((c) => c.displayName === 'Brand New Customer Ltd')!;
    const { children, log } = await run('manual');
    const tenant = await knownTenant(added.tenantId);
    expect(tenant).toMatchObject({ display_name: 'Brand New Customer Ltd', active: true });
    expect(children.some((c) => c.tenant_id === tenant!.id)).toBe(true);
    // The seeded customer mix has warnings (reports concealed, a missing role…): they are in the log, with an action.
    const discoveryLines = log.filter((l) => l.code !== 'tenant_synced' && l.action);
    expect(discoveryLines.length).toBeGreaterThan(0);
  });

  it('discovers again on the schedule once the last discovery is older than the full-listing interval', async () => {
    emulator.world.addCustomer({ displayName: 'Second Newcomer GmbH', traits: { gdap: 'active' } });
    now += ctx.config.sync.fullResyncIntervalHours * 3_600_000;
    await run('schedule');
    const added = emulator.world.customers().find((c) => c.displayName === 'Second Newcomer GmbH')!;
    expect(await knownTenant(added.tenantId)).toMatchObject({ active: true });
  });
});
