// Issue 17, licences and the cross-customer report against the emulator on both databases: the
// overview's exact JSON shape, sorting, CSV, waste priced by the MSP's prices (an integration's
// override wins), who holds a SKU, and daily snapshots (one a day, nothing written by a no-change
// re-sync the same day, pruned after 400 days).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { buildApp } from '../../../src/app.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../sync/fixtures.ts';
import { signIn, PASSWORD } from '../web/support.ts';

const CONTRACT_KEYS = [
  'tenantId',
  'organizationId',
  'users',
  'enabledUsers',
  'licensedUsers',
  'mfaCoverage',
  'inactiveUsers',
  'unusedPaidSeats',
  'monthlyWaste',
  'currency',
];

describe.each(DATABASE_KINDS)('licences, overview and snapshots on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let app: FastifyInstance;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;
  let integrationId: string;
  let admin: { cookie: string; csrf: string };
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie: admin.cookie } });
  const send = (method: 'PUT' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
    app.inject({ method, url, headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf }, ...(payload ? { payload } : {}) });
  const sync = async () => {
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 1 }).drain({ runId });
  };
  const snapshotCount = async () =>
    Number(
      (
        await ctx.database.db
          .selectFrom('tenant_snapshots')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 91, customers: 3, usersPerTenant: 25, autoConsent: true, clock });
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
    integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    app = await buildApp(ctx);
    await app.ready();
    await createTechnician(
      { db: ctx.database.db, clock },
      { username: 'admin-user', password: PASSWORD, role: 'administrator' },
      { id: null, label: 'test' },
    );
    admin = await signIn(app, 'admin-user', PASSWORD);
    await sync();
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await emulator?.close();
  });

  it('answers the overview in exactly the documented shape, without money until prices are entered', async () => {
    const response = await get('/api/reports/overview');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual(['tenants', 'totals']);
    expect(body.tenants.length).toBeGreaterThanOrEqual(3);
    for (const t of body.tenants) {
      for (const key of Object.keys(t)) expect(CONTRACT_KEYS).toContain(key);
      expect(t).not.toHaveProperty('monthlyWaste');
      expect(t.users).toBeGreaterThanOrEqual(t.enabledUsers);
    }
    expect(body.totals.users).toBe(body.tenants.reduce((n: number, t: { users: number }) => n + t.users, 0));
    const sorted = (await get('/api/reports/overview?sort=-unusedPaidSeats'))
      .json()
      .tenants.map((t: { unusedPaidSeats: number }) => t.unusedPaidSeats);
    expect(sorted).toEqual([...sorted].sort((a, b) => b - a));
    expect((await get('/api/reports/overview?sort=bogus')).statusCode).toBe(400);
  });

  it('prices the waste of each tenant, an integration override winning over the global price', async () => {
    const [tenant] = (await get('/api/reports/overview?sort=-unusedPaidSeats')).json().tenants;
    const report = (await get(`/api/tenants/${tenant.tenantId}/license-report`)).json();
    const paid = report.skus.find((s: { free: boolean; wasteSeats: number }) => !s.free && s.wasteSeats > 0);
    expect(paid).toBeTruthy();
    expect((await send('PUT', `/api/license-prices/${paid.skuId}`, { monthlyPrice: 20, currency: 'eur' })).statusCode).toBe(400);
    expect((await send('PUT', `/api/license-prices/${paid.skuId}`, { monthlyPrice: 20.5, currency: 'EUR' })).statusCode).toBe(200);
    const priced = (await get(`/api/tenants/${tenant.tenantId}/license-report`)).json();
    const sku = priced.skus.find((s: { skuId: string }) => s.skuId === paid.skuId);
    expect(sku.monthlyWaste).toBeCloseTo(sku.wasteSeats * 20.5, 5);
    expect(sku.price).toMatchObject({ monthlyPrice: 20.5, currency: 'EUR', scope: 'global' });
    const row = (await get('/api/reports/overview')).json().tenants.find((t: { tenantId: string }) => t.tenantId === tenant.tenantId);
    expect(row).toMatchObject({ monthlyWaste: priced.monthlyWaste, currency: 'EUR' });

    await send('PUT', `/api/license-prices/${paid.skuId}`, { monthlyPrice: 10, currency: 'EUR', integrationId });
    const overridden = (await get(`/api/tenants/${tenant.tenantId}/license-report`)).json();
    expect(overridden.skus.find((s: { skuId: string }) => s.skuId === paid.skuId).price).toMatchObject({
      monthlyPrice: 10,
      scope: 'integration',
    });
    expect((await send('DELETE', `/api/license-prices/${paid.skuId}?integrationId=${integrationId}`)).json()).toEqual({ removed: true });

    const csv = await get('/api/reports/overview?format=csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body.replace(/^\uFEFF/, '').split('\r\n')[0]).toContain('Unused paid seats');
    expect(csv.body).toContain('EUR');
  });

  it('lists who holds a SKU, with their state', async () => {
    const [tenant] = (await get('/api/reports/overview?sort=-licensedUsers')).json().tenants;
    const report = (await get(`/api/tenants/${tenant.tenantId}/license-report`)).json();
    const sku = report.skus.find((s: { consumed: number }) => s.consumed > 0);
    const holders = (await get(`/api/tenants/${tenant.tenantId}/licenses/${sku.skuId}/users`)).json().items;
    expect(holders.length).toBeGreaterThan(0);
    expect(holders.every((h: { state: string }) => ['active', 'inactive', 'disabled', 'unknown'].includes(h.state))).toBe(true);
    const page = await get(`/tenants/${tenant.tenantId}/licenses/${sku.skuId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`/tenants/${tenant.tenantId}/users/`);
  });

  it("shows each tenant's MFA coverage as its MFA page does, and keeps it in the day's snapshot", async () => {
    const tenants = (await get('/api/reports/overview?sort=mfaCoverage')).json().tenants as Array<{
      tenantId: string;
      mfaCoverage?: number;
    }>;
    const withCoverage = tenants.filter((t) => t.mfaCoverage !== undefined);
    expect(withCoverage.length).toBeGreaterThan(0);
    // Worst first; tenants whose MFA registration cannot be read have no figure and come last.
    expect(tenants.slice(0, withCoverage.length)).toEqual(withCoverage);
    for (const t of withCoverage) {
      const mfa = (await get(`/api/tenants/${t.tenantId}/mfa`)).json();
      expect(t.mfaCoverage).toBeCloseTo(mfa.coverage, 6);
      const snapshot = await ctx.database.db
        .selectFrom('tenant_snapshots')
        .select('mfa_coverage')
        .where('tenant_id', '=', t.tenantId)
        .executeTakeFirstOrThrow();
      expect(Number(snapshot.mfa_coverage)).toBeCloseTo(mfa.coverage, 6);
    }
  });

  it('takes one snapshot a day: a no-change re-sync the same day writes no figures and no snapshot', async () => {
    const first = await snapshotCount();
    expect(first).toBeGreaterThanOrEqual(3);
    const figures = await ctx.database.db
      .selectFrom('tenant_report_figures')
      .select(['tenant_id', 'computed_at'])
      .orderBy('tenant_id')
      .execute();
    now += 2 * 3_600_000;
    await sync();
    expect(await snapshotCount()).toBe(first);
    const again = await ctx.database.db
      .selectFrom('tenant_report_figures')
      .select(['tenant_id', 'computed_at'])
      .orderBy('tenant_id')
      .execute();
    expect(again).toEqual(figures);
    now += 24 * 3_600_000;
    await sync();
    expect(await snapshotCount()).toBe(first * 2);
  });

  it('prunes snapshots older than 400 days when the next one is taken', async () => {
    const { tenant_id: tenantId } = await ctx.database.db.selectFrom('tenant_snapshots').select('tenant_id').executeTakeFirstOrThrow();
    const old = { tenant_id: tenantId, users: 1, enabled_users: 1, licensed_users: 1, inactive_users: 0, unused_paid_seats: 0 };
    const rest = { waste_seats: 0, seats: '[]', taken_at: new Date(now) };
    await ctx.database.db
      .insertInto('tenant_snapshots')
      .values([
        { ...old, ...rest, taken_on: new Date(now - 401 * 86_400_000).toISOString().slice(0, 10) },
        { ...old, ...rest, taken_on: new Date(now - 300 * 86_400_000).toISOString().slice(0, 10) },
      ])
      .execute();
    now += 24 * 3_600_000;
    await sync();
    const days = (await ctx.database.db.selectFrom('tenant_snapshots').select('taken_on').where('tenant_id', '=', tenantId).execute()).map(
      (r) => r.taken_on,
    );
    expect(days).not.toContain(new Date(now - 402 * 86_400_000).toISOString().slice(0, 10));
    expect(days.some((d) => d < new Date(now - 299 * 86_400_000).toISOString().slice(0, 10))).toBe(true);
  });

  it('renders the report pages with their charts and numbers', async () => {
    admin = await signIn(app, 'admin-user', PASSWORD); // the clock moved days on: a fresh session
    const page = await get('/reports');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<svg class="chart-svg"');
    expect(page.body).toContain('the numbers');
    expect(page.body).not.toMatch(/<script(?![^>]*src=)/);
    expect(page.body).not.toMatch(/\sstyle="/);
  });
});
