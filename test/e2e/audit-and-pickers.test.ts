// Small things a technician notices, in the real `docsync demo --world` (two customers named
// O'Brien Dental, one Zoë's Bakery) driven in Debian's Chromium: every page carries the favicon;
// the organization picker finds O'Brien from "obrien" and tells the namesakes apart by domain;
// the audit log is in an administrator's menu and reads as names and changed fields, not ids
// and JSON.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, signIn, startDemo, type BrowserSession, type RunningDemo } from './harness.ts';

const WORLD = path.resolve('test/fixtures/world-namesakes.json');

describe.skipIf(!chromiumAvailable)('favicon, organization picker and audit log in the demo, in Chromium', () => {
  let demo: RunningDemo;
  let session: BrowserSession;
  let page: Page;
  let login: RunningDemo['login'];

  beforeAll(async () => {
    demo = await startDemo({ args: ['--world', WORLD] });
    login = demo.login;
    session = await launchBrowser({ screenshotPrefix: 'audit' });
    page = session.page;
    await signIn(page, login, '/tenants');
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    if (demo) expect(await demo.stop()).toBe(0);
  }, 30_000);

  const axe = () => session.axe();
  const shots = (name: string) => session.shots(name);

  it('links an SVG favicon from every page and serves it, also at /favicon.ico, without signing in', async () => {
    for (const url of ['/tenants', '/organizations', '/account']) {
      await page.goto(`${login.url}${url}`);
      expect(await page.locator('link[rel="icon"]').getAttribute('href'), url).toBe('/static/favicon.svg');
    }
    for (const url of ['/static/favicon.svg', '/favicon.ico']) {
      const response = await fetch(`${login.url}${url}`);
      expect([response.status, response.headers.get('content-type')], url).toEqual([200, 'image/svg+xml']);
      expect(await response.text()).toContain('<svg');
    }
  });

  it('finds O\'Brien from "obrien" in the organization picker and tells the namesakes apart by domain', async () => {
    await page.goto(`${login.url}/tenants`);
    const row = page.locator('tr', { hasText: "Zoë's Bakery" }).first();
    const picker = row.getByRole('combobox', { name: /Choose an organization/ });
    await picker.fill('obrien');
    const options = row.locator('datalist option');
    await expect.poll(() => options.count(), { timeout: 10_000 }).toBe(2);
    const values = await options.evaluateAll((list) =>
      list.map((o) => [(o as unknown as { value: string }).value, (o as unknown as { label: string }).label]),
    );
    expect(values.map(([value]) => value).sort()).toEqual(["O'Brien Dental (obrien-dental.ie)", "O'Brien Dental (obriendental.com)"]);
    // What the browser filters the list by contains what was typed.
    for (const [, label] of values) expect(label).toContain('obrien');
    expect(values.join(' ')).not.toMatch(/[0-9a-f]{8}/);
    await picker.fill("O'Brien Dental (obrien-dental.ie)");
    await row.getByRole('button', { name: /^Change/ }).click();
    await page.getByText('Organization chosen.').waitFor();
    await shots('01-picker-chosen');
    expect(await axe()).toEqual([]);
  });

  it('puts the audit log in the menu and shows names and the fields that changed, not ids and JSON', async () => {
    await page.goto(`${login.url}/`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const chosen = page.locator('tbody tr', { hasText: 'tenant ↔ organization' }).first();
    const text = await chosen.innerText();
    expect(text).toContain("tenant ↔ organization in Zoë's Bakery");
    expect(text).toMatch(/→/);
    // The organization chosen and who decided, by name.
    expect(text).toContain("target id: Zoë's Bakery → O'Brien Dental");
    expect(text).toContain('decided by: sync → Demo technician');
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/);
    expect(await chosen.locator('ul.diff ins').count()).toBeGreaterThan(0);
    expect(await page.locator('main').innerText()).not.toContain('{"');
    await shots('02-audit-log');
    expect(await axe()).toEqual([]);
    expect(session.pageErrors).toEqual([]);
    expect(session.cspViolations).toEqual([]);
  });
});
