// The report pages of issue 17 in Chromium: every customer side by side, one tenant's licence cost
// and waste and an organization's trends, each with a server-rendered SVG chart and its numbers,
// at 1280 and 800 px, checked with axe-core and for CSP violations. Seeds the database directly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { createTechnician } from '../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { PASSWORD, seedContents, seedTenants, TestClock, type Seeded } from '../integration/web/support.ts';
import { recordTenantReport } from '../../src/reports/snapshots.ts';
import { insertSnapshot } from '../../src/stores/snapshots.ts';
import { savePrice } from '../../src/stores/licenses.ts';
import { chromiumAvailable, launchBrowser, listenOnLoopback, shotsChecked, type BrowserSession } from './harness.ts';

const DAY = 86_400_000;

describe.skipIf(!chromiumAvailable)('the report pages in Chromium', () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let base: string;
  let session: BrowserSession;
  let page: Page;
  let seeded: Seeded;

  beforeAll(async () => {
    ctx = await createTestContext('pglite', { overrides: { clock: new TestClock(new Date()) } });
    seeded = await seedTenants(ctx);
    await seedContents(ctx, seeded, ctx.clock.now());
    const db = ctx.database.db;
    const now = ctx.clock.now();
    const integrationId = (await db.selectFrom('integrations').select('id').executeTakeFirstOrThrow()).id;
    const skus = await db.selectFrom('ms_subscribed_skus').select('sku_id').execute();
    for (const s of skus)
      await savePrice(db, { integrationId: null, skuId: s.sku_id, monthlyPriceMinor: 2200, currency: 'EUR', by: 'test', now });
    // Sixty days of history for two tenants, then today's real figures.
    for (const [key, scale] of [
      ['contoso', 1],
      ['northwind', 0.6],
    ] as const) {
      const tenantId = seeded.tenants[key]!.id;
      for (let d = 60; d >= 1; d--) {
        const wave = Math.round(4 * Math.sin(d / 6));
        await insertSnapshot(
          db,
          {
            tenantId,
            takenOn: new Date(now.getTime() - d * DAY).toISOString().slice(0, 10),
            users: Math.round((40 - d / 6) * scale),
            enabledUsers: Math.round((36 - d / 6) * scale),
            licensedUsers: Math.round((30 - d / 8) * scale),
            inactiveUsers: Math.max(0, Math.round((6 + wave) * scale)),
            unusedPaidSeats: Math.max(0, Math.round((10 - d / 10) * scale)),
            wasteSeats: Math.max(0, Math.round((14 + wave - d / 10) * scale)),
            monthlyWasteMinor: null,
            currency: null,
            mfaCoverage: null,
            seats: [],
          },
          new Date(now.getTime() - d * DAY),
        );
      }
      await recordTenantReport(db, { tenantId: tenantId, integrationId, now, inactiveDays: 30 });
    }
    await createTechnician(
      { db, clock: ctx.clock },
      { username: 'tess', password: PASSWORD, role: 'technician', displayName: 'Tess Technician' },
      { id: null, label: 'test' },
    );
    app = await buildApp(ctx);
    base = await listenOnLoopback(app);
    session = await launchBrowser({ screenshotPrefix: 'reports', timeoutMs: 15_000 });
    page = session.page;
  }, 90_000);

  afterAll(async () => {
    await session?.close();
    await app?.close();
    await ctx?.close();
  });

  async function look(name: string): Promise<void> {
    await shotsChecked(session, name);
  }

  it('shows every customer sorted by waste, with a trend chart and its numbers', async () => {
    await page.goto(`${base}/sign-in?next=%2Freports`);
    await page.getByLabel('Username or email').fill('tess');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/reports`);
    await page.getByRole('heading', { level: 1, name: 'Reports: every customer' }).waitFor();
    await expect(page.locator('svg.chart-svg polyline').count()).resolves.toBe(4);
    await expect(page.locator('.chart-table tbody tr').count()).resolves.toBe(31);
    await look('01-overview');
    await page.getByRole('link', { name: /^Unused paid seats/ }).click();
    await page.waitForURL(/sort=-unusedPaidSeats/);
    await page.getByRole('link', { name: 'Contoso, Ltd.' }).click();
    await page.getByRole('heading', { level: 1, name: /Licence cost and waste/ }).waitFor();
    await expect(page.locator('main').innerText()).resolves.toContain('EUR');
    await look('02-tenant-licence-report');
    await page.goto(`${base}/organizations/${seeded.organizations.contoso}/trends`);
    await page.getByRole('heading', { level: 1, name: /Trends/ }).waitFor();
    await look('03-organization-trends');
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 120_000);
});
