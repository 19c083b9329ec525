// Passkeys in Chromium with the DevTools virtual authenticator (CTAP2, resident keys, user
// verification): a technician adds a named passkey from the account page, signs out, and signs in
// with password then passkey; then removes it. The page runs at http://localhost (browsers refuse
// IP addresses as relying party ids). Screenshots at 1280 and 800 px; axe-core; no CSP violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, listenOnLoopback, type BrowserSession } from './harness.ts';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { createTechnician } from '../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { PASSWORD, TestClock } from '../integration/web/support.ts';

describe.skipIf(!chromiumAvailable)('passkeys in Chromium', () => {
  let ctx: TestContext;
  let clock: TestClock;
  let app: FastifyInstance;
  let base: string;
  let session: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    clock = new TestClock(new Date());
    ctx = await createTestContext('pglite', { overrides: { clock } });
    await createTechnician(
      { db: ctx.database.db, clock },
      { username: 'noor', password: PASSWORD, role: 'technician', displayName: 'Noor Technician' },
      { id: null, label: 'test' },
    );
    app = await buildApp(ctx);
    // WebAuthn accepts 'localhost' as a secure origin and relying party id; an IP address is neither.
    base = await listenOnLoopback(app, { urlHost: 'localhost' });
    session = await launchBrowser({ screenshotPrefix: 'passkey' });
    page = session.page;
    const cdp = await session.browser.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await app?.close();
    await ctx?.close();
  });

  const seriousAxeViolations = () => session.axe();
  const shots = (name: string) => session.shots(name);

  it('adds a named passkey from the account page', async () => {
    await page.goto(`${base}/sign-in`);
    await page.fill('#username', 'noor');
    await page.fill('#password', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/account/mfa`);
    await page.fill('#passkey-name', 'Work laptop');
    await page.click('button:has-text("Add a passkey")');
    await page.waitForSelector('ul.passkeys li');
    expect(await page.textContent('ul.passkeys')).toContain('Work laptop');
    expect(await seriousAxeViolations()).toEqual([]);
    await shots('account');
  });

  it('signs out, then asks for the passkey after the password and signs in with it', async () => {
    await page.click('header button:has-text("Sign out")');
    await page.waitForURL(/\/sign-in/);
    await page.goto(`${base}/sign-in?next=/account/mfa`);
    await page.fill('#username', 'noor');
    await page.fill('#password', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/sign-in\/code/);
    expect(await page.locator('#code').count()).toBe(0);
    expect(await seriousAxeViolations()).toEqual([]);
    await shots('sign-in');
    await page.click('button:has-text("Sign in with a passkey")');
    await page.waitForURL(`${base}/account/mfa`);
    expect(await page.textContent('header')).toContain('Noor Technician');
    expect(await page.textContent('ul.passkeys')).toContain('last used');
  });

  it('removes the passkey: the sign-in with it was a fresh second factor', async () => {
    await page.click('button[aria-label="Remove passkey Work laptop"]');
    await page.waitForURL(`${base}/account/mfa`);
    expect(await page.locator('ul.passkeys').count()).toBe(0);
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  });
});
