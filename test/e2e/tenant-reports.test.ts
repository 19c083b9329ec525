// The tenant report pages of issue 17 in Chromium, from a real sync of the emulator: a tenant's
// MFA coverage (admins without MFA first), a tenant without Entra ID P1 ("not available" and
// why), a user's MFA in the Microsoft overlay, and the groups page (exclude, re-include, view
// users filtered by group); screenshots at 1280 and 800 px, axe-core clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { createTechnician } from '../../src/auth/accounts.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { setRegistrationDetails } from '../../src/emulator/graph/authentication-methods.ts';
import { createSyncMicrosoft } from '../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../src/sync/worker.ts';
import { enqueueIntegrationRun } from '../../src/sync/runs.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../integration/sync/fixtures.ts';
import { PASSWORD } from '../integration/web/support.ts';
import { chromiumAvailable, launchBrowser, listenOnLoopback, shotsChecked, signIn, type BrowserSession } from './harness.ts';

describe.skipIf(!chromiumAvailable)('tenant reports in Chromium', () => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let app: FastifyInstance;
  let base: string;
  let session: BrowserSession;
  let page: Page;
  const rows: Record<'healthy' | 'noPremium', string> = { healthy: '', noPremium: '' };
  let adminId = '';

  beforeAll(async () => {
    let now = Date.now();
    const clock = { now: () => new Date(now) };
    emulator = await startEmulator({ seed: 17, customers: 3, usersPerTenant: 25, autoConsent: true, clock });
    ctx = await createTestContext('pglite', { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    const microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
    const customers = emulator.world.customers();
    const healthy = customers.find((c) => c.traits.premium && c.traits.gdap === 'active' && !c.traits.reportsConcealed)!;
    const noPremium = customers.find((c) => !c.traits.premium && c.traits.gdap === 'active')!;
    adminId = emulator.world.userAt(healthy.tenantId, 0)!.record.id;
    setRegistrationDetails(emulator.world, healthy.tenantId, adminId, {
      isMfaRegistered: false,
      isMfaCapable: false,
      methodsRegistered: [],
    });
    const integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 1 }).drain({ runId });
    for (const [key, customer] of [
      ['healthy', healthy],
      ['noPremium', noPremium],
    ] as const) {
      rows[key] = (
        await ctx.database.db
          .selectFrom('tenants')
          .select('id')
          .where('microsoft_tenant_id', '=', customer.tenantId)
          .executeTakeFirstOrThrow()
      ).id;
    }
    await createTechnician(
      { db: ctx.database.db, clock },
      { username: 'ada', password: PASSWORD, role: 'administrator' },
      { id: null, label: 'test' },
    );
    app = await buildApp(ctx);
    base = await listenOnLoopback(app);
    session = await launchBrowser({ screenshotPrefix: 'reports', timeoutMs: 15_000 });
    page = session.page;
    await signIn(page, { url: base, username: 'ada', password: PASSWORD }, '/', { startAt: '/sign-in' });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await app?.close();
    await ctx?.close();
    await emulator?.close();
  });

  /** `wide`: a page whose table is known to be wider than 800 px (the contacts list's actions column, not this issue's). */
  async function look(name: string, options: { wide?: boolean } = {}): Promise<void> {
    await shotsChecked(session, name, options);
  }

  it('shows MFA coverage with admins without MFA first, and opens the admin from there', async () => {
    await page.goto(`${base}/tenants/${rows.healthy}/contacts`);
    await page.getByRole('navigation', { name: 'Tenant' }).getByRole('link', { name: 'MFA' }).click();
    await page.getByRole('heading', { level: 1, name: /^MFA of / }).waitFor();
    await expect(page.locator('dl.overlay').innerText()).resolves.toMatch(/MFA coverage\s+\d+(\.\d)? %/);
    const first = page.locator('tbody tr').first();
    await expect(first.innerText()).resolves.toMatch(/admin[\s\S]*not registered/);
    await look('01-mfa');
    await first.getByRole('link').click();
    await page.waitForURL(`${base}/tenants/${rows.healthy}/users/${adminId}`);
    await expect(page.locator('dl.overlay').innerText()).resolves.toMatch(/MFA\s+not registered admin/);
    await look('02-user-overlay-mfa');
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);

  it('says why MFA is not available for a tenant without Entra ID P1', async () => {
    await page.goto(`${base}/tenants/${rows.noPremium}/mfa`);
    await page.getByRole('heading', { level: 2, name: 'MFA registration is not available for this tenant' }).waitFor();
    await expect(page.locator('main').innerText()).resolves.toContain('Entra ID P1 or P2');
    await expect(page.locator('table').count()).resolves.toBe(0);
    await look('03-mfa-not-available');
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 60_000);

  it('lists the groups by kind, excludes one and re-includes it, and shows the users of a group', async () => {
    await page.goto(`${base}/tenants/${rows.healthy}/contacts`);
    await page.getByRole('navigation', { name: 'Tenant' }).getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('heading', { level: 1, name: /^Groups of / }).waitFor();
    const sales = page.locator('tbody tr', { hasText: 'Sales' }).first();
    await expect(page.locator('tbody').innerText()).resolves.toContain('Distribution list');
    await look('04-groups');
    await sales.getByRole('button', { name: /^Exclude/ }).click();
    await page.getByText(/^Excluded: its members are left out/).waitFor();
    await page.reload();
    await expect(page.locator('tbody tr', { hasText: 'Sales' }).first().innerText()).resolves.toContain('excluded');
    await look('05-groups-excluded');
    await page
      .locator('tbody tr', { hasText: 'Sales' })
      .first()
      .getByRole('button', { name: /^Re-include/ })
      .click();
    await page.getByText(/^Re-included/).waitFor();
    await page.reload();
    await expect(page.locator('tbody tr', { hasText: 'Sales' }).first().innerText()).resolves.not.toContain('excluded');

    await page
      .locator('tbody tr', { hasText: 'Finance Team' })
      .getByRole('link', { name: /View users/ })
      .click();
    await page.waitForURL(/\/contacts\?group=/);
    await expect(page.locator('#c-group option:checked').innerText()).resolves.toBe('Finance Team');
    await look('06-users-of-group', { wide: true });
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);
});
