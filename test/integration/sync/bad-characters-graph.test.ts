// A NUL byte or an unpaired surrogate in a Microsoft string (a customer's name, a user's name)
// used to make Postgres refuse the write on every run: the tenant failed for good, and in
// discovery one bad customer stopped every customer after it. The Graph client now replaces them
// with U+FFFD at the boundary. Real Graph client and MSAL against the emulator, both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from './fixtures.ts';

describe.each(DATABASE_KINDS)('text Postgres cannot hold, from Graph, on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 21, customers: 3, usersPerTenant: 12, autoConsent: true, clock });
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  it('discovers every customer and syncs a user whose names hold NUL and lone surrogates', async () => {
    const bad = emulator.world.addCustomer({
      displayName: 'Nul\u0000 Traders \uD800',
      traits: { gdap: 'active', reportsConcealed: false },
    });
    const user = emulator.world.userAt(bad.tenantId, 1)!.record;
    emulator.world.renameUser(bad.tenantId, user.id, 'Zoë\u0000 \uDC00Ward', { givenName: 'Zoë\u0000', surname: '\uDC00Ward' });

    const integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    const tenants = await ctx.database.db.selectFrom('tenants').select(['microsoft_tenant_id', 'display_name']).execute();
    expect(tenants.map((t) => t.microsoft_tenant_id).sort()).toEqual(
      emulator.world
        .customers()
        .map((c) => c.tenantId)
        .sort(),
    );
    expect(tenants.find((t) => t.microsoft_tenant_id === bad.tenantId)?.display_name).toBe('Nul\uFFFD Traders \uFFFD');

    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 1 }).drain({ runId });
    const children = await childRuns(ctx.database.db, runId);
    expect(children.map((c) => c.status)).not.toContain('failed');
    const staged = await ctx.database.db.selectFrom('ms_users').select('data').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect((staged.data as { displayName: string }).displayName).toBe('Zoë\uFFFD \uFFFDWard');
  });
});
