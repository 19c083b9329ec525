// Issue 17, "refresh licenses now" for one tenant against the emulator on both databases: a small
// sync of subscribedSkus and the users' assignedLicenses that writes nothing when nothing changed,
// picks up a licence change made in Microsoft since the last sync (the licence report and the
// page show it at once), and loses nothing when Microsoft fails half-way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { buildApp } from '../../../src/app.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../sync/fixtures.ts';
import { signIn, PASSWORD } from '../web/support.ts';
import { tenantStatus } from '../../../src/web/services/tenant-status.ts';
import { reclaimExpiredLeases } from '../../../src/sync/queue.ts';

interface SkuFigures {
  skuId: string;
  consumed: number;
  free: boolean;
}

describe.each(DATABASE_KINDS)('refresh licenses now on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let app: FastifyInstance;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let integrationId: string;
  let technician: { cookie: string; csrf: string };
  let reader: { cookie: string; csrf: string };
  let tenant: { id: string; microsoft_tenant_id: string; display_name: string };

  const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie: technician.cookie } });
  const refresh = (who = technician) =>
    app.inject({
      method: 'POST',
      url: `/api/tenants/${tenant.id}/licenses/refresh`,
      headers: { cookie: who.cookie, 'x-csrf-token': who.csrf },
    });
  const sync = async () => {
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(ctx.microsoft.runner, { concurrency: 1 }).drain({ runId });
  };
  /** Every staged user and SKU of the tenant with its hash and when it last changed. */
  const staged = async () => ({
    users: await ctx.database.db
      .selectFrom('ms_users')
      .select(['user_id', 'content_hash', 'last_seen_at'])
      .where('tenant_id', '=', tenant.id)
      .orderBy('user_id')
      .execute(),
    skus: await ctx.database.db
      .selectFrom('ms_subscribed_skus')
      .select(['sku_id', 'content_hash', 'last_seen_at', 'removed_at'])
      .where('tenant_id', '=', tenant.id)
      .orderBy('sku_id')
      .execute(),
  });
  const licenseReport = async () => (await get(`/api/tenants/${tenant.id}/license-report`)).json() as { skus: SkuFigures[] };
  /** A licensed, enabled user of the emulated tenant and one paid SKU they hold. */
  const licensedUser = () => {
    for (let slot = 0; slot < emulator.world.userCount(tenant.microsoft_tenant_id); slot++) {
      const user = emulator.world.userAt(tenant.microsoft_tenant_id, slot)?.record;
      if (user && user.accountEnabled && user.assignedLicenses.length > 0) return user;
    }
    throw new Error('no licensed user in the emulated tenant');
  };

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 17, customers: 2, usersPerTenant: 20, autoConsent: true, clock });
    ctx = await createTestContext(kind, {
      config: emulatorAsMicrosoft(emulator),
      // Retry-After and backoff waits move the test clock instead of waiting.
      overrides: { clock, microsoft: { sleep: async (ms: number) => void (now += ms) } },
    });
    integrationId = await connectIntegrationToEmulator(ctx.microsoft, emulator);
    app = await buildApp(ctx);
    await app.ready();
    for (const [username, role] of [
      ['tech-user', 'technician'],
      ['reader-user', 'read_only'],
    ] as const) {
      await createTechnician({ db: ctx.database.db, clock }, { username, password: PASSWORD, role }, { id: null, label: 'test' });
    }
    technician = await signIn(app, 'tech-user', PASSWORD);
    reader = await signIn(app, 'reader-user', PASSWORD);
    await sync();
    tenant = await ctx.database.db
      .selectFrom('tenants')
      .select(['id', 'microsoft_tenant_id', 'display_name'])
      .where('active', '=', true)
      .orderBy('display_name')
      .executeTakeFirstOrThrow();
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await emulator?.close();
  });

  it('writes no row when nothing changed in Microsoft since the sync, and says so in the sync log', async () => {
    const before = await staged();
    now += 60_000;
    const response = await refresh();
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ status: 'succeeded', rowsWritten: 0, users: { changed: 0 }, skus: { added: 0, changed: 0, removed: 0 } });
    expect(body.users.unchanged).toBe(before.users.length);
    expect(await staged()).toEqual(before);
    const run = (await get(`/api/sync-runs/${body.runId}`)).json();
    expect(run.log.map((l: { message: string }) => l.message).join('\n')).toContain(
      `licences of ${tenant.display_name} refreshed: nothing changed`,
    );
  });

  it('picks up a licence removed in Microsoft since the last sync: the report, the holders and the page show it at once', async () => {
    const user = licensedUser();
    const skuId = user.assignedLicenses[0]!.skuId.toLowerCase();
    const consumedBefore = (await licenseReport()).skus.find((s) => s.skuId === skuId)!.consumed;
    const holdersBefore = (await get(`/api/tenants/${tenant.id}/licenses/${skuId}/users`)).json().items;
    expect(holdersBefore.map((h: { userId: string }) => h.userId)).toContain(user.id);
    const before = await staged();

    emulator.world.updateUser(tenant.microsoft_tenant_id, user.id, { assignedLicenses: user.assignedLicenses.slice(1) });
    now += 60_000;
    const response = await refresh();
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.users.changed).toBe(1);
    expect(body.skus.changed).toBeGreaterThanOrEqual(1);
    expect(body.rowsWritten).toBeGreaterThanOrEqual(2);

    // Only the one user's row changed, and only its licences.
    const after = await staged();
    const changed = after.users.filter((u, i) => u.content_hash !== before.users[i]!.content_hash).map((u) => u.user_id);
    expect(changed).toEqual([user.id]);
    const row = await ctx.database.db
      .selectFrom('ms_users')
      .select('data')
      .where('tenant_id', '=', tenant.id)
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    const data = row.data as { assignedLicenses: unknown[]; userPrincipalName: string };
    expect(data.assignedLicenses).toHaveLength(user.assignedLicenses.length - 1);
    expect(data.userPrincipalName).toBe(user.userPrincipalName);

    expect((await licenseReport()).skus.find((s) => s.skuId === skuId)!.consumed).toBe(consumedBefore - 1);
    const holders = (await get(`/api/tenants/${tenant.id}/licenses/${skuId}/users`)).json().items;
    expect(holders.map((h: { userId: string }) => h.userId)).not.toContain(user.id);
    const page = await get(`/tenants/${tenant.id}/licenses`);
    expect(page.body).toContain(`data-api="POST /api/tenants/${tenant.id}/licenses/refresh"`);

    // The overview's figures follow too (the tenant's report figures were rewritten).
    const overview = (await get('/api/reports/overview')).json().tenants.find((t: { tenantId: string }) => t.tenantId === tenant.id);
    const report = (await get(`/api/tenants/${tenant.id}/license-report`)).json();
    expect(overview.licensedUsers).toBe(report.licensedUsers);

    // The next sync reads the same change from the users' change feed: it has nothing left to stage.
    const refreshed = await staged();
    now += 60_000;
    await sync();
    expect((await staged()).users).toEqual(refreshed.users);
    expect((await refresh()).json()).toMatchObject({ rowsWritten: 0 });
  });

  it('loses nothing when Microsoft fails after the subscriptions were read: 5xx in the error shape, the run failed in words', async () => {
    const user = licensedUser();
    emulator.world.updateUser(tenant.microsoft_tenant_id, user.id, { assignedLicenses: [] });
    const before = await staged();
    const outage = emulator.control.faults.add({ server: 'graph', endpoint: '/v1.0/users*', action: { kind: 'status', status: 503 } });
    try {
      now += 60_000;
      const response = await refresh();
      expect(response.statusCode).toBeGreaterThanOrEqual(502);
      const error = response.json().error;
      expect(error.code).toBeTruthy();
      expect(error.requestId).toBeTruthy();
    } finally {
      emulator.control.faults.remove(outage.id);
    }
    // The subscriptions were read (their counts changed) but nothing was written.
    expect(await staged()).toEqual(before);
    const run = await ctx.database.db
      .selectFrom('sync_runs')
      .select(['id', 'status', 'kind'])
      .where('tenant_id', '=', tenant.id)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'failed', kind: 'license_refresh' });
    const log = (await get(`/api/sync-runs/${run.id}`)).json().log;
    expect(log[0].message).toContain(`licences of ${tenant.display_name} were not refreshed`);
    expect(log[0].message).toContain('the previous data is kept');

    // A failed refresh is not the tenant's last sync: its status still comes from the sync.
    const row = await ctx.database.db.selectFrom('tenants').selectAll().where('id', '=', tenant.id).executeTakeFirstOrThrow();
    const status = await tenantStatus(ctx.database.db, row, clock.now());
    expect(status.lastRun?.id).not.toBe(run.id);
    expect(status.problems.map((p) => p.code)).not.toContain('licenses_not_refreshed');

    // With Microsoft back, the change arrives.
    now += 60_000;
    expect((await refresh()).json().users.changed).toBe(1);
  });

  it('answers 409 while the tenant is being synced, and 403 to a read-only account', async () => {
    expect((await refresh(reader)).statusCode).toBe(403);
    const running = await ctx.database.db
      .insertInto('sync_runs')
      .values({ integration_id: integrationId, tenant_id: tenant.id, trigger: 'manual', status: 'running', started_at: clock.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    try {
      const response = await refresh();
      expect(response.statusCode).toBe(409);
      expect(response.json().error.message).toContain('is being synced right now');
    } finally {
      await ctx.database.db
        .updateTable('sync_runs')
        .set({ status: 'succeeded', finished_at: clock.now() })
        .where('id', '=', running.id)
        .execute();
    }
  });
  it('ends a refresh whose web process died as failed, never as a queued sync', async () => {
    const lost = await ctx.database.db
      .insertInto('sync_runs')
      .values({
        integration_id: integrationId,
        tenant_id: tenant.id,
        trigger: 'manual',
        kind: 'license_refresh',
        status: 'running',
        started_at: clock.now(),
        lease_owner: 'web:gone',
        lease_expires_at: new Date(now - 1000),
        attempts: 1,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(await reclaimExpiredLeases(ctx.database.db, clock.now())).toBe(1);
    const run = await ctx.database.db.selectFrom('sync_runs').select('status').where('id', '=', lost.id).executeTakeFirstOrThrow();
    expect(run.status).toBe('failed');
    const log = (await get(`/api/sync-runs/${lost.id}`)).json().log;
    expect(log[0].message).toContain('the licence refresh of this tenant did not finish');
  });
});
