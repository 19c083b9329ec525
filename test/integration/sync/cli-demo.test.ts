// `docsync demo` as a person tries it: a real process with its embedded database in a data
// directory and the emulator inside it.
//  - `--once --json`: discovery + one full sync, exactly one JSON line with the fields;
//    the first sync already leaves a review for a technician (a contact typed in twice);
//    a second run on the same data directory creates and updates nothing.
//  - the server: first stdout line is {"url","username","password"}, the URL answers /healthz,
//    the demo login sees the client secret expiry banner and reminder, SIGTERM stops it cleanly.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createContext } from '../../../src/context.ts';
import { docsyncEnv, explained, runDocsync, startDocsync } from './cli-harness.ts';

const directories: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'docsync-demo-'));
  directories.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

const count = expect.any(Number);

describe('docsync demo (process)', () => {
  it('--once --json prints exactly one JSON line, and a second run on the same data writes nothing', async () => {
    const dir = dataDir();
    const args = ['demo', '--once', '--json', '--data-dir', dir, '--seed', '7', '--customers', '4', '--users-per-tenant', '10'];
    const first = await runDocsync(args, docsyncEnv({}));
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(first.stdout.endsWith('\n')).toBe(true);
    const line = JSON.parse(lines[0]!);
    expect(line).toEqual({
      tenants: { discovered: count, synced: count, failed: count },
      users: count,
      devices: count,
      mailboxes: count,
      licenses: count,
      writes: { created: count, updated: count, unchanged: count },
      decisions: { match: count, create: count, review: count, pending: count, skip: count },
      graphRequests: count,
      throttled: count,
      seconds: count,
    });
    expect(line.tenants.discovered).toBeGreaterThanOrEqual(4);
    expect(line.tenants.synced + line.tenants.failed).toBeLessThanOrEqual(line.tenants.discovered);
    expect(line.tenants.synced).toBeGreaterThan(0);
    expect(line.users).toBeGreaterThan(0);
    expect(line.writes.created).toBeGreaterThan(0);
    expect(line.graphRequests).toBeGreaterThan(0);
    expect(line.decisions.review, 'a review waiting for a technician after the first sync').toBeGreaterThanOrEqual(1);

    const second = await runDocsync(args, docsyncEnv({}));
    expect(second.code, second.stderr).toBe(0);
    const again = JSON.parse(second.stdout);
    expect(again.writes).toMatchObject({ created: 0, updated: 0 });
    expect(again.writes.unchanged).toBeGreaterThan(0);
    expect(again.tenants).toEqual(line.tenants);
    expect(again.decisions.review, 'the review still waits: a sync never guesses for the technician').toBe(line.decisions.review);
    expect({ users: again.users, devices: again.devices, mailboxes: again.mailboxes, licenses: again.licenses }).toEqual({
      users: line.users,
      devices: line.devices,
      mailboxes: line.mailboxes,
      licenses: line.licenses,
    });
  }, 240_000);

  it('serves the UI on the port it prints with the demo login, shows the client secret expiring, stops cleanly on SIGTERM', async () => {
    const demo = startDocsync(
      ['demo', '--port', '0', '--data-dir', dataDir(), '--customers', '2', '--users-per-tenant', '5'],
      docsyncEnv({}),
    );
    try {
      const [firstLine] = await explained(demo.waitForOutput(/^[^\n]*\n/, 90_000), demo);
      const login = JSON.parse(demo.stdout().split('\n')[0]!);
      expect(Object.keys(login).sort()).toEqual(['emulator', 'password', 'url', 'username']);
      // Scripts drive the demo's emulator from the first line: its world and its faults.
      expect(Object.keys(login.emulator).sort()).toEqual(['authorityHost', 'graphBaseUrl']);
      const world = await fetch(`${login.emulator.graphBaseUrl}/_emulator/world`);
      expect(world.status).toBe(200);
      expect(((await world.json()) as { customers: unknown[] }).customers).toHaveLength(2);
      const faults = await fetch(`${login.emulator.authorityHost}/_emulator/faults`);
      expect(faults.status).toBe(200);
      expect(firstLine).toContain(login.url);
      expect(login.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(login.username).toBeTruthy();
      expect(login.password.length).toBeGreaterThanOrEqual(8);

      const health = await fetch(`${login.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const signIn = await fetch(`${login.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: login.username, password: login.password }),
      });
      expect(signIn.status, await signIn.clone().text()).toBe(200);
      const cookie = signIn.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const get = async (url: string) => {
        const response = await fetch(`${login.url}${url}`, { headers: { cookie } });
        expect(response.status, url).toBe(200);
        return response;
      };
      const page = await (await get('/integrations')).text();
      const banner = /<section class="banner[^"]*"[^>]*>(.*?)<\/section>/s
        .exec(page)?.[1]
        ?.replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ');
      expect(banner).toMatch(/The client secret of Demo partner \(emulator, seed \d+\) expires on .+ \(in 20 days\)/);
      const runs = (await (await get('/api/sync-runs?pageSize=50')).json()) as { items: Array<{ id: string; tenantId: string | null }> };
      const integrationRun = runs.items.find((r) => r.tenantId === null)!;
      const detail = (await (await get(`/api/sync-runs/${integrationRun.id}`)).json()) as {
        log: Array<{ code: string; message: string; action: string | null }>;
      };
      const reminder = detail.log.find((l) => l.code === 'client_secret_expiring');
      expect(reminder?.message).toMatch(/expires in 20 days/);
      expect(reminder?.action).toContain('Entra');
    } finally {
      demo.child.kill('SIGTERM');
    }
    const code = await explained(
      Promise.race([
        demo.exited,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('demo did not stop within 20 s of SIGTERM')), 20_000)),
      ]),
      demo,
    );
    expect(code, demo.stderr()).toBe(0);
    expect(
      demo
        .stdout()
        .split('\n')
        .filter((l) => l !== ''),
    ).toHaveLength(1);
  }, 240_000);

  it("--world FILE syncs the file's customers: contacts for the file's users, nothing for the tenant whose GDAP ended", async () => {
    const dir = dataDir();
    const world = path.resolve('test/fixtures/world-two-customers.json');
    const run = await runDocsync(['demo', '--once', '--json', '--data-dir', dir, '--world', world], docsyncEnv({}));
    expect(run.code, run.stderr).toBe(0);
    const line = JSON.parse(run.stdout);
    expect(line.tenants).toEqual({ discovered: 2, synced: 1, failed: 0 });
    expect({ users: line.users, devices: line.devices }).toEqual({ users: 2, devices: 1 });

    const ctx = await createContext(loadConfig({ overrides: { database: { url: null, dataDir: dir } } }));
    try {
      const contacts = await ctx.database.db
        .selectFrom('contacts')
        .innerJoin('organizations', 'organizations.id', 'contacts.organization_id')
        .select(['organizations.name as organization', 'contacts.first_name', 'contacts.last_name'])
        .orderBy('contacts.last_name')
        .execute();
      expect(contacts).toEqual([
        { organization: 'Contoso Dental', first_name: 'Yuri', last_name: 'Brandt' },
        { organization: 'Contoso Dental', first_name: 'Zoë', last_name: 'Quill' },
      ]);
    } finally {
      await ctx.close();
    }
  }, 240_000);

  it('--world with an invalid file exits 2 naming the bad value and creates no data directory', async () => {
    const dir = path.join(dataDir(), 'data');
    const bad = path.join(dataDir(), 'world.json');
    const customer = { tenantId: 'x', displayName: 'X', domains: [{ id: 7 }], users: [], managedDevices: [], subscribedSkus: [] };
    writeFileSync(bad, JSON.stringify({ customers: [{ ...customer, intune: false, premium: false }] }));
    const run = await runDocsync(['demo', '--once', '--json', '--data-dir', dir, '--world', bad], docsyncEnv({}));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('customers[0].domains[0].id: expected string, got number 7\n');
    expect(existsSync(dir)).toBe(false);
  });
});
