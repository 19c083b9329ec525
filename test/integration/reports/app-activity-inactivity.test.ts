// Issue 17, app activity and honest inactivity, against the emulator on both databases: the two
// usage reports are downloaded from the report host and staged per user; concealed report names
// stage nothing and keep what was there; a disabled user is "disabled" (not "unknown"); a user
// whose sign-in is old but whose mailbox was active yesterday is "active"; a tenant without
// Entra ID P1 or Intune still gets a state from app activity, and says which sources are missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { setUsageActivity } from '../../../src/emulator/graph/usage-activity.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { tenantUserDetail } from '../../../src/web/services/tenant-contents.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../sync/fixtures.ts';
import type { WorldUser } from '../../../src/emulator/world/records.ts';

const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe.each(DATABASE_KINDS)('app activity and inactivity on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;
  let integrationId: string;
  const tenantRow = async (displayName: string) =>
    (await ctx.database.db.selectFrom('tenants').select('id').where('display_name', '=', displayName).executeTakeFirstOrThrow()).id;
  const sync = async () => {
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 1 }).drain({ runId });
    return runId;
  };
  /** Enabled members with a mailbox and no Intune device, so only the chosen evidence counts. */
  const plainMembers = (tenantId: string): WorldUser[] => {
    const withDevice = new Set<string>();
    for (let slot = 0; slot < emulator.world.deviceSlotCount(tenantId); slot++) {
      const userId = emulator.world.deviceAt(tenantId, slot)?.userId;
      if (userId) withDevice.add(userId);
    }
    const mailboxes = new Set(emulator.world.mailboxUsage(tenantId).map((m) => m.userPrincipalName.toLowerCase()));
    const users: WorldUser[] = [];
    for (let slot = 0; slot < emulator.world.userSlotCount(tenantId); slot++) {
      const u = emulator.world.userAt(tenantId, slot);
      if (!u || u.kind !== 'member' || !u.record.accountEnabled || withDevice.has(u.record.id)) continue;
      if (mailboxes.has(u.record.userPrincipalName.toLowerCase())) users.push(u);
    }
    return users;
  };

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 77, customers: 3, usersPerTenant: 30, autoConsent: true, clock });
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
    integrationId = await connectIntegrationToEmulator(microsoft, emulator);
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  it('stages last activity per service and email counts per user, downloaded without the Graph token', async () => {
    const [customer] = emulator.world.customers();
    const tenantId = customer!.tenantId;
    const members = plainMembers(tenantId);
    setUsageActivity(emulator.world, tenantId, members[0]!.record.userPrincipalName, { teams: isoDate(now - 2 * DAY) });
    await sync();
    const rows = await ctx.database.db
      .selectFrom('ms_user_activity')
      .select(['user_principal_name', 'data'])
      .where('tenant_id', '=', await tenantRow(customer!.displayName))
      .execute();
    const expected = emulator.world.activeUserDetail(tenantId).filter((r) => !r.isDeleted).length;
    expect(rows.length).toBe(expected);
    const mine = rows.find((r) => r.user_principal_name === members[0]!.record.userPrincipalName.toLowerCase());
    const data = mine?.data as { lastActivity: Record<string, string | null>; email: { sendCount: number | null } | null };
    expect(data.lastActivity.teams).toBe(isoDate(now - 2 * DAY));
    expect(Object.keys(data.lastActivity).sort()).toEqual(['exchange', 'oneDrive', 'sharePoint', 'skype', 'teams', 'yammer']);
    expect(rows.some((r) => ((r.data as { email: { sendCount: number } | null }).email?.sendCount ?? 0) > 0)).toBe(true);
    expect(emulator.reportDownloads.withAuthorization).toBe(0);
  });

  it('stages nothing from concealed reports, keeps what it had and says why', async () => {
    const [customer] = emulator.world.customers();
    const row = await tenantRow(customer!.displayName);
    const before = await ctx.database.db.selectFrom('ms_user_activity').select('content_hash').where('tenant_id', '=', row).execute();
    emulator.world.setReportsConcealed(customer!.tenantId, true);
    now += 7 * 3_600_000; // the reports are due again
    const runId = await sync();
    const after = await ctx.database.db.selectFrom('ms_user_activity').select('content_hash').where('tenant_id', '=', row).execute();
    expect(after.length).toBe(before.length);
    const log = await ctx.database.db
      .selectFrom('sync_log')
      .select(['code', 'message'])
      .where('tenant_id', '=', row)
      .where('code', '=', 'reports_concealed')
      .execute();
    expect(log.some((l) => l.message.includes('app activity'))).toBe(true);
    const tenant = await ctx.database.db.selectFrom('tenants').select('health_reason').where('id', '=', row).executeTakeFirstOrThrow();
    expect(tenant.health_reason).toContain('activity');
    expect(runId).toBeTruthy();
    emulator.world.setReportsConcealed(customer!.tenantId, false);
  });

  it('shows a disabled user as disabled, not unknown', async () => {
    const [customer] = emulator.world.customers();
    const user = plainMembers(customer!.tenantId)[1]!;
    emulator.world.disableUser(customer!.tenantId, user.record.id);
    now += 7 * 3_600_000;
    await sync();
    const detail = await tenantUserDetail(ctx.database.db, clock, 30, await tenantRow(customer!.displayName), user.record.id);
    expect(detail.overlay.inactivity?.state).toBe('disabled');
    expect(detail.overlay.inactive).toBeNull();
  });

  it('shows a user whose mailbox was active yesterday as active, though the last sign-in is old', async () => {
    const [customer] = emulator.world.customers();
    const tenantId = customer!.tenantId;
    const [, , active, idle] = plainMembers(tenantId);
    const old = new Date(now - 60 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const quiet = { exchange: null, oneDrive: null, sharePoint: null, teams: null, yammer: null, skype: null };
    for (const u of [active!, idle!]) {
      emulator.world.updateUser(tenantId, u.record.id, {
        signInActivity: {
          ...u.record.signInActivity,
          lastSignInDateTime: old,
          lastSuccessfulSignInDateTime: old,
          lastNonInteractiveSignInDateTime: old,
        },
      });
      setUsageActivity(emulator.world, tenantId, u.record.userPrincipalName, { ...quiet, mailbox: null });
    }
    setUsageActivity(emulator.world, tenantId, active!.record.userPrincipalName, { mailbox: isoDate(now - DAY) });
    now += 25 * 3_600_000; // the daily full listing (signInActivity is not in delta) and the reports
    await sync();
    const row = await tenantRow(customer!.displayName);
    const seen = await tenantUserDetail(ctx.database.db, clock, 30, row, active!.record.id);
    expect(seen.overlay.inactivity).toMatchObject({ state: 'active', lastSeen: { source: 'appActivity', label: 'mailbox' } });
    expect(seen.overlay.inactive).toBe(false);
    const unseen = await tenantUserDetail(ctx.database.db, clock, 30, row, idle!.record.id);
    expect(unseen.overlay.inactivity?.state).toBe('inactive');
    expect(unseen.overlay.inactivity?.evidence.map((e) => e.label)).toContain('interactive sign-in');
  });

  it('judges a tenant without Entra ID P1 and Intune from app activity, naming the missing sources', async () => {
    const customer = emulator.world.customers()[2]!;
    expect(emulator.world.hasPremium(customer.tenantId)).toBe(false);
    const user = plainMembers(customer.tenantId)[0]!;
    const detail = await tenantUserDetail(ctx.database.db, clock, 30, await tenantRow(customer.displayName), user.record.id);
    expect(['active', 'inactive']).toContain(detail.overlay.inactivity?.state);
    expect(detail.overlay.inactivity?.missing.map((m) => m.source).sort()).toEqual(['deviceCheckIn', 'signIn']);
    expect(detail.overlay.inactivity?.evidence.every((e) => e.source === 'appActivity')).toBe(true);
  });
});
