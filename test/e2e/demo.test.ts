// The real `docsync demo` (embedded database, Microsoft emulator, web UI, worker and schedule in
// one child process) driven in Debian's Chromium the way a technician would use it: nothing is
// seeded and nothing plays the worker here — what the page shows is what the demo did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, startDemo, type BrowserSession, type RunningDemo } from './harness.ts';

/** Deadlines on what the page shows; the demo's whole first sync takes a second or two. */
const START_DEADLINE_MS = 60_000;
const SYNC_DEADLINE_MS = 45_000;
const STOP_DEADLINE_MS = 20_000;

interface TenantRow {
  id: string;
  displayName: string;
  state: string;
  health: string;
}

interface UserRow {
  userId: string;
  displayName: string;
  decision: string;
  accountEnabled: boolean | null;
  contact: { id: string; name: string } | null;
}

interface Overlay {
  accountEnabled: boolean | null;
  lastSignInAt: string | null;
  licenses: Array<{ name: string }>;
  mailbox: { storageUsedBytes: number | null } | null;
}

describe.skipIf(!chromiumAvailable)('the demo in Chromium', () => {
  let demo: RunningDemo;
  let login: RunningDemo['login'];
  let session: BrowserSession;
  let page: Page;
  let changedMatch: { tenantId: string; userId: string; contactId: string } | undefined;
  let syncNowRunId: string | undefined;

  beforeAll(async () => {
    demo = await startDemo({ deadlineMs: START_DEADLINE_MS });
    login = demo.login;
    session = await launchBrowser({ screenshotPrefix: 'demo', timeoutMs: 15_000, viewportWidth: 1366 });
    page = session.page;
    // Matching a contact another user already holds asks for a confirmation (reviews.test.ts tests it): yes.
    page.on('dialog', (dialog) => void dialog.accept());
  }, START_DEADLINE_MS + 30_000);

  afterAll(async () => {
    await session?.close();
    if (demo) expect(await demo.stop()).toBe(0);
  }, STOP_DEADLINE_MS + 10_000);

  const axe = () => session.axe();
  const shot = (name: string) => session.screenshot(`demo-${name}`);
  const api = async <T>(url: string): Promise<T> => {
    const response = await page.request.get(`${login.url}${url}`);
    expect(response.status(), url).toBe(200);
    return (await response.json()) as T;
  };
  /** Waits until the run page shows a finished run (the live view reloads the page when it ends). */
  async function waitForRunToFinish(): Promise<string> {
    await page.locator('section[aria-label="Run status"]:not([data-live-run])').waitFor({ timeout: SYNC_DEADLINE_MS });
    return (await page.locator('[data-field="status"]').textContent())!.trim();
  }

  it('a technician signs in, decides matches, reads the overlay, syncs, reads the log and signs out', async () => {
    // Sign in with the login the demo printed.
    await page.goto(`${login.url}/tenants`);
    expect(page.url()).toContain('/sign-in');
    await page.getByLabel('Username or email').fill(login.username);
    await page.getByLabel('Password').fill(login.password);
    await shot('01-sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${login.url}/tenants`);

    // The demo queues a first sync at start: watch it finish (its real worker runs it).
    await page.getByRole('link', { name: 'Sync runs' }).click();
    await page.locator('table tbody tr a').first().click();
    await page.waitForURL(/\/sync-runs\/[0-9a-f-]{36}$/);
    expect(['succeeded', 'partial']).toContain(await waitForRunToFinish());

    // Organizations: accept a suggestion.
    await page.getByRole('link', { name: 'Tenants ↔ organizations' }).click();
    await shot('02-organizations');
    expect(await axe()).toEqual([]);
    const suggested = page.locator('tr[data-tenant]', { has: page.getByRole('button', { name: /^Accept/ }) }).first();
    const suggestedTenantId = (await suggested.getAttribute('data-tenant'))!;
    const suggestion = (await suggested.locator('td').nth(4).locator('li bdi').first().textContent())!;
    await suggested.getByRole('button', { name: /^Accept/ }).click();
    await page.getByText('Suggestion accepted.').waitFor();
    // The decision is documentation at once, derived from what the demo's sync staged.
    await expect(page.locator('#flash').innerText()).resolves.toMatch(/Documentation updated: [1-9]\d* created/);
    await shot('02b-organizations-accepted');
    expect(await axe()).toEqual([]);
    const wide = page.viewportSize()!;
    await page.setViewportSize({ width: 800, height: wide.height });
    await shot('02b-organizations-accepted-800');
    expect(await axe()).toEqual([]);
    await page.setViewportSize(wide);
    const accepted = page.locator(`tr[data-tenant="${suggestedTenantId}"]`);
    await expect(accepted.locator('.badge').first().textContent()).resolves.toBe('matched');
    await expect(accepted.locator('td').nth(4).innerText()).resolves.toContain(suggestion);

    // Contacts of a healthy matched tenant: resolve a review if the demo made one, else change a match.
    const tenants = (await api<{ items: TenantRow[] }>('/api/tenants?state=matched&pageSize=200')).items;
    const healthy = tenants.find((t) => t.health === 'ok' && t.id !== suggestedTenantId);
    expect(healthy, 'a matched tenant whose last sync read everything').toBeDefined();
    await page.locator(`tr[data-tenant="${healthy!.id}"]`).getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { level: 1, name: `Contacts of ${healthy!.displayName}` }).waitFor();
    await shot('03-contacts');
    const users = await api<{ items: UserRow[]; counts: Record<string, number> }>(`/api/tenants/${healthy!.id}/users?pageSize=200`);
    if ((users.counts.review ?? 0) > 0) {
      const review = users.items.find((u) => u.decision === 'review')!;
      const row = page.locator(`tr[data-user="${review.userId}"]`);
      await row
        .getByRole('button', { name: /^Match / })
        .first()
        .click();
      await page.getByText('Review resolved.').waitFor();
      await expect(page.locator(`tr[data-user="${review.userId}"] .badge`).first().textContent()).resolves.toBe('match');
    }
    {
      // The demo's first sync leaves no review case (one is resolved after the next sync, below): change a match.
      const matched = users.items.filter((u) => u.decision === 'match' && u.contact);
      const [user, other] = [matched[0]!, matched[1]!];
      const row = page.locator(`tr[data-user="${user.userId}"]`);
      const picker = row.getByRole('combobox', { name: /Choose a contact/ });
      await picker.fill(other.contact!.name.slice(0, 4));
      const option = row.locator(`datalist option[value^=${JSON.stringify(other.contact!.name)}]`).first();
      await option.waitFor({ state: 'attached' });
      await picker.fill((await option.getAttribute('value'))!);
      await row.getByRole('button', { name: 'Change match' }).click();
      await page.getByText('Contact chosen.').waitFor();
      const changed = page.locator(`tr[data-user="${user.userId}"]`);
      await expect(changed.locator('td').nth(2).innerText()).resolves.toContain('match');
      // Written at once: the chosen contact is now this user's (its Microsoft fields are the user's).
      const chosen = await api<{ contact: { id: string; name: string } | null }>(
        `/api/tenants/${healthy!.id}/users/${encodeURIComponent(user.userId)}`,
      );
      expect(chosen.contact?.id).toBe(other.contact!.id);
      await expect(changed.locator('td').nth(4).innerText()).resolves.toContain(chosen.contact!.name);
      await expect(page.locator('#flash').innerText()).resolves.toContain('Documentation updated:');
      changedMatch = { tenantId: healthy!.id, userId: user.userId, contactId: other.contact!.id };
    }

    // The Microsoft overlay of an enabled, licensed user with a mailbox.
    let overlayUser: UserRow | undefined;
    for (const u of users.items.filter((x) => x.accountEnabled)) {
      const detail = await api<{ overlay: Overlay }>(`/api/tenants/${healthy!.id}/users/${encodeURIComponent(u.userId)}`);
      if (detail.overlay.licenses.length && detail.overlay.mailbox && detail.overlay.lastSignInAt) {
        overlayUser = u;
        break;
      }
    }
    expect(overlayUser, 'an enabled user with licenses, a mailbox and a sign-in').toBeDefined();
    await page.goto(`${login.url}/tenants/${healthy!.id}/contacts?search=${encodeURIComponent(overlayUser!.displayName)}`);
    await page.locator(`tr[data-user="${overlayUser!.userId}"] td a`).first().click();
    await page.getByRole('heading', { name: 'Microsoft overlay' }).waitFor();
    const overlay = page.locator('dl.overlay');
    const field = (label: string) => overlay.locator(`dt:text-is("${label}") + dd`);
    await expect(field('Account').innerText()).resolves.toBe('enabled');
    await expect(field('Last sign-in').locator('time').count()).resolves.toBe(1);
    const licenses = await field('Licenses').locator('li').allInnerTexts();
    expect(licenses.length).toBeGreaterThan(0);
    // Friendly names ("Microsoft 365 Business Premium"), not SKU ids or part numbers.
    for (const license of licenses) expect(license).toMatch(/^[A-Z][A-Za-z0-9 .()+-]* [A-Za-z0-9 .()+-]+$/);
    await expect(field('Mailbox').innerText()).resolves.toMatch(/^\d+(\.\d)? (B|KB|MB|GB|TB) used/);
    await shot('04-contact-overlay');

    for (const [name, url] of [
      ['05-configurations', `/tenants/${healthy!.id}/configurations`],
      ['06-licenses', `/tenants/${healthy!.id}/licenses`],
    ] as const) {
      await page.goto(`${login.url}${url}`);
      await shot(name);
    }

    // Sync now on the integration: the demo's worker picks it up; the live view follows it to the end.
    await page.getByRole('link', { name: 'Integrations' }).click();
    await shot('07-integrations');
    const integrationRow = page.locator('table tbody tr').first();
    await integrationRow.getByRole('button', { name: /^Sync now/ }).click();
    await page.waitForURL(/\/sync-runs\/[0-9a-f-]{36}$/);
    const runUrl = page.url();
    syncNowRunId = runUrl.split('/').at(-1)!;
    await shot('08-sync-run-live');
    const status = await waitForRunToFinish();
    expect(['succeeded', 'partial']).toContain(status);
    expect(page.url()).toBe(runUrl);
    await expect(page.locator('[data-field="startedAt"] time').count()).resolves.toBe(1);
    await expect(page.locator('[data-field="finishedAt"] time').count()).resolves.toBe(1);
    const perTenant = page.locator('table', { has: page.locator('caption', { hasText: 'Per-tenant runs' }) });
    expect(await perTenant.locator('tbody tr').count()).toBeGreaterThan(0);
    await shot('09-sync-run-finished');
    expect(await axe()).toEqual([]);

    // The log of a tenant whose sync was partial (or failed) says what to do.
    const troubled = perTenant.locator('tbody tr', { has: page.locator('.badge.state-partial, .badge.state-failed') }).first();
    expect(await troubled.count(), `a partial or failed tenant in ${status} run`).toBe(1);
    await troubled.locator('a').first().click();
    await page.getByRole('heading', { level: 1, name: /^Sync of / }).waitFor();
    // The log is grouped per tenant (a heading each); its last column says what to do.
    const log = page.locator('.log-group table.sync-log tbody tr');
    const withAction = log.filter({ has: page.locator('td:nth-child(5):not(:empty)') });
    expect(await withAction.count()).toBeGreaterThan(0);
    const action = (await withAction.first().locator('td').nth(4).innerText()).trim();
    expect(action.length).toBeGreaterThan(10);
    await shot('10-tenant-sync-log');

    // Accepting the suggestion brought the tenant's users to the chosen organization's contacts;
    // the sync just run flags the ones whose names match more than one contact there: resolve one.
    await page.goto(`${login.url}/tenants/${suggestedTenantId}/contacts?decision=review`);
    const reviews = page.locator('tr[data-user]', { has: page.getByRole('button', { name: /^Match / }) });
    expect(await reviews.count(), 'review cases after accepting a suggestion and syncing').toBeGreaterThan(0);
    await shot('11-contacts-review');
    const reviewed = (await reviews.first().getAttribute('data-user'))!;
    const choice = reviews
      .first()
      .getByRole('button', { name: /^Match / })
      .first();
    const { contactId } = JSON.parse((await choice.getAttribute('data-body'))!) as { contactId: string };
    await choice.click();
    await page.getByText('Review resolved.').waitFor();
    await page.goto(`${login.url}/tenants/${suggestedTenantId}/users/${encodeURIComponent(reviewed)}`);
    await expect(page.locator('section[aria-labelledby="decision-title"] .badge').first().textContent()).resolves.toBe('match');
    const after = await api<{ decision: string; contact: { id: string } | null }>(
      `/api/tenants/${suggestedTenantId}/users/${encodeURIComponent(reviewed)}`,
    );
    expect(after).toMatchObject({ decision: 'match', contact: { id: contactId } });

    // The integration's tenants with their health and what to do, and a tenant docsync cannot read.
    await page.getByRole('link', { name: 'Integrations' }).click();
    await page.locator('table tbody tr a').first().click();
    await shot('12-integration');
    expect(await axe()).toEqual([]);
    const inactive = (await api<{ items: TenantRow[] }>('/api/tenants?pageSize=200')).items.find((t) => t.health === 'failing');
    if (inactive) {
      await page.goto(`${login.url}/tenants/${inactive.id}/contacts`);
      await shot('13-failing-tenant');
      expect(await axe()).toEqual([]);
    }

    await page.goto(`${login.url}/sync-runs`);
    await shot('14-sync-runs');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in$/);
    await page.goto(`${login.url}/tenants`);
    expect(page.url()).toContain('/sign-in');

    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 120_000);

  it("applies a technician's changed match at the next sync of the tenant", async () => {
    expect(changedMatch && syncNowRunId).toBeTruthy();
    // The first test signed out: sign in again through the API (same browser context, same cookie jar).
    const signedIn = await page.request.post(`${login.url}/api/session`, { data: { username: login.username, password: login.password } });
    expect(signedIn.status()).toBe(200);
    const detail = await api<{
      tenants: Array<{ id: string; tenantId: string | null; status: string }>;
      log: Array<{ tenantId: string | null; code: string; message: string }>;
    }>(`/api/sync-runs/${syncNowRunId}`);
    const tenantRun = detail.tenants.find((t) => t.tenantId === changedMatch!.tenantId);
    expect(tenantRun?.status).not.toBe('failed');
    expect(detail.log.filter((l) => l.tenantId === changedMatch!.tenantId && l.code === 'internal_error')).toEqual([]);
    const user = await api<{ decision: string; contact: { id: string } | null }>(
      `/api/tenants/${changedMatch!.tenantId}/users/${encodeURIComponent(changedMatch!.userId)}`,
    );
    expect(user).toMatchObject({ decision: 'match', contact: { id: changedMatch!.contactId } });
  });

  it('a technician starts at what needs attention, opens an organization and finds a user with the search box', async () => {
    // Signed in by the test before (same browser context); sign in when run alone.
    if ((await page.request.get(`${login.url}/api/me`)).status() !== 200) {
      expect(
        (await page.request.post(`${login.url}/api/session`, { data: { username: login.username, password: login.password } })).status(),
      ).toBe(200);
    }
    await page.goto(`${login.url}/`);
    await page.getByRole('heading', { level: 1, name: 'Needs attention' }).waitFor();
    const attention = await api<{ items: Array<{ url: string }>; counts: Record<string, number> }>('/api/attention');
    expect(attention.items.length).toBeGreaterThan(0);
    await expect(page.locator('li.attention-item').count()).resolves.toBe(attention.items.length);
    await shot('15-home');
    expect(await axe()).toEqual([]);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organizations', exact: true }).click();
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.waitForURL(/sort=-contacts/);
    await page.locator('tbody tr td a').first().click();
    await page.getByRole('heading', { level: 2, name: 'Tenants' }).waitFor();
    await shot('16-organization');
    expect(await axe()).toEqual([]);
    await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Contacts' }).click();
    const firstContact = (await page.locator('table.contacts tbody tr td:first-child bdi').first().textContent())!.trim();
    await shot('17-organization-contacts');
    expect(await axe()).toEqual([]);

    // The header's search finds that contact by part of the name, without the accents or case.
    const words = firstContact
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .split(' ');
    await page.getByRole('searchbox', { name: 'Search every customer' }).fill(words.join(' ').slice(0, 40));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/search\?q=/);
    await expect(page.locator('ol.results li[data-kind="contact"]').allInnerTexts()).resolves.toEqual(
      expect.arrayContaining([expect.stringContaining(firstContact)]),
    );
    await shot('18-search');
    expect(await axe()).toEqual([]);
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 60_000);

  it('signs in with "Sign in with Microsoft" as one of the partner tenant\'s technicians', async () => {
    const hint = /works with the emulator's partner staff, e\.g\. (\S+) \/ (\S+)/.exec(demo.stderr.join(''));
    expect(hint).toBeTruthy();
    await session.browser.clearCookies();
    await page.goto(`${login.url}/sign-in`);
    await shot('15-sign-in-with-microsoft');
    expect(await axe()).toEqual([]);
    await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
    await page.fill('#login', hint![1]!);
    await page.fill('#passwd', hint![2]!);
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(`${login.url}/`);
    expect(await page.textContent('header')).toContain('Alex Technician');
    expect(await page.textContent('header')).toContain('(technician)');
  });
});
