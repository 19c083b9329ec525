// Intune refuses a GDAP group without a devices role with 401 UnknownError around a nested
// "Forbidden" (seen live), not 403. That is a permission missing for devices: the tenant syncs
// the rest, the log names the role to add, the integration stays connected, and the token is not
// thrown away and renewed for it. Real MSAL and Graph client against the emulator, both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from './fixtures.ts';

describe.each(DATABASE_KINDS)('Intune 401 "Forbidden" on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 41, customers: 4, usersPerTenant: 10, autoConsent: true, clock });
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  it('says the devices role is missing, syncs the rest, keeps the connection and renews no token for it', async () => {
    const limited = emulator.world.customers().find((c) => c.traits.gdap === 'limited' && c.traits.intune)!;
    expect(limited).toBeDefined();
    const integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    const tokensBefore = microsoft.tokens.stats().perTenant[limited.tenantId] ?? 0;
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 1 }).drain({ runId });

    const row = await ctx.database.db
      .selectFrom('tenants')
      .select('id')
      .where('microsoft_tenant_id', '=', limited.tenantId)
      .executeTakeFirstOrThrow();
    const run = (await childRuns(ctx.database.db, runId)).find((c) => c.tenant_id === row.id)!;
    expect(run.status).toBe('partial');
    const log = await readSyncLog(ctx.database.db, run.id);
    const devices = log.find((l) => l.code === 'devices_not_synced')!;
    expect(devices.message).toMatch(/Intune devices.*401 Forbidden/);
    expect(devices.action).toMatch(/Global Reader/);
    expect(log.some((l) => /reconnect/i.test(l.action ?? ''))).toBe(false);
    expect((await microsoft.integrations.get(integrationId)).status).toBe('connected');
    // One token for the tenant's run (discovery may have taken one before): none renewed for the 401.
    expect((microsoft.tokens.stats().perTenant[limited.tenantId] ?? 0) - tokensBefore).toBeLessThanOrEqual(1);
    const users = await ctx.database.db.selectFrom('ms_users').select('user_id').where('tenant_id', '=', row.id).execute();
    expect(users.length).toBeGreaterThan(0);
  });
});
