// The technician UI in a real browser: Debian's Chromium driven by playwright-core against
// the app listening on 127.0.0.1. Seeds the database directly (tenants, suggestions, a review),
// plays the sync worker's part by writing the run row, and checks accessibility with axe-core.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { createTechnician } from '../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { PASSWORD, seedContents, seedTenants, TestClock, type Seeded, type SeededContents } from '../integration/web/support.ts';
import { chromiumAvailable, launchBrowser, listenOnLoopback, type BrowserSession } from './harness.ts';

describe.skipIf(!chromiumAvailable)('the technician UI in Chromium', () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let base: string;
  let session: BrowserSession;
  let page: Page;
  let seeded: Seeded;
  let contents: SeededContents;
  const dialogs: string[] = [];

  beforeAll(async () => {
    ctx = await createTestContext('pglite', { overrides: { clock: new TestClock(new Date()) } });
    seeded = await seedTenants(ctx);
    contents = await seedContents(ctx, seeded, ctx.clock.now());
    await createTechnician(
      { db: ctx.database.db, clock: ctx.clock },
      { username: 'tess', password: PASSWORD, role: 'technician', displayName: 'Tess Technician' },
      { id: null, label: 'test' },
    );
    app = await buildApp(ctx);
    base = await listenOnLoopback(app);
    session = await launchBrowser({ screenshotPrefix: 'technician', viewportWidth: 1366 });
    page = session.page;
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
  });

  afterAll(async () => {
    await session?.close();
    await app?.close();
    await ctx?.close();
  });

  /** axe-core's serious and critical violations, also written to stderr with the page's name so a failure says where. */
  async function axe(name: string): Promise<string[]> {
    const serious = await session.axe();
    if (serious.length) console.error(`axe on ${name}:`, JSON.stringify(serious, null, 2));
    return serious;
  }

  async function shot(name: string): Promise<void> {
    await session.screenshot(name);
  }

  it('signs in, accepts a suggestion, resolves a review, reads the overlay, watches a sync, signs out', async () => {
    await page.goto(`${base}/tenants`);
    expect(page.url()).toContain('/sign-in?next=%2Ftenants');
    expect(await axe('sign-in')).toEqual([]);
    await shot('01-sign-in');
    // Keyboard only: the username field has focus on load; Tab to the password; Enter submits.
    await page.keyboard.type('tess');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/tenants`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Organizations ↔ tenants');
    // The hostile tenant name is text on the page, not a script that ran (no alert dialog opened).
    expect(dialogs).toEqual([]);
    await expect(page.getByText('<script>alert(1)</script>').first().isVisible()).resolves.toBe(true);
    expect(await axe('organizations')).toEqual([]);
    await shot('02-organizations');

    const northwind = page.locator(`tr[data-tenant="${seeded.tenants.northwind!.id}"]`);
    await northwind.getByRole('button', { name: /^Accept/ }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Suggestion accepted.').waitFor();
    await expect(northwind.locator('.badge').first().textContent()).resolves.toBe('matched');
    const decision = await ctx.database.db
      .selectFrom('match_decisions')
      .selectAll()
      .where('tenant_id', '=', seeded.tenants.northwind!.id)
      .where('kind', '=', 'organization')
      .executeTakeFirstOrThrow();
    expect(decision).toMatchObject({ state: 'matched', target_id: seeded.organizations.northwind, decided_by_technician: true });

    // Choose another organization through the type-ahead list.
    const tailspin = page.locator(`tr[data-tenant="${seeded.tenants.tailspin!.id}"]`);
    const picker = tailspin.getByRole('combobox', { name: /Choose an organization/ });
    await picker.fill('Conto');
    const option = tailspin.locator('datalist option').first();
    await option.waitFor({ state: 'attached' });
    await picker.fill((await option.getAttribute('value'))!);
    await tailspin.getByRole('button', { name: /^Choose/ }).click();
    await page.getByText('Organization chosen.').waitFor();
    await expect(tailspin.locator('td').nth(4).innerText()).resolves.toContain('Contoso Ltd');

    await page.goto(`${base}/tenants/${seeded.tenants.contoso!.id}/contacts?decision=review`);
    expect(await axe('contacts')).toEqual([]);
    await shot('03-contacts-review');
    await page
      .locator('tr[data-user="u-alex"]')
      .getByRole('button', { name: /awilber@contoso\.example/ })
      .click();
    await page.getByText('Review resolved.').waitFor();
    const resolved = await ctx.database.db
      .selectFrom('match_decisions')
      .selectAll()
      .where('source_id', '=', 'u-alex')
      .executeTakeFirstOrThrow();
    expect(resolved).toMatchObject({ state: 'match', target_id: contents.contacts.alexTwo, decided_by_technician: true });

    await page.goto(`${base}/tenants/${seeded.tenants.contoso!.id}/contacts`);
    await page.getByRole('link', { name: 'Adele Vance' }).click();
    await page.getByRole('heading', { name: 'Microsoft overlay' }).waitFor();
    const overlay = await page.locator('dl.overlay').innerText();
    expect(overlay).toContain('Microsoft 365 E5');
    expect(overlay).toContain('5.0 GB used of 50.0 GB');
    expect(overlay).toContain('ADELE-LAPTOP');
    expect(await axe('overlay')).toEqual([]);
    await shot('04-contact-overlay');

    for (const [name, url] of [
      ['05-configurations', `/tenants/${seeded.tenants.contoso!.id}/configurations`],
      ['06-licenses', `/tenants/${seeded.tenants.contoso!.id}/licenses`],
      ['07-integrations', '/integrations'],
      ['08-sync-runs', '/sync-runs'],
    ] as const) {
      await page.goto(`${base}${url}`);
      expect(await axe(name)).toEqual([]);
      await shot(name);
    }

    // Sync now: the page follows the queued run; this test plays the worker by writing the row.
    await page.goto(`${base}/tenants/${seeded.tenants.contoso!.id}/licenses`);
    await page.getByRole('button', { name: 'Sync this tenant now' }).click();
    await page.waitForURL(/\/sync-runs\/[0-9a-f-]{36}$/);
    const runId = page.url().split('/').at(-1)!;
    await page.getByText('Waiting for a worker').waitFor();
    const db = ctx.database.db;
    await db
      .updateTable('sync_runs')
      .set({ status: 'running', started_at: new Date(), progress_done: 1, progress_total: 4, created: 3 })
      .where('id', '=', runId)
      .execute();
    await page.locator('[data-field="progress"]', { hasText: '1 of 4 tenants' }).waitFor();
    await db
      .insertInto('sync_log')
      .values({
        run_id: runId,
        tenant_id: seeded.tenants.contoso!.id,
        level: 'info',
        code: 'users_synced',
        message: '3 users created',
        action: null,
      })
      .execute();
    await page.locator('[data-log] tr', { hasText: '3 users created' }).waitFor();
    expect(await axe('sync-run-live')).toEqual([]);
    await shot('09-sync-run-live');
    await db
      .updateTable('sync_runs')
      .set({ status: 'succeeded', finished_at: new Date(), progress_done: 4 })
      .where('id', '=', runId)
      .execute();
    await page.locator('[data-field="status"]', { hasText: 'succeeded' }).waitFor();
    await shot('10-sync-run-finished');

    // A personal API token is shown once, and works.
    await page.goto(`${base}/account`);
    await page.getByLabel('Token name').fill('e2e script');
    await page.keyboard.press('Enter');
    await page.locator('#new-token').waitFor({ state: 'visible' });
    const token = (await page.locator('#new-token code').textContent())!;
    expect(token).toMatch(/^dsk_/);
    const me = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await me.json()) as { username: string }).username).toBe('tess');
    expect(await axe('account')).toEqual([]);
    await shot('11-account');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/sign-in`);
    await page.goto(`${base}/tenants`);
    expect(page.url()).toContain('/sign-in');

    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  }, 120_000);
});
