// The documentation pages in Chromium as a technician uses them: the home page (what needs
// attention), at 1280 and 800 px, checked with axe-core. Seeds the database directly, as
// technician-ui.test.ts does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { createTechnician } from '../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { PASSWORD, seedContents, seedTenants, TestClock, type Seeded } from '../integration/web/support.ts';
import { chromiumAvailable, launchBrowser, listenOnLoopback, shotsChecked, type BrowserSession } from './harness.ts';

describe.skipIf(!chromiumAvailable)('the documentation pages in Chromium', () => {
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
    await db
      .updateTable('tenants')
      .set({ health: 'failing', health_reason: 'consent missing' })
      .where('id', '=', seeded.tenants.contoso!.id)
      .execute();
    await db
      .updateTable('tenants')
      .set({ relationship_end_at: new Date(ctx.clock.now().getTime() + 12 * 86_400_000 - 3_600_000), auto_extend: false })
      .where('id', '=', seeded.tenants.northwind!.id)
      .execute();
    await createTechnician(
      { db, clock: ctx.clock },
      { username: 'tess', password: PASSWORD, role: 'technician', displayName: 'Tess Technician' },
      { id: null, label: 'test' },
    );
    app = await buildApp(ctx);
    base = await listenOnLoopback(app);
    session = await launchBrowser({ screenshotPrefix: 'docs', timeoutMs: 15_000 });
    page = session.page;
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await app?.close();
    await ctx?.close();
  });

  /** Screenshots at both widths, axe at both: a table or list must stay usable at 800 px. */
  async function look(name: string): Promise<void> {
    await shotsChecked(session, name);
  }

  it('lands on what needs attention after sign-in and follows an item to where it is fixed', async () => {
    await page.goto(`${base}/`);
    expect(page.url()).toContain('/sign-in?next=%2F');
    await page.getByLabel('Username or email').fill('tess');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/`);
    await page.getByRole('heading', { level: 1, name: 'Needs attention' }).waitFor();
    await expect(page.locator('li[data-kind="consent_missing"]').count()).resolves.toBe(1);
    await expect(page.locator('li[data-kind="relationship_ending"]').innerText()).resolves.toContain('in 12 days');
    await look('01-home');

    // The severity filter keeps only warnings.
    await page.getByRole('link', { name: /^warning \d+$/ }).click();
    await page.waitForURL(/severity=warning/);
    await expect(page.locator('li.attention-item:not(.attention-warning)').count()).resolves.toBe(0);

    // A review waiting: the link opens the tenant's users to review.
    const review = page.locator('li[data-kind="contact_review"]');
    await review.getByRole('link', { name: /^Fix it/ }).click();
    await page.waitForURL(`${base}/tenants/${seeded.tenants.contoso!.id}/contacts?decision=review`);
    await page.locator('tr[data-user="u-alex"]').waitFor();
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);

  it('finds an organization, reads its documentation, edits a contact and adds one by hand', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organizations', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Organizations' }).waitFor();
    // Sort by contacts, biggest first: Contoso has three.
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.waitForURL(/sort=-contacts/);
    await expect(page.locator('tbody tr').first().innerText()).resolves.toContain('Contoso Ltd');
    await look('02-organizations');

    await page.getByRole('link', { name: 'Contoso Ltd' }).click();
    await page.getByRole('heading', { level: 2, name: 'Review queue' }).waitFor();
    await expect(
      page.locator('table', { has: page.locator('caption', { hasText: 'Tenants of this organization' }) }).innerText(),
    ).resolves.toContain('Contoso, Ltd.');
    await look('03-organization-overview');

    await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Contacts' }).click();
    const adele = page.locator('tr', { hasText: 'adelev@contoso.example' });
    await adele.getByText('Edit').click();
    await adele.getByLabel('Phone extension').fill('4411');
    await adele.getByLabel(/^Tags/).fill('vip, billing');
    await adele.getByLabel('Notes').fill('Prefers a call before 10.');
    await adele.getByRole('button', { name: /^Save/ }).click();
    await page.getByText('Contact saved.').waitFor();
    await expect(page.locator('tr', { hasText: 'adelev@contoso.example' }).innerText()).resolves.toContain('Prefers a call before 10.');
    await expect(page.locator('tr', { hasText: 'adelev@contoso.example' }).locator('ul.tags li').allInnerTexts()).resolves.toEqual([
      'billing',
      'vip',
    ]);

    await page.getByText('Add a contact').click();
    await page.getByLabel('First name').first().fill('Zoë');
    await page.getByLabel('Last name').first().fill('Ng');
    await page
      .getByLabel(/^Emails/)
      .first()
      .fill('zoe@contoso.example');
    await page.getByRole('button', { name: 'Add contact' }).click();
    await page.getByText('Contact added.').waitFor();
    await expect(page.locator('tr', { hasText: 'zoe@contoso.example' }).innerText()).resolves.toContain('docsync only');
    await look('04-organization-contacts');
    await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Configurations' }).click();
    await look('05-organization-configurations');
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);

  it('searches every customer from the header of any page, despite a typo', async () => {
    await page.goto(`${base}/integrations`);
    const box = page.getByRole('searchbox', { name: 'Search every customer' });
    await box.fill('contso');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/search\?q=contso/);
    const results = page.locator('ol.results li');
    await expect(results.allInnerTexts()).resolves.toEqual(
      expect.arrayContaining([expect.stringContaining('Contoso Ltd'), expect.stringContaining('Contoso, Ltd.')]),
    );
    await look('06-search');
    await page.getByRole('searchbox', { name: 'Search every customer' }).fill('sn123');
    await page.keyboard.press('Enter');
    await page.locator('ol.results li[data-kind="configuration"] a').first().click();
    await page.waitForURL(/\/organizations\/[0-9a-f-]{36}\/configurations\?search=SN123/);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 60_000);
});
