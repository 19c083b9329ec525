// A tenant's user and device lists in Chromium (issue 15: filters and sortable columns, issue 18:
// cursor paging): a technician filters with the GET form (no script), sorts by clicking a column
// header (aria-sort, filters kept), removes a filter from the "Filtered by" list, and pages by
// cursor; screenshots at 1280 and 800 px, axe-core clean, no CSP violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { PASSWORD, seedContents, seedTenants, startWebWorld, type WebWorld } from '../integration/web/support.ts';
import { chromiumAvailable, launchBrowser, listenOnLoopback, shotsChecked, signIn, type BrowserSession } from './harness.ts';

describe.skipIf(!chromiumAvailable)('filtering and sorting tenant lists in Chromium', () => {
  let world: WebWorld;
  let base: string;
  let session: BrowserSession;
  let page: Page;
  let tenant: string;
  let organization: string;

  beforeAll(async () => {
    world = await startWebWorld('pglite');
    const seeded = await seedTenants(world.ctx);
    await seedContents(world.ctx, seeded, world.clock.now());
    tenant = seeded.tenants.contoso!.id;
    const db = world.ctx.database.db;
    const daysAgo = (n: number) => new Date(world.clock.now().getTime() - n * 86_400_000).toISOString();
    await sql`insert into ms_users (tenant_id, user_id, data, content_hash)
      select ${tenant}::uuid, 'u-staff-' || i, jsonb_build_object('displayName', 'Staff Member ' || lpad(i::text, 2, '0'),
        'userPrincipalName', 'staff' || lpad(i::text, 2, '0') || '@contoso.example', 'accountEnabled', i % 9 <> 0,
        'signInActivity', jsonb_build_object('lastSuccessfulSignInDateTime', ${daysAgo(4)}::text), 'assignedLicenses', '[]'::jsonb),
        'staff' || i
      from generate_series(1, 60) i`.execute(db);
    for (const [id, name, os, compliance, days] of [
      ['dev-ipad', 'RECEPTION-IPAD', 'iOS', 'noncompliant', 45],
      ['dev-old', 'OLD-DESKTOP', 'Windows', 'compliant', 120],
      ['dev-mac', 'DESIGN-MAC', 'macOS', 'compliant', 3],
    ] as const)
      await db
        .insertInto('ms_managed_devices')
        .values({
          tenant_id: tenant,
          device_id: id,
          data: JSON.stringify({
            id,
            deviceName: name,
            operatingSystem: os,
            complianceState: compliance,
            lastSyncDateTime: daysAgo(days),
          }) as never,
          content_hash: id,
        })
        .execute();
    organization = seeded.organizations.contoso!;
    for (const [name, os, compliance, days] of [
      ['KIOSK-TABLET', 'Android', 'noncompliant', 60],
      ['LOBBY-PC', 'Windows', 'compliant', 35],
      ['FINANCE-PC', 'Windows', 'compliant', 2],
    ] as const)
      await db
        .insertInto('configurations')
        .values({
          organization_id: organization,
          name,
          operating_system: os,
          compliance_state: compliance,
          last_check_in_at: new Date(daysAgo(days)),
        })
        .execute();
    base = await listenOnLoopback(world.app);
    session = await launchBrowser({ screenshotPrefix: 'list-filters', timeoutMs: 15_000 });
    page = session.page;
    await signIn(page, { url: base, username: 'technician-user', password: PASSWORD }, `/tenants/${tenant}/contacts`);
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await world?.close();
  });

  const userNames = async () => (await page.locator('table.users tbody tr td:first-child a').allInnerTexts()).map((t) => t.trim());

  it('filters users to the disabled ones, sorts them by clicking a header, and clears the filter', async () => {
    await page.getByLabel('Account').selectOption('disabled');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/account=disabled/);
    expect(await userNames()).toEqual([
      'Alex Wilber',
      'Staff Member 09',
      'Staff Member 18',
      'Staff Member 27',
      'Staff Member 36',
      'Staff Member 45',
      'Staff Member 54',
    ]);
    await expect(page.locator('.active-filters').innerText()).resolves.toMatch(/Filtered by\s+Account: disabled/);

    await page.getByRole('columnheader', { name: /^User/ }).getByRole('link').click();
    await page.waitForURL(/sort=name&order=desc/);
    expect(page.url()).toContain('account=disabled');
    await expect(page.getByRole('columnheader', { name: /^User/ }).getAttribute('aria-sort')).resolves.toBe('descending');
    expect((await userNames())[0]).toBe('Staff Member 54');
    await shotsChecked(session, '01-users-disabled-sorted', { wide: true });

    await page.getByRole('link', { name: 'Remove the filter Account: disabled' }).click();
    await page.waitForURL((url) => !url.search.includes('account='));
    expect(page.url()).toContain('sort=name&order=desc');
    await expect(page.locator('.active-filters').count()).resolves.toBe(0);
    await expect(page.locator('nav.pager').innerText()).resolves.toContain('Page 1 of 2');
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/cursor=/);
    await expect(page.locator('nav.pager').innerText()).resolves.toContain('Page 2 of 2');
    expect(await userNames()).toContain('Adele Vance');
    await page.getByRole('link', { name: '← Previous' }).click();
    await page.waitForURL((url) => !url.search.includes('cursor='));
    expect((await userNames())[0]).toBe('Staff Member 60');
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);

  it('lists devices without a check-in for 30 days, newest check-in first', async () => {
    await page.goto(`${base}/tenants/${tenant}/configurations`);
    await page.getByLabel('Check-in').selectOption('stale');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/checkIn=stale/);
    await page
      .getByRole('columnheader', { name: /^Last check-in/ })
      .getByRole('link')
      .click();
    await page.waitForURL(/sort=lastCheckIn&order=desc/);
    await expect(page.getByRole('columnheader', { name: /^Last check-in/ }).getAttribute('aria-sort')).resolves.toBe('descending');
    const devices = (await page.locator('tbody tr td:first-child').allInnerTexts()).map((t) => t.split('\n')[0]!.trim());
    expect(devices).toEqual(['RECEPTION-IPAD', 'OLD-DESKTOP']);
    await expect(page.locator('.active-filters').innerText()).resolves.toContain('no check-in for 30 days');
    await expect(page.getByRole('link', { name: 'Export as CSV' }).getAttribute('href')).resolves.toMatch(
      /checkIn=stale&sort=lastCheckIn&order=desc&format=csv$/,
    );
    // The device table's eight columns are wider than 800 px (the row markup is not this change's); axe still runs.
    await shotsChecked(session, '02-devices-stale', { wide: true });
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);

  it("filters an organization's configurations to Windows and sorts them by check-in", async () => {
    await page.goto(`${base}/organizations/${organization}/configurations`);
    await page.getByLabel('OS').selectOption('Windows');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/os=Windows/);
    await page
      .getByRole('columnheader', { name: /^Last check-in/ })
      .getByRole('link')
      .click();
    await page.waitForURL(/os=Windows.*sort=lastCheckIn&order=desc/);
    await expect(page.getByRole('columnheader', { name: /^Last check-in/ }).getAttribute('aria-sort')).resolves.toBe('descending');
    const names = (await page.locator('tbody tr td:first-child').allInnerTexts()).map((t) => t.split('\n')[0]!.trim());
    // Newest check-in first; the Android tablet is filtered out.
    expect(names).toEqual(['FINANCE-PC', 'LOBBY-PC']);
    await shotsChecked(session, '03-organization-configurations');
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);
});
