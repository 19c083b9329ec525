// Groups and their members (issue 17) on both databases, the real Graph client against the
// emulator: a first round lists every group (Microsoft 365, security, mail-enabled security,
// distribution) with its members; a member removed in Microsoft goes at the next run through
// groups/delta; an unchanged re-sync writes no group or member row; the groups API and page
// answer with member counts, "view users", and exclude / re-include.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import type { CustomerProfile } from '../../../src/emulator/world.ts';
import { buildApp } from '../../../src/app.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { tenantGroups } from '../../../src/stores/groups.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../sync/fixtures.ts';
import { signIn } from '../web/support.ts';

describe.each(DATABASE_KINDS)('groups on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let app: FastifyInstance;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;
  let integrationId: string;
  let healthy: CustomerProfile;
  let rowId: string;

  async function syncAll() {
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 1 }).drain({ runId });
    return (await childRuns(ctx.database.db, runId)).find((r) => r.tenant_id === rowId)!;
  }

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 17, customers: 1, usersPerTenant: 60, autoConsent: true, clock });
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
    app = await buildApp(ctx);
    await app.ready();
    for (const role of ['administrator', 'read_only'] as const)
      await createTechnician(
        { db: ctx.database.db, clock },
        { username: role, password: 'correct horse battery staple', role },
        { id: null, label: 'test' },
      );
    healthy = emulator.world.customers()[0]!;
    integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    rowId = (
      await ctx.database.db.selectFrom('tenants').select('id').where('microsoft_tenant_id', '=', healthy.tenantId).executeTakeFirstOrThrow()
    ).id;
    await syncAll();
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await emulator?.close();
  });

  /** The users Microsoft says are in a group, nested groups included. */
  function usersOf(groupId: string, seen = new Set<string>()): Set<string> {
    const users = new Set<string>();
    for (const m of emulator.world.groupMembers(healthy.tenantId, groupId)) {
      if (m.kind === 'user') users.add(m.user.record.id);
      else if (!seen.has(m.group.record.id)) {
        seen.add(m.group.record.id);
        for (const u of usersOf(m.group.record.id, seen)) users.add(u);
      }
    }
    return users;
  }

  it('lists every group with its kind and its users, nested groups included', async () => {
    const groups = await tenantGroups(ctx.database.db, rowId);
    const world = emulator.world.groups(healthy.tenantId);
    expect(groups.map((g) => g.groupId).sort()).toEqual(world.map((g) => g.record.id).sort());
    const byName = new Map(groups.map((g) => [g.displayName, g]));
    expect(byName.get('All Company')?.type).toBe('microsoft365');
    expect(byName.get('Sales')?.type).toBe('security');
    expect(byName.get('Finance Team')?.type).toBe('mail_security');
    expect(byName.get('Newsletter')?.type).toBe('distribution');
    for (const g of world) expect(byName.get(g.record.displayName)?.userCount, g.record.displayName).toBe(usersOf(g.record.id).size);
    expect(byName.get('Finance Team')?.nestedGroupCount).toBe(1);
  });

  it('writes no group or member row when nothing changed, and follows a member leaving through the change feed', async () => {
    const db = ctx.database.db;
    const state = async () => ({
      groups: (await db.selectFrom('ms_groups').select(['group_id', 'last_seen_at']).orderBy('group_id').execute()).map(
        (g) => `${g.group_id}|${new Date(g.last_seen_at).toISOString()}`,
      ),
      members: (
        await db
          .selectFrom('ms_group_members')
          .select(['group_id', 'member_id', 'first_seen_at'])
          .orderBy('group_id')
          .orderBy('member_id')
          .execute()
      ).map((m) => `${m.group_id}|${m.member_id}|${new Date(m.first_seen_at).toISOString()}`),
    });
    const before = await state();
    now += 60_000;
    const quiet = await syncAll();
    expect(quiet.status).toBe('succeeded');
    expect(await state()).toEqual(before);

    const sales = emulator.world.groups(healthy.tenantId).find((g) => g.record.displayName === 'Sales')!;
    const leaving = emulator.world.groupMembers(healthy.tenantId, sales.record.id).find((m) => m.kind === 'user')!;
    if (leaving.kind !== 'user') throw new Error('no user in Sales');
    emulator.world.setGroupMember(healthy.tenantId, sales.record.id, leaving.user.record.id, false);
    now += 60_000;
    await syncAll();
    const after = await state();
    expect(after.groups).toEqual(before.groups);
    expect(before.members.filter((m) => !after.members.includes(m))).toEqual([
      expect.stringContaining(`${sales.record.id}|${leaving.user.record.id}|`),
    ]);
    expect((await tenantGroups(db, rowId)).find((g) => g.groupId === sales.record.id)?.userCount).toBe(usersOf(sales.record.id).size);
  });

  async function call(role: 'administrator' | 'read_only', method: 'GET' | 'POST', url: string) {
    const session = await signIn(app, role, 'correct horse battery staple');
    return app.inject({ method, url, headers: { cookie: session.cookie, 'x-csrf-token': session.csrf } });
  }

  it('answers the groups API as JSON and CSV, and filters the users by group and by department', async () => {
    const groups = await call('read_only', 'GET', `/api/tenants/${rowId}/groups`);
    expect(groups.statusCode).toBe(200);
    const body = groups.json();
    const sales = body.items.find((g: { displayName: string }) => g.displayName === 'Sales');
    expect(sales).toMatchObject({ type: 'security', excluded: false, userCount: usersOf(sales.groupId).size });
    const csv = await call('read_only', 'GET', `/api/tenants/${rowId}/groups?format=csv`);
    expect(
      csv.body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n'),
    ).toHaveLength(body.items.length + 1);

    const finance = body.items.find((g: { displayName: string }) => g.displayName === 'Finance Team');
    const inFinance = await call('read_only', 'GET', `/api/tenants/${rowId}/users?group=${finance.groupId}&pageSize=200`);
    expect(
      inFinance
        .json()
        .items.map((u: { userId: string }) => u.userId)
        .sort(),
    ).toEqual([...usersOf(finance.groupId)].sort());
    const byDepartment = await call('read_only', 'GET', `/api/tenants/${rowId}/users?department=Finance&pageSize=200`);
    const departmentUsers = byDepartment.json().items as Array<{ department: string }>;
    expect(departmentUsers.length).toBeGreaterThan(0);
    expect(departmentUsers.every((u) => u.department === 'Finance')).toBe(true);
    const csvUsers = await call('read_only', 'GET', `/api/tenants/${rowId}/users?department=Finance&format=csv`);
    expect(
      csvUsers.body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n'),
    ).toHaveLength(departmentUsers.length + 1);
    const someone = (departmentUsers[0] as unknown as { userId: string }).userId;
    const detail = await call('read_only', 'GET', `/api/tenants/${rowId}/users/${someone}`);
    expect(detail.json()).toMatchObject({
      department: 'Finance',
      jobTitle: emulator.world.user(healthy.tenantId, someone)!.record.jobTitle,
    });
    const userPage = await call('read_only', 'GET', `/tenants/${rowId}/users/${someone}`);
    expect(userPage.body).toMatch(/<dt>Department<\/dt>\s*<dd>Finance<\/dd>/);
    const page = await call('read_only', 'GET', `/tenants/${rowId}/contacts?group=${finance.groupId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('selected>Finance Team');
  });

  it('excludes a group picked from the list and re-includes it; a read-only account may do neither', async () => {
    const db = ctx.database.db;
    const sales = emulator.world.groups(healthy.tenantId).find((g) => g.record.displayName === 'Sales')!.record.id;
    expect((await call('read_only', 'POST', `/api/tenants/${rowId}/groups/${sales}/exclude`)).statusCode).toBe(403);
    const unknown = await call('administrator', 'POST', `/api/tenants/${rowId}/groups/not-a-group/exclude`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBeDefined();

    const excluded = await call('administrator', 'POST', `/api/tenants/${rowId}/groups/${sales}/exclude`);
    expect(excluded.json()).toMatchObject({ excluded: true, excludedGroupIds: [sales] });
    now += 60_000;
    await syncAll();
    const decisions = async () =>
      new Map(
        (
          await db
            .selectFrom('match_decisions')
            .select(['source_id', 'state'])
            .where('tenant_id', '=', rowId)
            .where('kind', '=', 'contact')
            .execute()
        ).map((d) => [d.source_id, d.state]),
      );
    const members = [...usersOf(sales)];
    expect(members.length).toBeGreaterThan(0);
    const whileExcluded = await decisions();
    for (const id of members) expect(whileExcluded.get(id), id).toBe('excluded');
    // The integration's page names the excluded group and links to where it is re-included.
    const integrationPage = await call('administrator', 'GET', `/integrations/${integrationId}`);
    expect(integrationPage.body).toMatch(new RegExp(`<a href="/tenants/${rowId}/groups"><bdi class="name">Sales</bdi></a>`));
    expect(integrationPage.body).not.toContain('name="excludeGroupIds"');
    const listed = (await call('read_only', 'GET', `/api/tenants/${rowId}/groups`)).json();
    expect(listed.items.find((g: { groupId: string }) => g.groupId === sales).excluded).toBe(true);

    const included = await call('administrator', 'POST', `/api/tenants/${rowId}/groups/${sales}/include`);
    expect(included.json()).toMatchObject({ excluded: false, excludedGroupIds: [] });
    now += 60_000;
    await syncAll();
    const afterwards = await decisions();
    for (const id of members) expect(afterwards.get(id), id).not.toBe('excluded');
    const audit = await db.selectFrom('audit_log').select('action').where('action', '=', 'integration.update').execute();
    expect(audit).toHaveLength(2);
  });
});
