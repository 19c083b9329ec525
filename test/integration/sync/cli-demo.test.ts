// `docsync demo` as a person tries it: a real process with its embedded database in a data
// directory and the emulator inside it.
//  - `--once --json`: discovery + one full sync, exactly one JSON line with the fields;
//    a second run on the same data directory creates and updates nothing.
//  - the server: first stdout line is {"url","username","password"}, the URL answers /healthz,
//    SIGTERM stops it cleanly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

    const second = await runDocsync(args, docsyncEnv({}));
    expect(second.code, second.stderr).toBe(0);
    const again = JSON.parse(second.stdout);
    expect(again.writes).toMatchObject({ created: 0, updated: 0 });
    expect(again.writes.unchanged).toBeGreaterThan(0);
    expect(again.tenants).toEqual(line.tenants);
    expect({ users: again.users, devices: again.devices, mailboxes: again.mailboxes, licenses: again.licenses }).toEqual({
      users: line.users,
      devices: line.devices,
      mailboxes: line.mailboxes,
      licenses: line.licenses,
    });
  });

  it('serves the UI on the port it prints with the demo login, and stops cleanly on SIGTERM', async () => {
    const demo = startDocsync(['demo', '--port', '0', '--data-dir', dataDir(), '--customers', '2', '--users-per-tenant', '5'], docsyncEnv({}));
    try {
      const [firstLine] = await explained(demo.waitForOutput(/^[^\n]*\n/, 45_000), demo);
      const login = JSON.parse(demo.stdout().split('\n')[0]!);
      expect(Object.keys(login).sort()).toEqual(['password', 'url', 'username']);
      expect(firstLine).toContain(login.url);
      expect(login.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(login.username).toBeTruthy();
      expect(login.password.length).toBeGreaterThanOrEqual(8);

      const health = await fetch(`${login.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
    } finally {
      demo.child.kill('SIGTERM');
    }
    const code = await explained(
      Promise.race([demo.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('demo did not stop within 20 s of SIGTERM')), 20_000))]),
      demo,
    );
    expect(code, demo.stderr()).toBe(0);
    expect(demo.stdout().split('\n').filter((l) => l !== '')).toHaveLength(1);
  });
});
