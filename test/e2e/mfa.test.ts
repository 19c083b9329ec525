// Multi-factor sign-in in Chromium: a technician sets up an authenticator app from the page
// (the test reads the key off the page and computes the codes, as a phone would), saves the
// recovery codes, signs out, and signs back in with password then code. Screenshots at 1280
// and 800 px; axe-core on each page; no CSP violation.
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, listenOnLoopback, type BrowserSession } from './harness.ts';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { createTechnician } from '../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { PASSWORD, TestClock } from '../integration/web/support.ts';

describe.skipIf(!chromiumAvailable)('multi-factor sign-in in Chromium', () => {
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
      { username: 'mira', password: PASSWORD, role: 'technician', displayName: 'Mira Technician' },
      { id: null, label: 'test' },
    );
    app = await buildApp(ctx);
    base = await listenOnLoopback(app);
    session = await launchBrowser({ screenshotPrefix: 'mfa' });
    page = session.page;
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await app?.close();
    await ctx?.close();
  });

  const seriousAxeViolations = () => session.axe();
  const shots = (name: string) => session.shots(name);

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
    await shots('account-off');
    await page.click('text=Set up authenticator app');
    await page.waitForSelector('figure.qr svg');
    expect(await seriousAxeViolations()).toEqual([]);
    await shots('enrol');
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
    await shots('recovery-codes');
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
    await shots('sign-in-code');
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
    expect(session.cspViolations).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  });
});
