// Multi-factor sign-in in Chromium: a technician sets up an authenticator app from the page
// (the test reads the key off the page and computes the codes, as a phone would), saves the
// recovery codes, signs out, and signs back in with password then code. Screenshots at 1280
// and 800 px; axe-core on each page; no CSP violation.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Secret, TOTP } from 'otpauth';
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

describe.skipIf(!existsSync(CHROMIUM))('multi-factor sign-in in Chromium', () => {
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
      { username: 'mira', password: PASSWORD, role: 'technician', displayName: 'Mira Technician' },
      { id: null, label: 'test' },
    );
    app = await buildApp(ctx);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
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

  /** Screenshots at 1280 and 800 px wide, then back to 1280. */
  async function shots(name: string): Promise<void> {
    for (const width of [1280, 800]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  const codeFor = (key: string) =>
    new TOTP({ secret: Secret.fromBase32(key), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: clock.now().getTime() });

  let key = '';
  let recoveryCodes: string[] = [];

  it('sets up an authenticator app from the QR page, confirmed by one code, and shows 10 recovery codes once', async () => {
    await page.goto(`${base}/sign-in`);
    await page.fill('#username', 'mira');
    await page.fill('#password', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/account/mfa`);
    expect(await page.textContent('main')).toContain('Add a second factor');
    await shots('mfa-account-off');
    await page.click('text=Set up authenticator app');
    await page.waitForSelector('figure.qr svg');
    expect(await seriousAxeViolations()).toEqual([]);
    await shots('mfa-enrol');
    key = (await page.textContent('.secret-key'))!.replace(/\s+/g, '');
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    const box = await page.locator('figure.qr svg').boundingBox();
    expect(box!.width).toBeGreaterThan(150);

    await page.fill('#code', '000000');
    await page.click('text=Confirm and turn on');
    expect(await page.textContent('[role="alert"]')).toContain('does not match');
    expect(await page.locator('figure.qr svg').count()).toBe(1);

    await page.fill('#code', codeFor(key));
    await page.click('text=Confirm and turn on');
    await page.waitForSelector('.recovery-codes');
    recoveryCodes = await page.locator('.recovery-codes code').allTextContents();
    expect(recoveryCodes).toHaveLength(10);
    expect(await seriousAxeViolations()).toEqual([]);
    await shots('mfa-recovery-codes');
    await page.goto(`${base}/account/mfa`);
    expect(await page.textContent('main')).toContain('10 of 10 unused');
  });

  it('signs out, then asks for the code after the password and signs in with it', async () => {
    await page.click('header button:has-text("Sign out")');
    await page.waitForURL(/\/sign-in/);
    await page.goto(`${base}/sign-in?next=/account`);
    await page.fill('#username', 'mira');
    await page.fill('#password', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/sign-in\/code/);
    expect(await seriousAxeViolations()).toEqual([]);
    await shots('mfa-sign-in-code');
    // The enrolment code's step is spent: the phone shows the next one 30 seconds later.
    clock.advance(30_000);
    await page.fill('#code', codeFor(key));
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${base}/account`);
    expect(await page.textContent('header')).toContain('Mira Technician');
  });

  it('signs in with a recovery code when the phone is lost', async () => {
    await page.click('header button:has-text("Sign out")');
    await page.goto(`${base}/sign-in`);
    await page.fill('#username', 'mira');
    await page.fill('#password', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/sign-in\/code/);
    await page.click('summary');
    await page.fill('#recovery-code', recoveryCodes[0]!);
    await page.click('button:has-text("Use recovery code")');
    await page.waitForURL(`${base}/`);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
