// Passkeys in Chromium with the DevTools virtual authenticator (CTAP2, resident keys, user
// verification): a technician adds a named passkey from the account page, signs out, and signs in
// with password then passkey; then removes it. The page runs at http://localhost (browsers refuse
// IP addresses as relying party ids). Screenshots at 1280 and 800 px; axe-core; no CSP violation.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { createTechnician } from '../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { PASSWORD, TestClock } from '../integration/web/support.ts';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = path.resolve('test-results/screenshots');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe.skipIf(!existsSync(CHROMIUM))('passkeys in Chromium', () => {
  let ctx: TestContext;
  let clock: TestClock;
  let app: FastifyInstance;
  let base: string;
  let browser: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    clock = new TestClock(new Date());
    ctx = await createTestContext('pglite', { overrides: { clock } });
    await createTechnician(
      { db: ctx.database.db, clock },
      { username: 'noor', password: PASSWORD, role: 'technician', displayName: 'Noor Technician' },
      { id: null, label: 'test' },
    );
    app = await buildApp(ctx);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://localhost:${typeof address === 'object' && address ? address.port : 0}`;
    mkdirSync(SCREENSHOTS, { recursive: true });
    userDataDir = mkdtempSync(path.join(tmpdir(), 'docsync-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const cdp = await browser.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await ctx?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  async function seriousAxeViolations(): Promise<unknown[]> {
    await page.evaluate(axeSource);
    const violations = (await page.evaluate(
      `axe.run(document, { resultTypes: ['violations'] })
        .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help })))`,
    )) as Array<{ impact: string | null }>;
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  }

  async function shots(name: string): Promise<void> {
    for (const width of [1280, 800]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

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
    await shots('passkey-account');
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
    await shots('passkey-sign-in');
    await page.click('button:has-text("Sign in with a passkey")');
    await page.waitForURL(`${base}/account/mfa`);
    expect(await page.textContent('header')).toContain('Noor Technician');
    expect(await page.textContent('ul.passkeys')).toContain('last used');
  });

  it('removes the passkey: the sign-in with it was a fresh second factor', async () => {
    await page.click('button[aria-label="Remove passkey Work laptop"]');
    await page.waitForURL(`${base}/account/mfa`);
    expect(await page.locator('ul.passkeys').count()).toBe(0);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
