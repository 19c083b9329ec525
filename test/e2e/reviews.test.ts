// Issue 15, "reviews a technician can decide", on the real `docsync demo` in Debian's Chromium:
// a review shows each candidate's facts and a link to its record, resolving it clears the
// candidates, a contact that is already another user's asks for a confirmation, and rooms and
// shared mailboxes are marked and left out of the contacts. Nothing is seeded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, signIn, startDemo, type BrowserSession, type RunningDemo } from './harness.ts';

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
  reason: string | null;
  mailboxKind: string | null;
  contact: { id: string; name: string; emails: string[] } | null;
  candidates: Array<{ id: string; name: string; url: string }>;
}

describe.skipIf(!chromiumAvailable)('reviews in the demo, in Chromium', () => {
  let demo: RunningDemo;
  let login: RunningDemo['login'];
  let session: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    demo = await startDemo({ deadlineMs: START_DEADLINE_MS });
    login = demo.login;
    session = await launchBrowser({ screenshotPrefix: 'reviews', timeoutMs: 15_000 });
    page = session.page;
  }, START_DEADLINE_MS + 30_000);

  afterAll(async () => {
    await session?.close();
    if (demo) expect(await demo.stop()).toBe(0);
  }, STOP_DEADLINE_MS + 10_000);

  /** A full-page screenshot at 1280 and at 800 px, each checked with axe-core. */
  async function shotBothWidths(name: string) {
    await session.shots(name, async (width) => {
      // Usable at 800 px: wide tables scroll in their own box, the page itself does not.
      const overflow = await page.evaluate(`(() => {
        const wide = [...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1
          && !e.closest('.table-scroll'));
        return wide.slice(0, 3).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
      })()`);
      expect(overflow, `${name} at ${width} px: elements wider than the window`).toEqual([]);
      expect(await session.axe(), `${name} at ${width} px`).toEqual([]);
    });
  }
  const api = async <T>(url: string): Promise<T> => {
    const response = await page.request.get(`${login.url}${url}`);
    expect(response.status(), url).toBe(200);
    return (await response.json()) as T;
  };

  it('a technician decides a review from the facts of each candidate, and is warned before giving away a contact', async () => {
    await signIn(page, login, '/tenants');
    // The demo's first sync: wait until it is over.
    await expect
      .poll(async () => (await api<{ items: Array<{ status: string }> }>('/api/sync-runs')).items[0]?.status, { timeout: SYNC_DEADLINE_MS })
      .toMatch(/^(succeeded|partial)$/);
    await page.reload();

    // Accepting a suggestion documents the tenant at once; users whose names match several
    // contacts of the chosen organization become reviews.
    const suggested = page.locator('tr[data-tenant]', { has: page.getByRole('button', { name: /^Accept/ }) }).first();
    const tenantId = (await suggested.getAttribute('data-tenant'))!;
    await suggested.getByRole('button', { name: /^Accept/ }).click();
    await page.getByText('Suggestion accepted.').waitFor();
    const users = await api<{ items: UserRow[] }>(`/api/tenants/${tenantId}/users?decision=review&pageSize=200`);
    expect(users.items.length, 'review cases after accepting a suggestion').toBeGreaterThan(0);
    const review = users.items[0]!;
    expect(review.candidates.length).toBeGreaterThan(0);

    await page.goto(`${login.url}/tenants/${tenantId}/contacts?decision=review`);
    const row = page.locator(`tr[data-user="${review.userId}"]`);
    const cards = row.locator('li.candidate');
    await expect(cards.count()).resolves.toBe(review.candidates.length);
    for (const label of ['Emails', 'Phone', 'Devices', 'Created', 'Updated'])
      await expect(cards.first().locator(`dt:text-is("${label}")`).count()).resolves.toBe(1);
    await expect(cards.first().locator('time').count()).resolves.toBe(2);
    await expect(cards.first().locator('a').first().getAttribute('href')).resolves.toBe(review.candidates[0]!.url);
    await shotBothWidths('01-review-candidates');

    // Keyboard only: focus the first candidate's button and press Enter. A candidate that already
    // belongs to another user asks first; the technician confirms.
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    await cards
      .first()
      .getByRole('button', { name: /^Match / })
      .focus();
    await page.keyboard.press('Enter');
    await page.getByText('Review resolved.').waitFor();
    for (const message of dialogs) expect(message).toMatch(/already belongs to .+Match it to this user anyway\?/s);
    const resolved = await api<UserRow>(`/api/tenants/${tenantId}/users/${encodeURIComponent(review.userId)}`);
    expect(resolved).toMatchObject({ decision: 'match', contact: { id: review.candidates[0]!.id }, candidates: [] });
    await page.goto(`${login.url}/tenants/${tenantId}/users/${encodeURIComponent(review.userId)}`);
    await expect(page.locator('section[aria-labelledby="decision-title"] li.candidate').count()).resolves.toBe(0);
    await shotBothWidths('02-review-resolved');

    // Giving a matched user's contact to another user: the dialog says whose it is; cancelling changes nothing.
    const matched = (await api<{ items: UserRow[] }>(`/api/tenants/${tenantId}/users?decision=match&pageSize=200`)).items.filter(
      (u) => u.contact && u.userId !== review.userId,
    );
    const [taker, holder] = [matched[0]!, matched[1]!];
    page.removeAllListeners('dialog');
    const asked: string[] = [];
    let answer = false;
    page.on('dialog', (dialog) => {
      asked.push(dialog.message());
      void (answer ? dialog.accept() : dialog.dismiss());
    });
    await page.goto(`${login.url}/tenants/${tenantId}/contacts?search=${encodeURIComponent(taker.displayName)}`);
    const takerRow = page.locator(`tr[data-user="${taker.userId}"]`);
    const picker = takerRow.getByRole('combobox', { name: /Choose a contact/ });
    await picker.fill(holder.contact!.name.slice(0, 4));
    // The type-ahead labels a contact "name (first email)": namesakes are told apart by the email.
    const label = `${holder.contact!.name} (${holder.contact!.emails[0] ?? holder.contact!.id.slice(0, 8)})`;
    await takerRow.locator(`datalist option[value=${JSON.stringify(label)}]`).waitFor({ state: 'attached' });
    await picker.fill(label);
    await takerRow.getByRole('button', { name: 'Change match' }).click();
    await expect(page.locator('#flash.error').innerText()).resolves.toMatch(/already belongs to/);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain(holder.displayName);
    expect((await api<UserRow>(`/api/tenants/${tenantId}/users/${encodeURIComponent(taker.userId)}`)).contact?.id).toBe(taker.contact!.id);
    await shotBothWidths('03-contact-held-refused');
    answer = true;
    await takerRow.getByRole('button', { name: 'Change match' }).click();
    await page.getByText('Contact chosen.').waitFor();
    expect(asked).toHaveLength(2);
    expect((await api<UserRow>(`/api/tenants/${tenantId}/users/${encodeURIComponent(taker.userId)}`)).contact?.id).toBe(holder.contact!.id);

    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 120_000);

  it('marks rooms and shared mailboxes and leaves them out of the contacts', async () => {
    const tenants = (await api<{ items: TenantRow[] }>('/api/tenants?state=matched&pageSize=200')).items;
    const healthy = tenants.find((t) => t.health === 'ok')!;
    const excluded = (await api<{ items: UserRow[] }>(`/api/tenants/${healthy.id}/users?decision=excluded&pageSize=200`)).items;
    const resources = excluded.filter((u) => u.mailboxKind);
    // The demo's customers each have a shared mailbox and a room (the emulator's mailbox report says so).
    expect(new Set(resources.map((u) => u.mailboxKind))).toEqual(expect.objectContaining(new Set(['shared', 'room'])));
    for (const u of resources) {
      expect(u.contact).toBeNull();
      expect(u.reason).toMatch(/does not document rooms, equipment and shared mailboxes/);
    }
    await page.goto(`${login.url}/tenants/${healthy.id}/contacts?decision=excluded`);
    for (const u of resources)
      await expect(page.locator(`tr[data-user="${u.userId}"] .badge.mailbox-kind`).innerText()).resolves.toMatch(
        /^(shared mailbox|room|equipment)$/,
      );
    await shotBothWidths('04-resource-mailboxes');

    // The integration's setting that documents them after all.
    await page.goto(`${login.url}/integrations`);
    await page.locator('table tbody tr a').first().click();
    await expect(page.getByLabel('Document rooms, equipment and shared mailboxes as contacts').isChecked()).resolves.toBe(false);
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  }, 60_000);
});
