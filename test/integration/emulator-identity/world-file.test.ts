// `docsync emulator --world FILE` as a script drives it: a real process serving the file's
// customers (their users, devices, SKUs, domains, GDAP relationships), and exit 2 with one line
// naming the bad value's JSON path when the file is wrong. The world's write side on file records
// runs in process (startEmulator with the parsed file).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../src/emulator/index.ts';
import { parseWorldFile } from '../../../src/emulator/world/explicit.ts';
import { get, postForm } from './helpers.ts';

const WORLD_FILE = path.resolve('test/fixtures/world-two-customers.json');
const CONTOSO = '11111111-2222-4333-8444-555555555555';
const NORTHWIND = '33333333-2222-4333-8444-555555555555';

const directories: string[] = [];
afterAll(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

function writeWorld(mutate: (world: { customers: Array<Record<string, unknown>> }) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'docsync-world-'));
  directories.push(dir);
  const world = JSON.parse(readFileSync(WORLD_FILE, 'utf8'));
  mutate(world);
  const file = path.join(dir, 'world.json');
  writeFileSync(file, JSON.stringify(world));
  return file;
}

function runEmulator(file: string) {
  return spawnSync(process.execPath, ['bin/docsync.js', 'emulator', '--world', file], {
    encoding: 'utf8',
    env: { ...process.env, DOCSYNC_ENV: 'test' },
    timeout: 30_000,
  });
}

describe('docsync emulator --world FILE (process)', () => {
  it("serves the file's customers: their users, devices, licences, domains and GDAP relationships", async () => {
    const child = spawn(process.execPath, ['bin/docsync.js', 'emulator', '--world', WORLD_FILE], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCSYNC_ENV: 'test' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', () => reject(new Error(`exited before printing: ${stderr}`)));
      });
      const info = JSON.parse(first) as Record<string, string | number>;
      expect(info.customers).toBe(2);
      const token = async (tenant: string) => {
        const result = await postForm(`${info.authorityHost}/${tenant}/oauth2/v2.0/token`, {
          client_id: String(info.clientId),
          client_secret: String(info.clientSecret),
          grant_type: 'refresh_token',
          refresh_token: String(info.refreshToken),
          scope: 'https://graph.microsoft.com/.default offline_access',
        });
        expect(result.status, result.text).toBe(200);
        return { authorization: `Bearer ${String(result.body.access_token)}` };
      };
      const graph = String(info.graphBaseUrl);

      const partner = await token(String(info.partnerTenantId));
      const relationships = await get(`${graph}/v1.0/tenantRelationships/delegatedAdminRelationships`, partner);
      expect(relationships.status, relationships.text).toBe(200);
      const byTenant = new Map(
        (relationships.body.value as Array<{ customer: { tenantId: string }; status: string; endDateTime: string }>).map((r) => [
          r.customer.tenantId,
          r,
        ]),
      );
      expect(byTenant.get(CONTOSO)?.status).toBe('active');
      expect(byTenant.get(NORTHWIND)).toMatchObject({ status: 'expired' });
      expect(Date.parse(byTenant.get(NORTHWIND)!.endDateTime)).toBe(Date.parse('2026-01-31T00:00:00Z'));

      const contoso = await token(CONTOSO);
      const users = await get(`${graph}/v1.0/users?$select=id,displayName,userPrincipalName,mail`, contoso);
      expect(users.status, users.text).toBe(200);
      expect((users.body.value as Array<{ displayName: string }>).map((u) => u.displayName)).toEqual(['Zoë Quill', 'Yuri Brandt']);
      const delta = await get(`${graph}/v1.0/users/delta?$select=id,userPrincipalName`, contoso);
      expect(delta.status, delta.text).toBe(200);
      expect((delta.body.value as Array<{ userPrincipalName: string }>).map((u) => u.userPrincipalName)).toEqual([
        'zoe.quill@contosodental.com',
        'yuri.brandt@contosodental.com',
      ]);
      const devices = await get(`${graph}/v1.0/deviceManagement/managedDevices`, contoso);
      expect(devices.status, devices.text).toBe(200);
      expect(devices.body.value).toEqual([expect.objectContaining({ deviceName: 'ZOE-LAPTOP', serialNumber: 'SN-ZQ-1' })]);
      const skus = await get(`${graph}/v1.0/subscribedSkus`, contoso);
      expect(skus.body.value).toEqual([expect.objectContaining({ skuPartNumber: 'O365_BUSINESS_PREMIUM', consumedUnits: 1 })]);
      const domains = await get(`${graph}/v1.0/domains`, contoso);
      expect((domains.body.value as Array<{ id: string }>).map((d) => d.id)).toEqual([
        'contosodental.onmicrosoft.com',
        'contosodental.com',
      ]);
      const organization = await get(`${graph}/v1.0/organization`, contoso);
      expect(organization.body.value).toEqual([expect.objectContaining({ id: CONTOSO, displayName: 'Contoso Dental' })]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('exits 2 with one line naming the JSON path of the bad value, and prints nothing on stdout', () => {
    const file = writeWorld((world) => {
      const second = world.customers[1] as { users: Array<Record<string, unknown>> };
      second.users[0]!.userPrincipalName = 12;
    });
    const result = runEmulator(file);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('customers[1].users[0].userPrincipalName: expected string, got number 12\n');
  });

  it('names a missing field, a bad relationship status and a file that is not JSON', () => {
    const missing = runEmulator(writeWorld((world) => delete world.customers[0]!.tenantId));
    expect(missing.stderr).toBe('customers[0].tenantId: expected string, but it is missing\n');
    const status = runEmulator(writeWorld((world) => (world.customers[1]!.relationship = { status: 'over' })));
    expect(status.status).toBe(2);
    expect(status.stderr.trim().split('\n')).toHaveLength(1);
    expect(status.stderr).toMatch(/^customers\[1\]\.relationship\.status: /);
    const dir = mkdtempSync(path.join(tmpdir(), 'docsync-world-'));
    directories.push(dir);
    writeFileSync(path.join(dir, 'broken.json'), '{"customers": [');
    const broken = runEmulator(path.join(dir, 'broken.json'));
    expect(broken.status).toBe(2);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toMatch(/is not JSON/);
  });
});

describe('a world from a file (in process)', () => {
  it("keeps the write side working on the file's users: a rename, a new user, a soft delete", async () => {
    const customers = parseWorldFile(JSON.parse(readFileSync(WORLD_FILE, 'utf8')));
    const emu = await startEmulator({ explicitCustomers: customers });
    try {
      const world = emu.world;
      const zoe = 'aaaaaaaa-0000-4000-8000-000000000001';
      world.renameUser(CONTOSO, zoe, 'Zoë Quill-Brandt');
      expect(world.user(CONTOSO, zoe)?.record.displayName).toBe('Zoë Quill-Brandt');
      const added = world.addUser(CONTOSO, { displayName: 'New Hire' });
      expect(world.user(CONTOSO, added.id)?.record.displayName).toBe('New Hire');
      expect(world.userCount(CONTOSO)).toBe(3);
      world.deleteUser(CONTOSO, 'aaaaaaaa-0000-4000-8000-000000000002');
      expect(world.userCount(CONTOSO)).toBe(2);
      expect(world.userChangesSince(CONTOSO, 0).map((c) => c.userId)).toContain(zoe);
      expect(world.customer('contosodental.com')?.tenantId).toBe(CONTOSO);
      expect(world.device(CONTOSO, 'dddddddd-0000-4000-8000-000000000001')?.deviceName).toBe('ZOE-LAPTOP');
    } finally {
      await emu.close();
    }
  });
});
