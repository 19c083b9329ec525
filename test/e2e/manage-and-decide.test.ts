// Issue 15, "links into Microsoft" and "ergonomics", on the real `docsync demo` in Debian's Chromium:
// every tenant, user and device has one action menu (a <details>, worked from the keyboard) with its
// deep links into Microsoft's admin portals and docsync's own actions; a review decided on the tenants
// page updates its row in place (no reload, focus stays in the row); the wide tables stay readable
// at 800 px. The demo talks to the emulator, so the portal cloud is set to the global one
// (DOCSYNC_MICROSOFT_PORTAL_CLOUD): without it docsync links no portal for the emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, signIn, startDemo, type BrowserSession, type RunningDemo } from './harness.ts';

const START_DEADLINE_MS = 120_000;
const SYNC_DEADLINE_MS = 45_000;
const STOP_DEADLINE_MS = 20_000;
const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

interface TenantRow {
  id: string;
  tenantId: string;
  displayName: string;
  state: string;
  health: string;
}

describe.skipIf(!chromiumAvailable)('manage links, in-place decisions and narrow tables in the demo, in Chromium', () => {
  let demo: RunningDemo;
  let login: RunningDemo['login'];
  let session: BrowserSession;
  let page: Page;
  const previousCloud = process.env.DOCSYNC_MICROSOFT_PORTAL_CLOUD;

  beforeAll(async () => {
    process.env.DOCSYNC_MICROSOFT_PORTAL_CLOUD = 'global';
    demo = await startDemo({ deadlineMs: START_DEADLINE_MS });
    login = demo.login;
    session = await launchBrowser({ screenshotPrefix: 'manage', timeoutMs: 15_000 });
    page = session.page;
  }, START_DEADLINE_MS + 30_000);

  afterAll(async () => {
    if (previousCloud === undefined) delete process.env.DOCSYNC_MICROSOFT_PORTAL_CLOUD;
    else process.env.DOCSYNC_MICROSOFT_PORTAL_CLOUD = previousCloud;
    await session?.close();
    if (demo) expect(await demo.stop()).toBe(0);
  }, STOP_DEADLINE_MS + 10_000);

  const api = async <T>(url: string): Promise<T> => {
    const response = await page.request.get(`${login.url}${url}`);
    expect(response.status(), url).toBe(200);
    return (await response.json()) as T;
  };

  it("opens a user's menu from the keyboard: Entra and Intune deep links and docsync's lifecycle actions", async () => {
    await signIn(page, login, '/tenants');
    // The demo's first sync: wait until it is over.
    await expect
      .poll(async () => (await api<{ items: Array<{ status: string }> }>('/api/sync-runs')).items[0]?.status, { timeout: SYNC_DEADLINE_MS })
      .toMatch(/^(succeeded|partial)$/);
    const tenant = (await api<{ items: TenantRow[] }>('/api/tenants?pageSize=200')).items.find((t) => t.health === 'ok')!;
    const users = await api<{ items: Array<{ userId: string; displayName: string }> }>(`/api/tenants/${tenant.id}/users?pageSize=5`);
    const user = users.items[0]!;
    await page.goto(`${login.url}/tenants/${tenant.id}/contacts`);

    // The tenant's header menu: the Microsoft 365 admin center as the partner, Entra, Intune, Partner Center.
    const header = page.locator('details.page-menu');
    await header.locator('summary').click();
    const headerLinks = await Promise.all((await header.locator('a[data-portal]').all()).map((a) => a.getAttribute('href')));
    expect(headerLinks).toEqual([
      `https://admin.microsoft.com/Partner/BeginClientSession.aspx?CTID=${tenant.tenantId}&CSDEST=o365admincenter`,
      `https://entra.microsoft.com/${tenant.tenantId}`,
      `https://intune.microsoft.com/${tenant.tenantId}`,
      `https://partner.microsoft.com/dashboard/commerce2/customers/${tenant.tenantId}/adminrelationships`,
    ]);
    await header.locator('summary').click();

    // Keyboard only: the row's one menu opens with Enter, its links follow with Tab, Escape closes it.
    const row = page.locator(`tr[data-user="${user.userId}"]`);
    const summary = row.locator('td.row-actions summary');
    await summary.focus();
    await page.keyboard.press('Enter');
    const menu = row.locator('td.row-actions details');
    await expect(menu.getAttribute('open')).resolves.not.toBeNull();
    await page.keyboard.press('Tab');
    const focused = (await page.evaluate("document.activeElement?.getAttribute('href') ?? ''")) as string;
    expect(focused).toMatch(
      new RegExp(
        `^https://entra\\.microsoft\\.com/${tenant.tenantId}/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/${user.userId}$`,
      ),
    );
    const items = await menu.locator('a').evaluateAll((links) => links.map((a) => a.textContent?.trim() ?? ''));
    expect(items).toEqual([
      "Entra admin center (opens Microsoft's portal in a new tab)",
      "Intune admin center (opens Microsoft's portal in a new tab)",
      'Offboard',
      'Rotate password',
      'Reclaim licences',
    ]);
    await expect(menu.locator('a[data-portal]').first().getAttribute('target')).resolves.toBe('_blank');
    await shotsFitting('01-user-menu-open');
    await page.keyboard.press('Escape');
    await expect(menu.getAttribute('open')).resolves.toBeNull();
    await expect(page.evaluate('document.activeElement?.tagName')).resolves.toBe('SUMMARY');

    // The offboarding link opens docsync's preview form for that user.
    await summary.press('Enter');
    await menu.getByRole('link', { name: 'Offboard' }).click();
    await page.waitForURL(new RegExp(`/tenants/${tenant.id}/actions/new\\?kind=offboard&userId=${user.userId}$`));

    // The user's page has the same links in its header menu.
    await page.goto(`${login.url}/tenants/${tenant.id}/users/${encodeURIComponent(user.userId)}`);
    const userMenu = page.locator('details.page-menu');
    await userMenu.locator('summary').click();
    await expect(userMenu.locator('a[data-portal="entra"]').getAttribute('href')).resolves.toContain(`/userId/${user.userId}`);
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);

  it("opens a device in Intune from its row, and a tenant from its organization's page", async () => {
    const tenants = (await api<{ items: TenantRow[] }>('/api/tenants?pageSize=200')).items;
    let withDevices: TenantRow | undefined;
    let deviceId = '';
    for (const t of tenants) {
      const devices = await api<{ items: Array<{ deviceId: string }> }>(`/api/tenants/${t.id}/devices?pageSize=1`).catch(() => ({
        items: [],
      }));
      if (devices.items[0]) {
        withDevices = t;
        deviceId = devices.items[0].deviceId;
        break;
      }
    }
    expect(withDevices, 'a demo tenant with Intune devices').toBeDefined();
    await page.goto(`${login.url}/tenants/${withDevices!.id}/configurations`);
    const menu = page.locator('td.row-actions details').first();
    await menu.locator('summary').press('Enter');
    await expect(menu.locator('a[data-portal="intune"]').getAttribute('href')).resolves.toMatch(
      new RegExp(
        `^https://intune\\.microsoft\\.com/${GUID}/#view/Microsoft_Intune_Devices/DeviceSettingsMenuBlade/~/overview/mdmDeviceId/${GUID}$`,
      ),
    );
    expect(deviceId).toMatch(new RegExp(`^${GUID}$`));
    await shotsFitting('02-device-menu-open');

    const matched = (
      await api<{ items: Array<TenantRow & { organizationId: string | null }> }>('/api/tenants?state=matched&pageSize=200')
    ).items.find((t) => t.organizationId);
    expect(matched, 'a demo tenant matched to an organization').toBeDefined();
    await page.goto(`${login.url}/organizations/${matched!.organizationId}`);
    const tenantMenu = page.locator('td.row-actions details').first();
    await tenantMenu.locator('summary').press('Enter');
    await expect(tenantMenu.locator('a[data-portal]').count()).resolves.toBe(4);
    await expect(tenantMenu.getByRole('link', { name: 'Contacts' }).getAttribute('href')).resolves.toMatch(/^\/tenants\/.+\/contacts$/);
    await shotsFitting('03-organization-tenant-menu');
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);

  it('accepts a suggestion from the keyboard and updates the row in place: no reload, focus stays in the row', async () => {
    await page.goto(`${login.url}/tenants`);
    const suggested = page.locator('tr[data-tenant]', { has: page.getByRole('button', { name: /^Accept/ }) }).first();
    const tenantId = (await suggested.getAttribute('data-tenant'))!;
    const matchedBefore = await page.locator('ul.counts li', { hasText: 'matched' }).first().innerText();
    // A marker a reload would wipe out, and a scroll position a reload to the top would lose.
    await page.evaluate('window.__sameDocument = true');
    await suggested.scrollIntoViewIfNeeded();
    const scrolledTo = (await page.evaluate('window.scrollY')) as number;
    await suggested.getByRole('button', { name: /^Accept/ }).focus();
    await page.keyboard.press('Enter');
    const row = page.locator(`tr[data-tenant="${tenantId}"].updated`);
    await row.waitFor();
    await expect(page.evaluate('window.__sameDocument')).resolves.toBe(true);
    await expect(row.locator('.badge.state-matched').count()).resolves.toBe(1);
    await expect(page.evaluate('document.activeElement?.closest("tr")?.dataset.tenant')).resolves.toBe(tenantId);
    expect(Math.abs(((await page.evaluate('window.scrollY')) as number) - scrolledTo)).toBeLessThan(200);
    await expect(page.locator('#flash').innerText()).resolves.toMatch(/^Suggestion accepted\./);
    await expect(page.locator('ul.counts li', { hasText: 'matched' }).first().innerText()).resolves.not.toBe(matchedBefore);
    // Undo from the same row, by keyboard again: the row goes back to a suggestion, still in place.
    await row.getByRole('button', { name: 'Undo' }).press('Enter');
    await page.locator(`tr[data-tenant="${tenantId}"] .badge.state-suggested`).waitFor();
    await expect(page.evaluate('window.__sameDocument')).resolves.toBe(true);
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 60_000);

  /** Screenshots at 1280 and 800 px, axe-checked, and no element past the window's right edge (outside a scroll box). */
  async function shotsFitting(name: string) {
    await session.shots(name, async (width) => {
      const wide = await page.evaluate(`(() => {
        const past = [...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1
          && !e.closest('.table-scroll') && !e.closest('.visually-hidden'));
        return past.slice(-4).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
      })()`);
      expect(wide, `${name} at ${width} px: elements wider than the window`).toEqual([]);
      expect(await session.axe(), `${name} at ${width} px`).toEqual([]);
    });
  }

  it('keeps the tenants review table and the integration page readable at 800 px', async () => {
    await page.goto(`${login.url}/tenants`);
    await shotsFitting('04-tenants-review');
    await page.goto(`${login.url}/integrations`);
    await page.locator('table tbody tr a').first().click();
    await page.waitForURL(/\/integrations\/[0-9a-f-]{36}$/);
    await shotsFitting('05-integration');
    expect(session.cspViolations).toEqual([]);
  }, 60_000);
});
