// Lifecycle actions in the real `docsync demo` (embedded database, emulator, web UI and workers in
// one child process), driven in Debian's Chromium: a technician offboards a user from its contact
// page and onboards a new one from the tenant page, through the preview and the typed
// confirmation; the documentation shows both at once, without waiting for a sync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, signIn, startDemo, type BrowserSession, type RunningDemo } from './harness.ts';

const WORK_DEADLINE_MS = 45_000;

interface UserRow {
  userId: string;
  displayName: string;
  userPrincipalName: string | null;
  decision: string;
  accountEnabled: boolean | null;
  contact: { id: string; name: string } | null;
}

describe.skipIf(!chromiumAvailable)('lifecycle actions in the demo, in Chromium', () => {
  let demo: RunningDemo;
  let session: BrowserSession;
  let page: Page;
  let login: RunningDemo['login'];
  let tenantId = '';
  let domain = '';

  beforeAll(async () => {
    demo = await startDemo();
    login = demo.login;
    session = await launchBrowser({ screenshotPrefix: 'actions' });
    page = session.page;
    await signIn(page, login, '/organizations');
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    if (demo) expect(await demo.stop()).toBe(0);
  }, 30_000);

  const axe = () => session.axe();
  /** Full-page screenshots at 1280 and 800 px wide. */
  const shots = (name: string) => session.shots(name);
  const api = async <T>(url: string): Promise<T> => {
    const response = await page.request.get(`${login.url}${url}`);
    expect(response.status(), url).toBe(200);
    return (await response.json()) as T;
  };
  /** Reloads the action page until the workers finished it; returns its final status. */
  async function waitForAction(): Promise<string> {
    let status = '';
    await expect
      .poll(
        async () => {
          await page.reload();
          status = (await page.locator('h1 .badge').textContent())!.trim();
          return ['succeeded', 'failed', 'partial'].includes(status);
        },
        { timeout: WORK_DEADLINE_MS, interval: 500 },
      )
      .toBe(true);
    return status;
  }

  it('offboards a user from its contact page: preview, typed confirmation, and the contact shows it without a sync', async () => {
    const integrations = await api<{ items: Array<{ id: string }> }>('/api/integrations');
    const actions = await api<{ enabled: boolean; tenants: Array<{ id: string; allowed: Record<string, boolean> }> }>(
      `/api/integrations/${integrations.items[0]!.id}/actions`,
    );
    expect(actions.enabled).toBe(true);
    tenantId = actions.tenants.find((t) => t.allowed.offboard)!.id;
    // The demo's first sync documents the tenant's users.
    let users: UserRow[] = [];
    await expect
      .poll(
        async () => {
          users = (await api<{ items: UserRow[] }>(`/api/tenants/${tenantId}/users?pageSize=200`)).items;
          return users.filter((u) => u.decision === 'match' && u.contact && u.accountEnabled).length;
        },
        { timeout: WORK_DEADLINE_MS, interval: 500 },
      )
      .toBeGreaterThan(1);
    const leaver = users.filter(
      (u) => u.decision === 'match' && u.contact && u.accountEnabled && u.userPrincipalName && !u.userPrincipalName.startsWith('admin@'),
    )[0]!;
    domain = leaver.userPrincipalName!.split('@')[1]!;

    await page.goto(`${login.url}/tenants/${tenantId}/users/${encodeURIComponent(leaver.userId)}`);
    await page.getByRole('link', { name: 'Offboard' }).click();
    await page.getByRole('heading', { level: 1, name: /^Offboard a user/ }).waitFor();
    await page.getByLabel('Automatic reply (optional)').fill('I have left the company; please write to the office.');
    await shots('01-offboard-form');
    expect(await axe()).toEqual([]);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('heading', { level: 1, name: 'Preview: Offboard a user' }).waitFor();
    const steps = await page
      .locator('table.steps tbody tr')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-step'), r.getAttribute('data-status')]));
    expect(steps).toEqual([
      ['block_sign_in', 'planned'],
      ['revoke_sessions', 'planned'],
      ['reset_password', 'planned'],
      ['remove_from_groups', expect.any(String)],
      ['remove_licenses', expect.any(String)],
      ['set_auto_reply', 'planned'],
    ]);
    await shots('02-offboard-preview');
    expect(await axe()).toEqual([]);

    // A wrong confirmation word changes nothing.
    await page.getByLabel(/Type OFFBOARD to confirm/).fill('offboard');
    await page.getByRole('button', { name: 'Run offboard a user' }).click();
    await page.getByText('Type OFFBOARD exactly to confirm; nothing was changed.').waitFor();
    expect((await api<{ items: unknown[] }>(`/api/tenants/${tenantId}/actions`)).items).toHaveLength(0);
    await page.getByLabel(/Type OFFBOARD to confirm/).fill('OFFBOARD');
    await page.getByRole('button', { name: 'Run offboard a user' }).click();
    await page.waitForURL(/\/actions\/[0-9a-f-]{36}$/);
    expect(await waitForAction()).toBe('succeeded');
    await shots('03-offboard-done');
    expect(await axe()).toEqual([]);

    // The documentation shows it at once: the contact's account is disabled and unlicensed.
    await page.goto(`${login.url}/tenants/${tenantId}/users/${encodeURIComponent(leaver.userId)}`);
    const overlay = page.locator('dl.overlay');
    await expect(overlay.locator('dt:has-text("Account") + dd').innerText()).resolves.toContain('disabled');
    await expect(overlay.locator('dt:has-text("Licenses") + dd').innerText()).resolves.toBe('none');
    await shots('04-contact-after-offboard');
  });

  it('onboards a user from the tenant page: created, licensed, and documented as a contact at once', async () => {
    await page.goto(`${login.url}/tenants/${tenantId}/contacts`);
    await page.getByRole('link', { name: /Lifecycle actions/ }).click();
    await page.getByRole('heading', { name: "What this tenant's GDAP roles allow" }).waitFor();
    await expect(page.locator('section[aria-labelledby="allowed-title"]').innerText()).resolves.toContain('Onboard a user: allowed');
    await shots('05a-tenant-actions');
    expect(await axe()).toEqual([]);
    await page.getByRole('link', { name: 'Onboard a user' }).click();
    await page.getByLabel('Display name').fill('Nora Newcomer');
    await page.getByLabel('First name').fill('Nora');
    await page.getByLabel('Last name').fill('Newcomer');
    await page.getByLabel(/User principal name/).fill(`nora.newcomer@${domain}`);
    await page.getByLabel(/Usage location/).fill('GB');
    await page.getByLabel('Job title').fill('Analyst');
    const licence = page.locator('fieldset:has(legend:text("Licences")) div').filter({ hasNotText: '(0 free)' }).first();
    await licence.locator('input').check();
    // Groups come from Microsoft now, by name; the ones docsync cannot change are shown, not offered.
    const picker = page.locator('fieldset.group-picker');
    expect(await picker.getByLabel(/Finance Team/).isDisabled()).toBe(true);
    await expect(picker.innerText()).resolves.toContain('managed in Exchange');
    await page.getByLabel('Filter groups').fill('all comp');
    await picker.getByLabel(/Sales/).waitFor({ state: 'hidden' });
    await picker.getByLabel(/All Company/).check();
    await shots('05b-onboard-form');
    expect(await axe()).toEqual([]);
    await page.getByRole('button', { name: 'Preview' }).click();
    const steps = await page
      .locator('table.steps tbody tr')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-step'), r.getAttribute('data-status')]));
    expect(steps).toEqual([
      ['create_user', 'planned'],
      ['document_contact', 'planned'],
      ['assign_licenses', 'planned'],
      ['add_to_groups', 'planned'],
    ]);
    await expect(page.locator('tr[data-step="add_to_groups"]').innerText()).resolves.toContain('added to All Company');
    await shots('06-onboard-preview');
    await page.getByRole('button', { name: 'Run onboard a user' }).click();
    await page.waitForURL(/\/actions\/[0-9a-f-]{36}$/);
    expect(await waitForAction()).toBe('succeeded');

    await page.goto(`${login.url}/tenants/${tenantId}/contacts?search=newcomer`);
    const row = page.locator('table tbody tr', { hasText: 'Nora Newcomer' });
    await expect(row.innerText()).resolves.toContain(`nora.newcomer@${domain}`);
    await shots('07-contacts-after-onboard');

    // Her password is rotated every 30 days from now on: the tenant's actions page shows when next.
    await page.goto(`${login.url}/tenants/${tenantId}/actions`);
    await page.getByLabel('User ids or UPNs (one per line)').fill(`nora.newcomer@${domain}`);
    await page.getByLabel('Rotate every (days)').fill('30');
    await page.getByRole('button', { name: 'Schedule rotation' }).click();
    const rotation = page.locator(`tr[data-rotation="nora.newcomer@${domain}"]`);
    await rotation.waitFor();
    await expect(rotation.innerText()).resolves.toContain('30 days');
    await page.getByText('Rotation scheduled.').waitFor();
    await shots('07b-rotation-scheduled');
    expect(await axe()).toEqual([]);
    expect(session.pageErrors).toEqual([]);
    expect(session.cspViolations).toEqual([]);
  });

  it("shows on the integration page whether actions are on, what each tenant's roles allow, and lets an administrator switch", async () => {
    const integrations = await api<{ items: Array<{ id: string }> }>('/api/integrations');
    const integrationId = integrations.items[0]!.id;
    const view = await api<{ tenants: Array<{ id: string; displayName: string; consentUrl: string; allowed: Record<string, boolean> }> }>(
      `/api/integrations/${integrationId}/actions`,
    );
    await page.goto(`${login.url}/integrations/${integrationId}`);
    const section = page.locator('h2#actions + p');
    await expect(section.innerText()).resolves.toContain('are enabled for this integration');
    const offboarder = view.tenants.find((t) => t.allowed.offboard)!;
    const row = page.locator('table tbody tr', { hasText: offboarder.displayName }).filter({ hasText: 'Grant admin consent' });
    expect(await row.locator('td').nth(1).innerText()).toContain('Offboard a user');
    expect(await row.getByRole('link', { name: /Grant admin consent/ }).getAttribute('href')).toBe(offboarder.consentUrl);
    await shots('08-integration-actions');
    expect(await axe()).toEqual([]);

    await page.getByRole('button', { name: 'Disable lifecycle actions' }).click();
    await page.getByRole('button', { name: 'Enable lifecycle actions' }).waitFor();
    await expect(section.innerText()).resolves.toContain('are disabled for this integration');
    expect((await api<{ enabled: boolean }>(`/api/integrations/${integrationId}/actions`)).enabled).toBe(false);
    await page.getByRole('button', { name: 'Enable lifecycle actions' }).click();
    await page.getByRole('button', { name: 'Disable lifecycle actions' }).waitFor();
    expect((await api<{ enabled: boolean }>(`/api/integrations/${integrationId}/actions`)).enabled).toBe(true);
    expect(session.pageErrors).toEqual([]);
    expect(session.cspViolations).toEqual([]);
  });
});
