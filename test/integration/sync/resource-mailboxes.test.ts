// Issue 15: rooms, equipment and shared mailboxes are recognised from the mailbox usage report's
// "Recipient Type" (the emulator serves it as Microsoft's downloads do) and, unless the integration
// says otherwise, are not documented as contacts; they stay marked as what they are.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { listTenantUsers } from '../../../src/web/services/tenant-contents.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from './fixtures.ts';

describe.each(DATABASE_KINDS)('resource mailboxes on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let microsoft: SyncMicrosoft;
  let integrationId: string;
  let tenantId: string;
  /** userPrincipalName (lower case) → the report's recipient type, for the mailboxes that are not people's. */
  const resources = new Map<string, string>();

  beforeAll(async () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    const clock = { now: () => new Date(now) };
    // Seed 5 gives this customer shared, room and equipment mailboxes.
    emulator = await startEmulator({ seed: 5, customers: 1, usersPerTenant: 80, autoConsent: true, clock });
    const customer = emulator.world.customers()[0]!.tenantId;
    for (const row of emulator.world.mailboxUsage(customer))
      if (row.recipientType !== 'UserMailbox') resources.set(row.userPrincipalName.toLowerCase(), row.recipientType);
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async () => {} });
    integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    const tenant = await ctx.database.db.selectFrom('tenants').select(['id', 'domains']).executeTakeFirstOrThrow();
    tenantId = tenant.id;
    await ctx.database.db
      .insertInto('organizations')
      .values({ name: 'Customer', domains: tenant.domains as string[] })
      .execute();
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  async function syncAll() {
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: new Date() });
    await createSyncWorker(microsoft.runner, { concurrency: 1 }).drain({ runId });
  }

  const users = async () =>
    (await listTenantUsers(ctx.database.db, tenantId, { page: 1, pageSize: 500 })).items.filter(
      (u) => u.userPrincipalName && resources.has(u.userPrincipalName.toLowerCase()),
    );

  it('excludes rooms, equipment and shared mailboxes from contacts by default and marks them', async () => {
    expect(new Set(resources.values())).toEqual(new Set(['SharedMailbox', 'RoomMailbox', 'EquipmentMailbox']));
    await syncAll();
    const marked = await users();
    expect(marked).toHaveLength(resources.size);
    for (const u of marked) {
      const expected = { SharedMailbox: 'shared', RoomMailbox: 'room', EquipmentMailbox: 'equipment' }[
        resources.get(u.userPrincipalName!.toLowerCase())!
      ];
      expect(u.mailboxKind).toBe(expected);
      expect(u.decision).toBe('excluded');
      expect(u.reason).toMatch(/mailbox; this integration does not document rooms, equipment and shared mailboxes/);
    }
    const contacts = await ctx.database.db.selectFrom('contacts').select('microsoft_user_id').where('tenant_id', '=', tenantId).execute();
    const documented = new Set(contacts.map((c) => c.microsoft_user_id));
    expect(contacts.length).toBeGreaterThan(20); // people are documented
    expect(marked.filter((u) => documented.has(u.userId))).toEqual([]);
  });

  it('documents them as contacts, still marked, once the integration includes them', async () => {
    await ctx.database.db
      .updateTable('integrations')
      .set({ settings: JSON.stringify({ includeResourceMailboxes: true }) })
      .where('id', '=', integrationId)
      .execute();
    await syncAll();
    const marked = await users();
    expect(marked.every((u) => u.decision !== 'excluded' && u.mailboxKind !== null)).toBe(true);
    const contacts = await ctx.database.db
      .selectFrom('contacts')
      .select('microsoft_user_id')
      .where('tenant_id', '=', tenantId)
      .where(
        'microsoft_user_id',
        'in',
        marked.map((u) => u.userId),
      )
      .execute();
    expect(contacts).toHaveLength(resources.size);
  });
});
