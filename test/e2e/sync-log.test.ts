// A finished run's log and the integration page's Microsoft setup in Chromium: a heading per tenant, repeats collapsed with "×N", and the
// level/tenant filter submitted as a plain GET form; screenshots at 1280 and 800 px, axe clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, listenOnLoopback, type BrowserSession } from './harness.ts';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { createTechnician } from '../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { PASSWORD, seedTenants, TestClock, type Seeded } from '../integration/web/support.ts';

describe.skipIf(!chromiumAvailable)('the sync log in Chromium', () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let base: string;
  let session: BrowserSession;
  let page: Page;
  let seeded: Seeded;
  let runId: string;

  beforeAll(async () => {
    ctx = await createTestContext('pglite', { overrides: { clock: new TestClock(new Date()) } });
    seeded = await seedTenants(ctx);
    const db = ctx.database.db;
    runId = (
      await db
        .insertInto('sync_runs')
        .values({
          integration_id: seeded.integrationId,
          trigger: 'manual',
          status: 'partial',
          summary: '2 of 2 tenants synced (1 partial)',
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    for (const key of ['contoso', 'huge'] as const) {
      const tenant = seeded.tenants[key]!.id;
      const child = await db
        .insertInto('sync_runs')
        .values({ integration_id: seeded.integrationId, tenant_id: tenant, parent_run_id: runId, trigger: 'manual', status: 'partial' })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('sync_log')
        .values([
          ...Array.from({ length: 12 }, () => ({
            run_id: child.id,
            tenant_id: tenant,
            level: 'warning' as const,
            code: 'retrying',
            message: 'Microsoft is throttling requests (429); waiting 30 s before the next one',
            action: null,
          })),
          {
            run_id: child.id,
            tenant_id: tenant,
            level: 'error',
            code: 'permission_missing',
            message: 'docsync may not read devices (DeviceManagementManagedDevices.Read.All is not consented)',
            action: 'grant the permission and re-run admin consent',
          },
        ])
        .execute();
    }
    await createTechnician(
      { db, clock: ctx.clock },
      { username: 'tess', password: PASSWORD, role: 'technician', displayName: 'Tess Technician' },
      { id: null, label: 'test' },
    );
    app = await buildApp(ctx);
    base = await listenOnLoopback(app);
    session = await launchBrowser({ screenshotPrefix: 'sync', timeoutMs: 15_000 });
    page = session.page;
  });
  afterAll(async () => {
    await session?.close();
    await app?.close();
    await ctx?.close();
  });

  const seriousAxeViolations = () => session.axe();

  it('reads per tenant, collapses repeats and filters by level and tenant with a plain form', async () => {
    await page.goto(`${base}/sign-in?next=${encodeURIComponent(`/sync-runs/${runId}`)}`);
    await page.locator('#username').fill('tess');
    await page.locator('#password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/sync-runs/${runId}`);

    await expect(page.getByRole('heading', { level: 3 }).allTextContents()).resolves.toHaveLength(2);
    await expect(page.getByText('×12').count()).resolves.toBe(2);
    expect(await seriousAxeViolations()).toEqual([]);
    await session.screenshot('sync-log-1280');
    await page.setViewportSize({ width: 800, height: 900 });
    await session.screenshot('sync-log-800');
    // A 10,000-character tenant name wraps inside its heading; the per-tenant runs table scrolls in its own box.
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(800);

    await page.locator('#log-level').selectOption('error');
    await page.locator('#log-tenant').selectOption(seeded.tenants.contoso!.id);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/level=error/);
    await expect(page.getByRole('heading', { level: 3 }).allTextContents()).resolves.toEqual([expect.stringContaining('Contoso, Ltd.')]);
    await expect(page.getByText('Microsoft is throttling requests').count()).resolves.toBe(0);
    await expect(page.getByText('docsync may not read devices').count()).resolves.toBe(1);
    await session.screenshot('sync-log-filtered-800');
    expect(await seriousAxeViolations()).toEqual([]);
  }, 120_000);

  it("shows the integration's redirect URI, permissions and GDAP roles within 800 px, axe clean", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/integrations/${seeded.integrationId}#microsoft-setup`);
    await expect(page.locator('#redirect-uri').inputValue()).resolves.toMatch(/\/auth\/microsoft\/callback$/);
    await expect(page.getByRole('cell', { name: 'DeviceManagementManagedDevices.Read.All', exact: true }).count()).resolves.toBe(1);
    expect(await seriousAxeViolations()).toEqual([]);
    await session.screenshot('integration-setup-1280');
    await page.setViewportSize({ width: 800, height: 900 });
    await session.screenshot('integration-setup-800');
    // The setup section fits the window (the page's tenants table further down is another matter).
    const rightEdges = await page.evaluate(
      `['#redirect-uri', '[aria-label="Permissions docsync needs"]', '[aria-label="GDAP roles docsync needs"]']` +
        `.map((selector) => document.querySelector(selector).getBoundingClientRect().right)`,
    );
    expect(rightEdges).toHaveLength(3);
    for (const right of rightEdges as number[]) expect(right).toBeLessThanOrEqual(800);
  }, 60_000);
});
