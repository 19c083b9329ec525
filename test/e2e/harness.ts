// What every Chromium test needs, in one place: Debian's Chromium launched headless through
// playwright-core with a throw-away profile, the page's CSP violations and script errors
// collected, axe-core's serious and critical violations, full-page screenshots at 1280 and 800 px
// (test-results/screenshots, never in git), and the real `docsync demo` as a child process.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
/** Whether the browser is installed (tests skip without it: `npm test` installs it as root). */
export const chromiumAvailable = existsSync(CHROMIUM);
export const SCREENSHOTS = path.resolve('test-results/screenshots');
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface BrowserSession {
  browser: BrowserContext;
  page: Page;
  /** Console messages about the Content Security Policy: a page that breaks it adds one. */
  cspViolations: string[];
  /** Uncaught script errors of the page. */
  pageErrors: string[];
  /** axe-core's serious and critical violations on the current page, as "rule: first targets". */
  axe(): Promise<string[]>;
  /**
   * Full-page screenshots at 1280 and 800 px wide, named `${prefix}-${name}-${width}.png`; `atEachWidth`, when given,
   * runs right after each screenshot at that width (for checks that depend on it, such as axe or overflow).
   */
  shots(name: string, atEachWidth?: (width: number) => Promise<void>): Promise<void>;
  /** One full-page screenshot at the current viewport, saved as `${fileName}.png` (no prefix, no width). */
  screenshot(fileName: string): Promise<void>;
  close(): Promise<void>;
}

/** `viewportWidth`: the page's width between screenshots (1280 unless told). */
export async function launchBrowser(options: {
  screenshotPrefix: string;
  timeoutMs?: number;
  viewportWidth?: number;
}): Promise<BrowserSession> {
  const viewportWidth = options.viewportWidth ?? 1280;
  mkdirSync(SCREENSHOTS, { recursive: true });
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'docsync-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: viewportWidth, height: 900 },
  });
  browser.setDefaultTimeout(options.timeoutMs ?? 30_000);
  const page = browser.pages()[0] ?? (await browser.newPage());
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return {
    browser,
    page,
    cspViolations,
    pageErrors,
    async axe() {
      await page.evaluate(axeSource);
      return (await page.evaluate(
        `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.filter((v) => v.impact === 'serious' || ` +
          `v.impact === 'critical').map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`,
      )) as string[];
    },
    async shots(name, atEachWidth) {
      for (const width of [1280, 800]) {
        await page.setViewportSize({ width, height: 900 });
        await page.screenshot({ path: path.join(SCREENSHOTS, `${options.screenshotPrefix}-${name}-${width}.png`), fullPage: true });
        await atEachWidth?.(width);
      }
      await page.setViewportSize({ width: viewportWidth, height: 900 });
    },
    async screenshot(fileName) {
      await page.screenshot({ path: path.join(SCREENSHOTS, `${fileName}.png`), fullPage: true });
    },
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Screenshots at 1280 and 800 px, each width checked with axe-core and, unless `wide` (a page whose table is known
 * to be wider than 800 px), for the page scrolling sideways: a table or list must stay usable at 800 px.
 */
export async function shotsChecked(session: BrowserSession, name: string, options: { wide?: boolean } = {}): Promise<void> {
  await session.shots(name, async (width) => {
    expect(await session.axe(), `${name} at ${width} px`).toEqual([]);
    const overflow = (await session.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    if (!options.wide) expect(overflow, `${name} scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
  });
}

/** Starts the app on a free port of 127.0.0.1 and returns its base URL (naming the host `urlHost`, 127.0.0.1 unless told). */
export async function listenOnLoopback(app: FastifyInstance, options: { urlHost?: '127.0.0.1' | 'localhost' } = {}): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return `http://${options.urlHost ?? '127.0.0.1'}:${typeof address === 'object' && address ? address.port : 0}`;
}

export interface DemoLogin {
  url: string;
  username: string;
  password: string;
  emulator: { authorityHost: string; graphBaseUrl: string };
}

export interface RunningDemo {
  login: DemoLogin;
  /** The demo's last stderr lines (its logs), for failure messages. */
  stderr: string[];
  /** SIGTERM, then SIGKILL after 20 s; resolves with the exit code and removes the data directory. */
  stop(): Promise<number | null>;
}

/** `docsync demo` on a free port and a fresh data directory; resolves once it printed its first line. */
export function startDemo(options: { args?: string[]; deadlineMs?: number } = {}): Promise<RunningDemo> {
  const deadline = options.deadlineMs ?? 90_000;
  const dataRoot = mkdtempSync(path.join(tmpdir(), 'docsync-e2e-'));
  const stderr: string[] = [];
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['bin/docsync.js', 'demo', '--port', '0', '--data-dir', path.join(dataRoot, 'data'), ...(options.args ?? [])],
    { cwd: path.resolve('.'), stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr.push(chunk);
    if (stderr.length > 400) stderr.splice(0, stderr.length - 400);
  });
  async function stop(): Promise<number | null> {
    let code = child.exitCode;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      code = await exited;
      clearTimeout(timer);
    }
    rmSync(dataRoot, { recursive: true, force: true });
    return code;
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the demo printed no login within ${deadline} ms:\n${stderr.join('').slice(-4000)}`));
    }, deadline);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code ?? signal}) before printing its login:\n${stderr.join('').slice(-4000)}`));
    });
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ login: JSON.parse(line) as DemoLogin, stderr, stop });
    });
  });
}

/**
 * Signs in on the sign-in page the browser was sent to, and waits to be back at `next`. `startAt`, when given, is the
 * path opened first instead of `next` (the sign-in page itself, say), for tests that sign in from there.
 */
export async function signIn(
  page: Page,
  login: Pick<DemoLogin, 'url' | 'username' | 'password'>,
  next: string,
  options: { startAt?: string } = {},
): Promise<void> {
  await page.goto(`${login.url}${options.startAt ?? next}`);
  await page.getByLabel('Username or email').fill(login.username);
  await page.getByLabel('Password').fill(login.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${login.url}${next}`);
}
