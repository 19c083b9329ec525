// The CLI contract of `docsync match` (issue 7), as a tool outside docsync sees it: a real
// process, JSON in, exactly one JSON object out, exit 2 with one line on bad input.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const scratch = mkdtempSync(path.join(tmpdir(), 'docsync-match-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function docsyncMatch(args: string[], stdin?: string) {
  const result = spawnSync(process.execPath, ['bin/docsync.js', 'match', ...args], {
    cwd: root,
    input: stdin,
    encoding: 'utf8',
    env: { ...process.env, DOCSYNC_ENV: 'test' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const input = {
  organizations: [
    { id: 'org-contoso', name: 'Contoso Ltd', domains: ['contoso.com'] },
    { id: 'org-northwind', name: 'Northwind Traders', domains: ['northwindtraders.com'] },
  ],
  contacts: [
    {
      id: 'c-adele',
      organizationId: 'org-contoso',
      firstName: 'Adele',
      lastName: 'Vance',
      emails: ['adele.vance@contoso.com'],
      microsoftUserId: null,
    },
  ],
  configurations: [{ id: 'k-laptop', organizationId: 'org-contoso', name: 'LT-01', serialNumber: '5CG1234XYZ', intuneDeviceId: null }],
  tenants: [
    {
      id: 't-contoso',
      displayName: 'Contoso, Ltd.',
      organizationId: null,
      domains: [{ id: 'contoso.com', isVerified: true, isInitial: false }],
      users: [
        {
          id: 'u-adele',
          userPrincipalName: 'AdeleV@contoso.onmicrosoft.com',
          mail: 'Adele.Vance@contoso.com',
          givenName: 'Adele',
          surname: 'Vance',
          proxyAddresses: ['SMTP:Adele.Vance@contoso.com'],
        },
        { id: 'u-guest', userPrincipalName: 'x_gmail.com#EXT#@contoso.onmicrosoft.com', userType: 'Guest' },
      ],
      managedDevices: [
        {
          id: 'd-1',
          deviceName: 'LT-01',
          serialNumber: '5cg1234xyz',
          userId: 'u-adele',
          userPrincipalName: 'AdeleV@contoso.onmicrosoft.com',
        },
      ],
    },
    {
      id: 't-northwind',
      displayName: 'Northwind Traders Inc.',
      organizationId: null,
      domains: [],
      users: [{ id: 'u-n', userPrincipalName: 'n@northwindtraders.com' }],
      managedDevices: [],
    },
  ],
  options: { includeGuests: false },
};

describe('docsync match', () => {
  it('prints one JSON object with a decision for every tenant, user and device', () => {
    const file = path.join(scratch, 'input.json');
    writeFileSync(file, JSON.stringify(input));
    const { code, stdout, stderr } = docsyncMatch(['--input', file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout)).toEqual({
      organizations: [
        { tenantId: 't-contoso', state: 'matched', organizationId: 'org-contoso', rule: 'name', suggestions: [] },
        {
          tenantId: 't-northwind',
          state: 'suggested',
          organizationId: null,
          rule: null,
          suggestions: [{ organizationId: 'org-northwind', score: expect.any(Number) }],
        },
      ],
      contacts: [
        {
          tenantId: 't-contoso',
          userId: 'u-adele',
          decision: 'match',
          contactId: 'c-adele',
          rule: 'alias',
          candidates: [],
          reason: expect.any(String),
        },
        {
          tenantId: 't-contoso',
          userId: 'u-guest',
          decision: 'skip',
          contactId: null,
          rule: null,
          candidates: [],
          reason: expect.any(String),
        },
        {
          tenantId: 't-northwind',
          userId: 'u-n',
          decision: 'pending',
          contactId: null,
          rule: null,
          candidates: [],
          reason: expect.any(String),
        },
      ],
      configurations: [
        {
          tenantId: 't-contoso',
          deviceId: 'd-1',
          decision: 'match',
          configurationId: 'k-laptop',
          rule: 'serial',
          contactId: 'c-adele',
          candidates: [],
        },
      ],
    });
  });

  it('reads the input from stdin with --input -', () => {
    const { code, stdout } = docsyncMatch(['--input', '-'], JSON.stringify({ ...input, options: { includeGuests: true } }));
    expect(code).toBe(0);
    expect(JSON.parse(stdout).contacts[1]).toMatchObject({ userId: 'u-guest', decision: 'create' });
  });

  it('exits 2 with one line naming the bad field, and prints nothing on stdout', () => {
    const bad = structuredClone(input) as { tenants: Array<{ users: Array<Record<string, unknown>> }> };
    bad.tenants[1]!.users[0]!.userPrincipalName = 12;
    const { code, stdout, stderr } = docsyncMatch(['--input', '-'], JSON.stringify(bad));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('tenants[1].users[0].userPrincipalName: expected string, got number 12\n');
  });

  it('exits 2 with one line when the input is not JSON or the file is missing', () => {
    const notJson = docsyncMatch(['--input', '-'], '{"organizations": [');
    expect([notJson.code, notJson.stdout, notJson.stderr.split('\n').length]).toEqual([2, '', 2]);
    expect(notJson.stderr).toMatch(/^stdin is not JSON/);
    const missing = docsyncMatch(['--input', path.join(scratch, 'nope.json')]);
    expect([missing.code, missing.stdout]).toEqual([2, '']);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json: ENOENT\n$/);
  });

  it('lists the first 20 candidates and their count when 2,000 namesakes meet 2,000 contacts, in a small output', () => {
    const many = 2000;
    const crowd = {
      organizations: [{ id: 'org', name: 'Contoso Ltd', domains: ['contoso.com'] }],
      contacts: Array.from({ length: many }, (_, i) => ({
        id: `c-${i}`,
        organizationId: 'org',
        firstName: 'Sam',
        lastName: 'Smith',
        emails: [],
        microsoftUserId: null,
      })),
      configurations: [],
      tenants: [
        {
          id: 't',
          displayName: 'Contoso',
          organizationId: 'org',
          domains: [],
          users: Array.from({ length: many }, (_, i) => ({
            id: `u-${i}`,
            userPrincipalName: `sam${i}@contoso.com`,
            givenName: 'Sam',
            surname: 'Smith',
          })),
          managedDevices: [],
        },
      ],
    };
    const file = path.join(scratch, 'crowd.json');
    writeFileSync(file, JSON.stringify(crowd));
    const { code, stdout, stderr } = docsyncMatch(['--input', file]);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout.length).toBeLessThan(3_000_000);
    const output = JSON.parse(stdout);
    expect(output.contacts).toHaveLength(many);
    expect(output.contacts[0]).toMatchObject({ decision: 'review', rule: 'name', candidateCount: many });
    expect(output.contacts[0].candidates).toHaveLength(20);
    expect(output.contacts[0].reason).toMatch(/^2000 contacts share/);
  });

  it('refuses an input past 64 MB with one line, before reading it', () => {
    const file = path.join(scratch, 'huge.json');
    writeFileSync(file, `${JSON.stringify(input)}${' '.repeat(64 * 1024 * 1024)}`);
    const { code, stdout, stderr } = docsyncMatch(['--input', file]);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/larger than 64 MB/);
  });
});
