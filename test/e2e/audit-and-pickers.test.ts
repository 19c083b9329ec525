// Small things a technician notices, in the real `docsync demo --world` (two customers named
// O'Brien Dental, one Zoë's Bakery) driven in Debian's Chromium: every page carries the favicon;
// the organization picker finds O'Brien from "obrien" and tells the namesakes apart by domain;
// the audit log is in an administrator's menu and reads as names and changed fields, not ids
// and JSON.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'];
const SCREENSHOTS = path.resolve('test-results/screenshots');
const WORLD = path.resolve('test/fixtures/world-namesakes.json');
const START_DEADLINE_MS = 60_000;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface DemoLogin {
  url: string;
  username: string;
  password: string;
}

function startDemo(dataDir: string, stderr: string[]): Promise<{ child: ChildProcessWithoutNullStreams; login: DemoLogin }> {
  const child = spawn(process.execPath, ['bin/docsync.js', 'demo', '--port', '0', '--data-dir', dataDir, '--world', WORLD], {
    cwd: path.resolve('.'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr.push(chunk);
    if (stderr.length > 400) stderr.splice(0, stderr.length - 400);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no demo login within ${START_DEADLINE_MS} ms:\n${stderr.join('').slice(-4000)}`)),
      START_DEADLINE_MS,
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code ?? signal}) before printing its login:\n${stderr.join('').slice(-4000)}`));
    });
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, login: JSON.parse(line) as DemoLogin });
    });
  });
}

async function stopDemo(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

describe.skipIf(!existsSync(CHROMIUM))('favicon, organization picker and audit log in the demo, in Chromium', () => {
  let dataRoot: string;
  let userDataDir: string;
  let demo: ChildProcessWithoutNullStreams;
  let login: DemoLogin;
  let browser: BrowserContext;
  let page: Page;
  const demoStderr: string[] = [];
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    dataRoot = mkdtempSync(path.join(tmpdir(), 'docsync-audit-e2e-'));
    ({ child: demo, login } = await startDemo(path.join(dataRoot, 'data'), demoStderr));
    mkdirSync(SCREENSHOTS, { recursive: true });
    userDataDir = mkdtempSync(path.join(tmpdir(), 'docsync-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    browser.setDefaultTimeout(15_000);
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${login.url}/tenants`);
    await page.getByLabel('Username or email').fill(login.username);
    await page.getByLabel('Password').fill(login.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${login.url}/tenants`);
  }, START_DEADLINE_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    if (demo) expect(await stopDemo(demo)).toBe(0);
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
  }, 30_000);

  async function axe(): Promise<string[]> {
    await page.evaluate(axeSource);
    return (await page.evaluate(
      `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === ` +
        `'critical').map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`,
    )) as string[];
  }
  async function shots(name: string) {
    for (const width of [1280, 800]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(SCREENSHOTS, `audit-${name}-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

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
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
