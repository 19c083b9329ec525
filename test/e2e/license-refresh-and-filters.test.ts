// Issue 17 in Chromium, from a real sync of the emulator: "Refresh licenses now" on a tenant's
// Licenses page picks up a licence removed in Microsoft and the page shows the new figures; the MFA
// page and an organization's contacts narrowed by group and department. Screenshots at 1280 and
// 800 px, axe-core clean, no CSP violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { createTechnician } from '../../src/auth/accounts.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { createSyncWorker } from '../../src/sync/worker.ts';
import { enqueueIntegrationRun } from '../../src/sync/runs.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../integration/sync/fixtures.ts';
import { PASSWORD, signIn as apiSignIn } from '../integration/web/support.ts';
import { chromiumAvailable, launchBrowser, listenOnLoopback, shotsChecked, signIn, type BrowserSession } from './harness.ts';

describe.skipIf(!chromiumAvailable)('licence refresh and group filters in Chromium', () => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let app: FastifyInstance;
  let base: string;
  let session: BrowserSession;
  let page: Page;
  let tenantId = '';
  let microsoftTenantId = '';
  let organizationId = '';

  beforeAll(async () => {
    let now = Date.now();
    const clock = { now: () => new Date(now) };
    emulator = await startEmulator({ seed: 17, customers: 1, usersPerTenant: 40, autoConsent: true, clock });
    ctx = await createTestContext('pglite', {
      config: emulatorAsMicrosoft(emulator),
      overrides: { clock, microsoft: { sleep: async (ms: number) => void (now += ms) } },
    });
    microsoftTenantId = emulator.world.customers()[0]!.tenantId;
    const integrationId = await connectIntegrationToEmulator(ctx.microsoft, emulator);
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(ctx.microsoft.runner, { concurrency: 1 }).drain({ runId });
    tenantId = (
      await ctx.database.db
        .selectFrom('tenants')
        .select('id')
        .where('microsoft_tenant_id', '=', microsoftTenantId)
        .executeTakeFirstOrThrow()
    ).id;
    await createTechnician(
      { db: ctx.database.db, clock },
      { username: 'ada', password: PASSWORD, role: 'technician' },
      { id: null, label: 'test' },
    );
    app = await buildApp(ctx);
    const api = await apiSignIn(app, 'ada', PASSWORD);
    const created = await app.inject({
      method: 'POST',
      url: `/api/tenants/${tenantId}/create-organization`,
      headers: { cookie: api.cookie, 'x-csrf-token': api.csrf },
    });
    organizationId = created.json().organization.id;
    base = await listenOnLoopback(app);
    session = await launchBrowser({ screenshotPrefix: 'licence-refresh', timeoutMs: 15_000 });
    page = session.page;
    await signIn(page, { url: base, username: 'ada', password: PASSWORD }, '/', { startAt: '/sign-in' });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await app?.close();
    await ctx?.close();
    await emulator?.close();
  });

  it('refreshes the licences of one tenant on demand and shows the new figures', async () => {
    await page.goto(`${base}/tenants/${tenantId}/licenses`);
    await page.getByRole('heading', { level: 1, name: /^Licenses of / }).waitFor();
    const assignedTotal = async () => Number(await page.locator('tfoot td.num').nth(1).innerText());
    const before = await assignedTotal();
    await shotsChecked(session, '01-licenses-with-refresh');

    let user;
    for (let slot = 0; !user; slot++) {
      const record = emulator.world.userAt(microsoftTenantId, slot)?.record;
      if (record && record.accountEnabled && record.assignedLicenses.length === 1) user = record;
    }
    emulator.world.updateUser(microsoftTenantId, user.id, { assignedLicenses: [] });
    await page.getByRole('button', { name: /^Refresh licenses now/ }).click();
    await page.getByText(/^Licenses refreshed\. licences of .* refreshed: .*licences of 1 user\(s\) changed/).waitFor();
    expect(await assignedTotal()).toBe(before - 1);
    await shotsChecked(session, '02-licenses-refreshed');
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);

  it('narrows the MFA page to a department', async () => {
    await page.goto(`${base}/tenants/${tenantId}/mfa`);
    await page.getByRole('heading', { level: 1, name: /^MFA of / }).waitFor();
    const all = await page.locator('tbody tr').count();
    const department = (await page.locator('#mfa-department option').nth(1).innerText()).trim();
    await page.locator('#mfa-department').selectOption({ label: department });
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/department=/);
    const narrowed = await page.locator('tbody tr').count();
    expect(narrowed).toBeGreaterThan(0);
    expect(narrowed).toBeLessThan(all);
    await expect(page.locator('dl.overlay').innerText()).resolves.toContain('enabled member users shown');
    await shotsChecked(session, '03-mfa-by-department');
    expect(session.cspViolations).toEqual([]);
  }, 60_000);

  it("narrows an organization's contacts to a group", async () => {
    await page.goto(`${base}/organizations/${organizationId}/contacts`);
    const all = await page.locator('tbody tr').count();
    await page.locator('#oc-group').selectOption({ index: 1 });
    await page.locator('form.filters').getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/group=/);
    const narrowed = await page.locator('tbody tr').count();
    expect(narrowed).toBeLessThan(all);
    await shotsChecked(session, '04-organization-contacts-by-group', { wide: true });
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 60_000);
});
