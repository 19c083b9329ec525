// users/delta items are partial (Microsoft Learn, "user: delta"): a changed user comes as its id
// and the properties that changed (docsync asks with Prefer: return=minimal). The sync merges
// only those onto what it staged: a rename keeps the user's aliases, licenses and account state,
// and a change is never lost while the deltaLink moves on. Real Graph client, the emulator, both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from './fixtures.ts';
import type { GraphUser } from '../../../src/microsoft/tenant-reader.ts';

describe.each(DATABASE_KINDS)('users/delta partial items on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;
  let integrationId: string;
  let microsoftTenantId: string;
  let tenantId: string;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 11, customers: 2, usersPerTenant: 25, autoConsent: true, clock });
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
    integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    const tenant = await ctx.database.db
      .selectFrom('tenants')
      .select(['id', 'microsoft_tenant_id'])
      .where('active', '=', true)
      .orderBy('microsoft_tenant_id')
      .executeTakeFirstOrThrow();
    microsoftTenantId = tenant.microsoft_tenant_id;
    tenantId = tenant.id;
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  async function syncAll() {
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 1 }).drain({ runId });
    return childRuns(ctx.database.db, runId);
  }
  const staged = async (userId: string) =>
    (
      await ctx.database.db
        .selectFrom('ms_users')
        .select('data')
        .where('tenant_id', '=', tenantId)
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow()
    ).data as unknown as GraphUser;

  it('keeps aliases, licenses and account state when the change feed sends only a new name', async () => {
    await syncAll();
    const licensed = [...Array(25).keys()]
      .map((slot) => emulator.world.userAt(microsoftTenantId, slot)?.record)
      .find((u) => u && u.assignedLicenses.length > 0 && u.proxyAddresses.length > 0 && u.accountEnabled)!;
    const before = await staged(licensed.id);
    expect(before.proxyAddresses?.length).toBeGreaterThan(0);

    emulator.world.renameUser(microsoftTenantId, licensed.id, 'Renamed Person', { givenName: 'Renamed', surname: 'Person' });
    now += 3_600_000;
    const children = await syncAll();
    const log = await readSyncLog(ctx.database.db, children[0]!.parent_run_id!);
    expect(log.filter((l) => l.code.startsWith('users_')).map((l) => l.message)).toEqual([]);
    expect(children.map((c) => c.status)).not.toContain('failed');

    const after = await staged(licensed.id);
    expect(after.displayName).toBe('Renamed Person');
    expect(after.userPrincipalName).toBe(before.userPrincipalName);
    expect(after.proxyAddresses).toEqual(before.proxyAddresses);
    expect(after.assignedLicenses).toEqual(before.assignedLicenses);
    expect(after.accountEnabled).toBe(true);
    expect(after.userType).toBe(before.userType);
  });

  it('applies a change that carries only accountEnabled', async () => {
    const user = [...Array(25).keys()]
      .map((slot) => emulator.world.userAt(microsoftTenantId, slot)?.record)
      .find((u) => u && u.accountEnabled && u.mail)!;
    const before = await staged(user.id);
    emulator.world.disableUser(microsoftTenantId, user.id);
    now += 3_600_000;
    await syncAll();
    const after = await staged(user.id);
    expect(after.accountEnabled).toBe(false);
    expect(after.mail).toBe(before.mail);
    expect(after.displayName).toBe(before.displayName);
  });

  it('lists users in full at once when the stored deltaLink names another Graph base (a moved cloud, a restarted emulator)', async () => {
    const db = ctx.database.db;
    const { delta_link } = await db.selectFrom('tenants').select('delta_link').where('id', '=', tenantId).executeTakeFirstOrThrow();
    const moved = delta_link!.replace(emulator.urls.graphBaseUrl, 'http://127.0.0.1:9');
    await db.updateTable('tenants').set({ delta_link: moved }).where('id', '=', tenantId).execute();
    const added = emulator.world.addUser(microsoftTenantId, { displayName: 'Newly Hired' });
    now += 3_600_000;
    const children = await syncAll();
    expect((await staged(added.id)).displayName).toBe('Newly Hired');
    const log = await readSyncLog(db, children[0]!.parent_run_id!);
    const resync = log.filter((l) => l.code === 'users_full_resync');
    expect(resync).toHaveLength(1);
    expect(resync[0]!.message).toContain(`not the configured Graph base ${emulator.urls.graphBaseUrl}`);
    expect(resync[0]!.message).not.toContain('deltatoken');
    const { delta_link: fresh } = await db.selectFrom('tenants').select('delta_link').where('id', '=', tenantId).executeTakeFirstOrThrow();
    expect(fresh!.startsWith(emulator.urls.graphBaseUrl)).toBe(true);
  });
});
