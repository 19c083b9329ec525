// Issue 17, "every user list filters by group and department": an organization's contacts (the
// page, GET /api/organizations/{id}/contacts and its CSV) narrowed to a group of its tenant (nested
// groups' users too) or to the department Microsoft gives the linked user, on both databases with
// the real Graph client against the emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { buildApp } from '../../../src/app.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../sync/fixtures.ts';
import { signIn, PASSWORD } from '../web/support.ts';

interface ContactItem {
  id: string;
  tenantId: string | null;
  microsoftUserId: string | null;
}

describe.each(DATABASE_KINDS)('organization contacts by group and department on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let app: FastifyInstance;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let technician: { cookie: string; csrf: string };
  let microsoftTenantId: string;
  let organizationId: string;

  const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie: technician.cookie } });
  const contacts = async (query: string) =>
    (await get(`/api/organizations/${organizationId}/contacts?pageSize=200${query}`)).json().items as ContactItem[];
  const userIds = (items: ContactItem[]) => items.map((c) => c.microsoftUserId).sort();

  /** The users Microsoft says are in a group, nested groups included. */
  function usersOf(groupId: string, seen = new Set<string>()): Set<string> {
    const users = new Set<string>();
    for (const m of emulator.world.groupMembers(microsoftTenantId, groupId)) {
      if (m.kind === 'user') users.add(m.user.record.id);
      else if (!seen.has(m.group.record.id)) {
        seen.add(m.group.record.id);
        for (const u of usersOf(m.group.record.id, seen)) users.add(u);
      }
    }
    return users;
  }

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 17, customers: 1, usersPerTenant: 60, autoConsent: true, clock });
    ctx = await createTestContext(kind, {
      config: emulatorAsMicrosoft(emulator),
      overrides: { clock, microsoft: { sleep: async (ms: number) => void (now += ms) } },
    });
    const integrationId = await connectIntegrationToEmulator(ctx.microsoft, emulator);
    app = await buildApp(ctx);
    await app.ready();
    await createTechnician(
      { db: ctx.database.db, clock },
      { username: 'tech', password: PASSWORD, role: 'technician' },
      { id: null, label: 'test' },
    );
    technician = await signIn(app, 'tech', PASSWORD);
    microsoftTenantId = emulator.world.customers()[0]!.tenantId;
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(ctx.microsoft.runner, { concurrency: 1 }).drain({ runId });
    const tenant = await ctx.database.db
      .selectFrom('tenants')
      .select('id')
      .where('microsoft_tenant_id', '=', microsoftTenantId)
      .executeTakeFirstOrThrow();
    // The technician documents the tenant as a new organization: its users become contacts at once.
    const created = await app.inject({
      method: 'POST',
      url: `/api/tenants/${tenant.id}/create-organization`,
      headers: { cookie: technician.cookie, 'x-csrf-token': technician.csrf },
    });
    expect(created.statusCode).toBe(201);
    organizationId = created.json().organization.id;
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await emulator?.close();
  });

  it("narrows the contacts to a group's users, nested groups' users included", async () => {
    const all = await contacts('');
    expect(all.length).toBeGreaterThan(10);
    const linked = new Set(all.map((c) => c.microsoftUserId));
    // A group with a nested group, whose users are only some of the contacts.
    const group = emulator.world
      .groups(microsoftTenantId)
      .find((g) => emulator.world.groupMembers(microsoftTenantId, g.record.id).some((m) => m.kind === 'group'))!;
    expect(group).toBeTruthy();
    const expected = [...usersOf(group.record.id)].filter((id) => linked.has(id)).sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);
    expect(userIds(await contacts(`&group=${group.record.id}`))).toEqual(expected);
    // A group no tenant of the organization has: nothing, not everything.
    expect(await contacts('&group=00000000-0000-4000-8000-000000000000')).toEqual([]);
  });

  it('narrows the contacts to a department, with the search and in the CSV alike', async () => {
    const all = await contacts('');
    const departmentOf = new Map<string, string | null>();
    for (let slot = 0; slot < emulator.world.userSlotCount(microsoftTenantId); slot++) {
      const user = emulator.world.userAt(microsoftTenantId, slot)?.record;
      if (user) departmentOf.set(user.id, user.department ?? null);
    }
    const department = all.map((c) => departmentOf.get(c.microsoftUserId ?? '')).find(Boolean)!;
    const expected = all.filter((c) => departmentOf.get(c.microsoftUserId ?? '') === department);
    const narrowed = await contacts(`&department=${encodeURIComponent(department)}`);
    expect(userIds(narrowed)).toEqual(userIds(expected));
    expect(narrowed.length).toBeLessThan(all.length);

    const csv = await get(`/api/organizations/${organizationId}/contacts?department=${encodeURIComponent(department)}&format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(
      csv.body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n'),
    ).toHaveLength(narrowed.length + 1);

    const page = await get(`/organizations/${organizationId}/contacts?department=${encodeURIComponent(department)}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<option value="${department}"  selected>`);
    expect(page.body).toContain(
      `/organizations/${organizationId}/contacts?department=${encodeURIComponent(department).replace(/%20/g, '+')}&amp;format=csv`,
    );
    const none = await get(`/organizations/${organizationId}/contacts?department=No+such+department`);
    expect(none.body).toContain('No contact matches these filters.');
  });
});
