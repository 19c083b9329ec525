// MFA coverage (issue 17) on both databases, the real MSAL and Graph client against the emulator:
// a tenant with Entra ID P1 shows its coverage and each user's registration, admins without MFA
// first; a tenant without P1 and a tenant whose GDAP roles lack a reports role say "not available"
// and why; an unchanged re-sync writes no MFA row; one user registering changes one row; the API
// answers the same, as JSON and as CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { registrationDetailsOf, setRegistrationDetails } from '../../../src/emulator/graph/authentication-methods.ts';
import type { CustomerProfile } from '../../../src/emulator/world.ts';
import { buildApp } from '../../../src/app.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { mfaCoverageByTenant, tenantMfaReport } from '../../../src/reports/mfa.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../sync/fixtures.ts';
import { signIn } from '../web/support.ts';
import { REPORT_INTERVAL_HOURS } from '../../../src/sync/tenant-sync.ts';

describe.each(DATABASE_KINDS)('MFA coverage on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let app: FastifyInstance;
  let cookie: string;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;
  let integrationId: string;
  let healthy: CustomerProfile;
  let noPremium: CustomerProfile;
  let limited: CustomerProfile;

  const rowIdOf = async (tenantId: string) =>
    (await ctx.database.db.selectFrom('tenants').select('id').where('microsoft_tenant_id', '=', tenantId).executeTakeFirstOrThrow()).id;

  /** A sync once the reports (and MFA registration with them) are due again. */
  async function syncLater() {
    now += (REPORT_INTERVAL_HOURS + 1) * 3_600_000;
    return syncAll();
  }

  async function syncAll() {
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 1 }).drain({ runId });
    return runId;
  }

  /** What the emulator's report says: enabled member users, and how many have MFA registered. */
  function expectedCoverage(customer: CustomerProfile) {
    let members = 0;
    let registered = 0;
    for (let slot = 0; slot < emulator.world.userSlotCount(customer.tenantId); slot++) {
      const user = emulator.world.userAt(customer.tenantId, slot);
      if (!user || user.record.accountEnabled === false || (user.record.userType ?? 'Member') !== 'Member') continue;
      members++;
      if (registrationDetailsOf(emulator.world, customer.tenantId, user).isMfaRegistered) registered++;
    }
    return { members, registered };
  }

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 17, customers: 4, usersPerTenant: 30, autoConsent: true, clock });
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
    app = await buildApp(ctx);
    await app.ready();
    await createTechnician(
      { db: ctx.database.db, clock },
      { username: 'tech', password: 'correct horse battery staple', role: 'technician' },
      { id: null, label: 'test' },
    );
    const customers = emulator.world.customers();
    healthy = customers.find((c) => c.traits.premium && c.traits.gdap === 'active' && !c.traits.reportsConcealed)!;
    noPremium = customers.find((c) => !c.traits.premium && c.traits.gdap === 'active')!;
    limited = customers.find((c) => c.traits.gdap === 'limited')!;
    integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    await syncAll();
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await emulator?.close();
  });

  it('shows the share of enabled member users with MFA registered, as Microsoft reports it', async () => {
    const { members, registered } = expectedCoverage(healthy);
    expect(members).toBeGreaterThan(5);
    const coverage = await mfaCoverageByTenant(ctx.database.db);
    expect(coverage.get(await rowIdOf(healthy.tenantId))).toBeCloseTo(registered / members, 10);
    const report = await tenantMfaReport(ctx.database.db, await rowIdOf(healthy.tenantId));
    expect(report.availability).toEqual({ available: true });
    expect(report).toMatchObject({ enabledMembers: members, registered });
  });

  it('says "not available" because the tenant has no Entra ID P1, with no coverage and a healthy run', async () => {
    const rowId = await rowIdOf(noPremium.tenantId);
    expect((await mfaCoverageByTenant(ctx.database.db, [rowId])).get(rowId)).toBeNull();
    const report = await tenantMfaReport(ctx.database.db, rowId);
    expect(report.availability).toMatchObject({
      available: false,
      reason: 'no_license',
      message: expect.stringMatching(/Entra ID P1 or P2/),
    });
    expect(report.users).toEqual([]);
    const runId = await syncLater();
    const run = (await childRuns(ctx.database.db, runId)).find((r) => r.tenant_id === rowId)!;
    const log = await readSyncLog(ctx.database.db, run.id);
    expect(log.find((l) => l.code === 'mfa_not_available')?.level).toBe('info');
    expect(log.some((l) => l.code === 'mfa_not_synced')).toBe(false);
  });

  it('says "not available" because docsync lacks the reports role, names the role and ends the run partial', async () => {
    const rowId = await rowIdOf(limited.tenantId);
    const report = await tenantMfaReport(ctx.database.db, rowId);
    expect(report.availability).toMatchObject({ available: false, reason: 'permission_missing' });
    expect(report.coverage).toBeNull();
    const runId = await syncLater();
    const run = (await childRuns(ctx.database.db, runId)).find((r) => r.tenant_id === rowId)!;
    expect(run.status).toBe('partial');
    const line = (await readSyncLog(ctx.database.db, run.id)).find((l) => l.code === 'mfa_not_synced')!;
    expect(line.message).toMatch(/Authorization_RequestDenied/);
    expect(line.action).toMatch(/AuditLog\.Read\.All.*Global Reader/);
  });

  it('lists admins without MFA first', async () => {
    const rowId = await rowIdOf(healthy.tenantId);
    const admin = emulator.world.userAt(healthy.tenantId, 0)!;
    setRegistrationDetails(emulator.world, healthy.tenantId, admin.record.id, {
      isMfaRegistered: false,
      isMfaCapable: false,
      methodsRegistered: [],
    });
    await syncLater();
    const report = await tenantMfaReport(ctx.database.db, rowId);
    expect(report.users[0]).toMatchObject({ userId: admin.record.id, isAdmin: true, registered: false });
    expect(report.adminsWithoutMfa).toBe(1);
    expect(report.users.findIndex((u) => u.registered === true)).toBeGreaterThan(report.users.findIndex((u) => u.registered === false));
  });

  it('writes no MFA row when nothing changed, and one row when one user registers a method', async () => {
    const db = ctx.database.db;
    const snapshot = async () =>
      (await db.selectFrom('ms_user_registration_details').select(['tenant_id', 'user_id', 'last_seen_at']).execute())
        .map((r) => `${r.tenant_id}|${r.user_id}|${new Date(r.last_seen_at).toISOString()}`)
        .sort();
    const statuses = async () =>
      (await db.selectFrom('tenant_mfa_status').select(['tenant_id', 'changed_at']).execute())
        .map((r) => `${r.tenant_id}|${new Date(r.changed_at).toISOString()}`)
        .sort();
    await syncLater();
    const before = await snapshot();
    const statusBefore = await statuses();
    await syncLater();
    expect(await snapshot()).toEqual(before);
    expect(await statuses()).toEqual(statusBefore);

    const member = emulator.world.userAt(healthy.tenantId, 1)!;
    setRegistrationDetails(emulator.world, healthy.tenantId, member.record.id, {
      isMfaRegistered: true,
      isMfaCapable: true,
      methodsRegistered: ['fido2'],
      isSystemPreferredAuthenticationMethodEnabled: false,
      userPreferredMethodForSecondaryAuthentication: 'none',
    });
    await syncLater();
    const after = await snapshot();
    const changed = after.filter((row) => !before.includes(row));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toContain(member.record.id);
  });

  it('answers GET /api/tenants/:id/mfa as JSON and CSV, and "not available" with the reason', async () => {
    // The clock moved hours through the syncs: a fresh session.
    cookie = (await signIn(app, 'tech', 'correct horse battery staple')).cookie;
    const rowId = await rowIdOf(healthy.tenantId);
    const json = await app.inject({ method: 'GET', url: `/api/tenants/${rowId}/mfa`, headers: { cookie } });
    expect(json.statusCode).toBe(200);
    const body = json.json();
    expect(body).toMatchObject({ available: true, reason: null });
    expect(body.coverage).toBeGreaterThan(0);
    expect(body.items[0]).toMatchObject({ isAdmin: true, mfaRegistered: false });
    const csv = await app.inject({ method: 'GET', url: `/api/tenants/${rowId}/mfa?format=csv`, headers: { cookie } });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toContain('MFA registered');
    expect(lines).toHaveLength(body.items.length + 1);

    const unavailable = await app.inject({
      method: 'GET',
      url: `/api/tenants/${await rowIdOf(noPremium.tenantId)}/mfa`,
      headers: { cookie },
    });
    expect(unavailable.json()).toMatchObject({ available: false, reason: 'no_license', coverage: null, items: [] });
    const missing = await app.inject({ method: 'GET', url: `/api/tenants/00000000-0000-4000-8000-000000000000/mfa`, headers: { cookie } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBeDefined();
    const overlay = await app.inject({
      method: 'GET',
      url: `/api/tenants/${rowId}/users/${encodeURIComponent(emulator.world.userAt(healthy.tenantId, 0)!.record.id)}`,
      headers: { cookie },
    });
    expect(overlay.json().overlay.mfa).toMatchObject({ available: true, registered: false, isAdmin: true });
  });
  it("narrows the MFA list, its coverage and its CSV to a group or a department, as the tenant's user list narrows", async () => {
    cookie = (await signIn(app, 'tech', 'correct horse battery staple')).cookie;
    const rowId = await rowIdOf(healthy.tenantId);
    const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie } });
    const groups = (await get(`/api/tenants/${rowId}/groups`)).json().items as Array<{ groupId: string; userCount: number }>;
    const group = groups.find((g) => g.userCount > 1 && g.userCount < 20)!;
    expect(group).toBeTruthy();
    const ids = (items: Array<{ userId: string }>) => items.map((u) => u.userId).sort();
    const inGroup = (await get(`/api/tenants/${rowId}/users?group=${group.groupId}&pageSize=200`)).json().items;
    const mfaInGroup = (await get(`/api/tenants/${rowId}/mfa?group=${group.groupId}`)).json();
    expect(ids(mfaInGroup.items)).toEqual(ids(inGroup));
    const all = (await get(`/api/tenants/${rowId}/mfa`)).json();
    expect(mfaInGroup.items.length).toBeLessThan(all.items.length);
    // The coverage is that of the users listed.
    const members = (
      mfaInGroup.items as Array<{ accountEnabled: boolean | null; userType: string | null; mfaRegistered: boolean | null }>
    ).filter((u) => u.accountEnabled !== false && (u.userType ?? 'Member') === 'Member');
    expect(mfaInGroup.enabledMembers).toBe(members.length);
    expect(mfaInGroup.registered).toBe(members.filter((u) => u.mfaRegistered === true).length);

    const departments = new Set((all.items as Array<{ department: string | null }>).map((u) => u.department).filter(Boolean));
    const department = [...departments][0] as string;
    const byDepartment = (await get(`/api/tenants/${rowId}/mfa?department=${encodeURIComponent(department)}`)).json();
    expect(byDepartment.items.length).toBeGreaterThan(0);
    expect(byDepartment.items.every((u: { department: string }) => u.department === department)).toBe(true);
    const csv = await get(`/api/tenants/${rowId}/mfa?department=${encodeURIComponent(department)}&format=csv`);
    expect(
      csv.body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n'),
    ).toHaveLength(byDepartment.items.length + 1);

    const page = await get(`/tenants/${rowId}/mfa?group=${group.groupId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`value="${group.groupId}"  selected`);
    expect(page.body).toContain(`/api/tenants/${rowId}/mfa?group=${group.groupId}&amp;format=csv`);
    const none = await get(`/tenants/${rowId}/mfa?group=00000000-0000-4000-8000-000000000000`);
    expect(none.body).toContain('No user fits these filters.');
  });
});
