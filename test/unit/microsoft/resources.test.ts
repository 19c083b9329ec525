// Parsers against Microsoft's own example payloads (shared/reference/microsoft/examples).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseUser, parseManagedDevice, parseSubscribedSku, parseOrganization, parseRelationship, parseAccessAssignment, parseCustomer,
  parseReportSettings, parseMailboxUsageCsv, parseCsv,
} from '../../../src/microsoft/resources.ts';
import { isAutoExtend } from '../../../src/microsoft/discovery.ts';

const dir = '/work/shared/reference/microsoft/examples';
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
    expect(users[0]!.signInActivity).toEqual({ lastSignInDateTime: '2021-06-17T16:41:33.000Z', lastNonInteractiveSignInDateTime: null, lastSuccessfulSignInDateTime: null });
  });

  it('a user without id or with a wrong type is skipped with a reason', () => {
    expect(parseUser({ userPrincipalName: 'a@b' })).toEqual({ ok: false, reason: 'user: id is missing' });
    expect(parseUser({ id: 'u1', userPrincipalName: 'a@b', accountEnabled: 'yes' })).toEqual({ ok: false, reason: 'user u1: accountEnabled is not a boolean' });
    expect(parseUser('nonsense')).toEqual({ ok: false, reason: 'user: not an object' });
  });

  it('managed devices, subscribed SKUs, organization', () => {
    const device = ok(parseManagedDevice(json('managedDevices-list.json').value[0]));
    expect(device.id).toBeTruthy();
    const skus = json('subscribedSkus.json').value.map((s) => ok(parseSubscribedSku(s)));
    expect(skus[0]!.prepaidUnits.enabled).toBeGreaterThanOrEqual(0);
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

  it('mailbox usage CSV in both the 15- and the 17-column form (Microsoft\'s headers, our rows)', () => {
    const v1Header = readFileSync(`${dir}/reports-getMailboxUsageDetail.csv`, 'utf8').trim();
    const betaHeader = readFileSync(`${dir}/reports-getMailboxUsageDetail.beta.csv`, 'utf8').trim();
    expect(parseMailboxUsageCsv(v1Header)).toEqual({ rows: [], skipped: [] });
    const v1 = parseMailboxUsageCsv(`\uFEFF${v1Header}\r\n2024-01-07,adele@contoso.com,"Vance, Adele",False,,2020-01-01,2024-01-06,1200,52428800,,,,3,2048,7\r\n`);
    const beta = parseMailboxUsageCsv(`${betaHeader}\n2024-01-07,alex@contoso.com,Alex,False,,2020-01-01,,10,1024,,,,0,0,0,True,7\n,,,,,,,,,,,,,,,,\n`);
    expect(v1.rows).toEqual([expect.objectContaining({ userPrincipalName: 'adele@contoso.com', displayName: 'Vance, Adele', storageUsedBytes: 52428800, itemCount: 1200, hasArchive: null })]);
    expect(beta.rows).toEqual([expect.objectContaining({ userPrincipalName: 'alex@contoso.com', hasArchive: true, lastActivityDate: null })]);
    expect(beta.skipped).toEqual(['mailbox usage row 3: no user principal name']);
  });

  it('CSV with quotes, commas and CRLF', () => {
    expect(parseCsv('a,"b, ""c""",d\r\n1,2,3\r\n')).toEqual([['a', 'b, "c"', 'd'], ['1', '2', '3']]);
  });
});
