// Parsers against Microsoft's own example payloads (shared/reference/microsoft/examples).
import { readFileSync } from 'node:fs';
import { microsoftExamplesDir } from '../../support/reference.ts';
import { describe, expect, it } from 'vitest';
import {
  parseUser,
  parseManagedDevice,
  parseSubscribedSku,
  parseOrganization,
  parseRelationship,
  parseAccessAssignment,
  parseCustomer,
  parseReportSettings,
  parseMailboxUsageCsv,
  parseCsv,
  parseUserChange,
} from '../../../src/microsoft/resources.ts';
import { mergeUserChanges } from '../../../src/sync/documentation-mapping.ts';
import { isAutoExtend } from '../../../src/microsoft/discovery.ts';

const dir = microsoftExamplesDir;
const json = (name: string) => JSON.parse(readFileSync(`${dir}/${name}`, 'utf8')) as { value: unknown[] } & Record<string, unknown>;
const ok = <T>(p: { ok: true; value: T } | { ok: false; reason: string }): T => {
  if (!p.ok) throw new Error(p.reason);
  return p.value;
};

describe('Graph parsers on recorded payloads', () => {
  it('users list', () => {
    const users = json('users-list.json').value.map((u) => ok(parseUser(u)));
    expect(users.length).toBe(2);
    expect(users[0]!.userPrincipalName).toContain('@');
    expect(users[0]!.proxyAddresses).toEqual([]);
  });

  it('signInActivity: "0001-01-01" and "" mean no date, never a wrong date', () => {
    const users = json('user-signInActivity.json').value.map((u) => ok(parseUser({ userPrincipalName: 'x@y', ...(u as object) })));
    expect(users[0]!.signInActivity).toEqual({
      lastSignInDateTime: '2021-06-17T16:41:33.000Z',
      lastNonInteractiveSignInDateTime: null,
      lastSuccessfulSignInDateTime: null,
    });
  });

  it('a user without id or with a wrong type is skipped with a reason', () => {
    expect(parseUser({ userPrincipalName: 'a@b' })).toEqual({ ok: false, reason: 'user: id is missing' });
    expect(parseUser({ id: 'u1', userPrincipalName: 'a@b', accountEnabled: 'yes' })).toEqual({
      ok: false,
      reason: 'user u1: accountEnabled is not a boolean',
    });
    expect(parseUser('nonsense')).toEqual({ ok: false, reason: 'user: not an object' });
  });

  it('managed devices, subscribed SKUs, organization', () => {
    const device = ok(parseManagedDevice(json('managedDevices-list.json').value[0]));
    expect(device.id).toBeTruthy();
    const skus = json('subscribedSkus.json').value.map((s) => ok(parseSubscribedSku(s)));
    expect(skus[0]!.prepaidUnits!.enabled).toBeGreaterThanOrEqual(0);
    const org = ok(parseOrganization(json('organization.json')));
    expect(org.verifiedDomains.length).toBeGreaterThan(0);
  });

  it('GDAP relationships, access assignments and customers', () => {
    const relationship = ok(parseRelationship(json('delegatedAdminRelationships-list.json').value[0]));
    expect(relationship.customer.tenantId).toBe('52eaad04-13a2-4a2f-9ce8-93a294fadf36');
    expect(relationship.status).toBe('active');
    expect(isAutoExtend(relationship.autoExtendDuration)).toBe(true);
    expect(isAutoExtend('PT0S')).toBe(false);
    expect(isAutoExtend('P0D')).toBe(false);
    const assignment = ok(parseAccessAssignment(json('delegatedAdminRelationship-accessAssignments.json').value[0]));
    expect(assignment.securityGroupId).toBe('227a2f44-2682-4831-a021-f8d69a34bcba');
    expect(assignment.roleDefinitionIds.length).toBeGreaterThan(0);
    expect(json('delegatedAdminCustomers-list.json').value.map((c) => ok(parseCustomer(c)).tenantId).length).toBe(2);
  });

  it('report settings in the documented "value" wrapper', () => {
    expect(parseReportSettings(json('adminReportSettings.json'))).toEqual({ ok: true, value: { displayConcealedNames: true } });
  });

  it("mailbox usage CSV in both the 15- and the 17-column form (Microsoft's headers, our rows)", () => {
    const v1Header = readFileSync(`${dir}/reports-getMailboxUsageDetail.csv`, 'utf8').trim();
    const betaHeader = readFileSync(`${dir}/reports-getMailboxUsageDetail.beta.csv`, 'utf8').trim();
    expect(parseMailboxUsageCsv(v1Header)).toEqual({ rows: [], skipped: [] });
    const v1 = parseMailboxUsageCsv(
      `\uFEFF${v1Header}\r\n2024-01-07,adele@contoso.com,"Vance, Adele",False,,2020-01-01,2024-01-06,1200,52428800,,,,3,2048,7\r\n`,
    );
    const beta = parseMailboxUsageCsv(
      `${betaHeader}\n2024-01-07,alex@contoso.com,Alex,False,,2020-01-01,,10,1024,,,,0,0,0,True,7\n,,,,,,,,,,,,,,,,\n`,
    );
    expect(v1.rows).toEqual([
      expect.objectContaining({
        userPrincipalName: 'adele@contoso.com',
        displayName: 'Vance, Adele',
        storageUsedBytes: 52428800,
        itemCount: 1200,
        hasArchive: null,
      }),
    ]);
    expect(beta.rows).toEqual([
      expect.objectContaining({ userPrincipalName: 'alex@contoso.com', hasArchive: true, lastActivityDate: null }),
    ]);
    expect(beta.skipped).toEqual(['mailbox usage row 3: no user principal name']);
  });

  it('CSV with quotes, commas and CRLF', () => {
    expect(parseCsv('a,"b, ""c""",d\r\n1,2,3\r\n')).toEqual([
      ['a', 'b, "c"', 'd'],
      ['1', '2', '3'],
    ]);
  });
});

describe('users/delta items are partial (user: delta, examples 1–3)', () => {
  it('parses every documented delta item, keeping only the properties Microsoft sent', () => {
    const items = json('users-delta.json').value.filter((u) => !('@removed' in (u as object)));
    const parsed = items.map((u) => ok(parseUserChange(u)));
    // "Conf Room Adams" has no givenName, surname or userPrincipalName: still a change, not a skip.
    expect(parsed.find((u) => u.displayName === 'Conf Room Adams')).toEqual({
      id: '6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0',
      displayName: 'Conf Room Adams',
    });
    const changed = json('users-delta.5-deltaLink-changes.json').value[0];
    expect(ok(parseUserChange(changed))).toEqual({
      id: '25dcffff-959e-4ece-9973-e5d9b800e8cc',
      displayName: 'MOD Administrator',
      givenName: 'MOD',
      surname: 'Administrator',
    });
  });

  it('keeps a cleared value as null and rejects a wrong type', () => {
    expect(ok(parseUserChange({ id: 'u1', mail: null, accountEnabled: false }))).toEqual({ id: 'u1', mail: null, accountEnabled: false });
    expect(parseUserChange({ id: 'u1', accountEnabled: 'no' }).ok).toBe(false);
    expect(parseUserChange({ displayName: 'no id' }).ok).toBe(false);
  });

  it('merges only the keys present, copy after copy, and names new users it cannot document', () => {
    const stored = {
      id: 'u1',
      userPrincipalName: 'a@contoso.com',
      proxyAddresses: ['SMTP:a@contoso.com'],
      accountEnabled: true,
      assignedLicenses: [{ skuId: 's' }],
    };
    const { merged, incomplete } = mergeUserChanges(
      [
        { id: 'u1', displayName: 'New Name' },
        { id: 'u1', accountEnabled: false },
        { id: 'u2', displayName: 'Conf Room Adams' },
      ],
      new Map([['u1', stored]]),
    );
    expect(merged).toEqual([{ ...stored, displayName: 'New Name', accountEnabled: false }]);
    expect(incomplete).toEqual(['u2']);
  });
});
