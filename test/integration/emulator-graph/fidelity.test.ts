// Fidelity: the emulator's Graph responses against Microsoft's documented samples
// (microsoft-examples/, Microsoft's recorded responses; see its README.md): same keys, value
// types, CSV headers, error and header shapes — not the same values.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';
import { shapeDifferences, type ShapeOptions } from './shape.ts';

const dir = new URL('./microsoft-examples/', import.meta.url);
const example = (name: string): any => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
const PAGING: ShapeOptions = {
  extraKeys: ['@odata.context', '@odata.nextLink', '@odata.count'],
  optionalKeys: ['@odata.nextLink', '@odata.context'],
};
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let h: Harness;
let tenant: string;
let token: string;
let partnerToken: string;

beforeAll(async () => {
  h = await startHarness({ customers: 6, usersPerTenant: 60 });
  tenant = h.world.customers()[0]!.tenantId;
  token = h.appToken(tenant);
  partnerToken = h.appToken(h.world.partner.tenantId);
});
afterAll(() => h?.close());

function expectShape(exampleBody: unknown, ours: unknown, options: ShapeOptions = PAGING): void {
  expect(shapeDifferences(exampleBody, ours, options)).toEqual([]);
}

describe('Graph fidelity with Microsoft samples', () => {
  it('GET /users: default properties (users-list.json) and Graph headers', async () => {
    const r = await h.get('/v1.0/users', token, { 'client-request-id': '7964ef27-13a3-6ca4-ed7b-73c271110867' });
    expect(r.status).toBe(200);
    expect(r.json.value).toHaveLength(60);
    expectShape(example('users-list.json'), r.json);
    expect(r.headers.get('request-id')).toMatch(GUID);
    expect(r.headers.get('client-request-id')).toBe('7964ef27-13a3-6ca4-ed7b-73c271110867');
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(r.headers.get('odata-version')).toBe('4.0');
  });

  it('GET /users with $select and an assignedLicenses lambda filter (users-list-assignedLicenses-filter.json)', async () => {
    const sku = h.world.subscribedSkus(tenant)[0]!.skuId;
    const r = await h.get(`/v1.0/users?$select=id,mail,assignedLicenses&$filter=assignedLicenses/any(u:u/skuId eq ${sku})`, token);
    expect(r.status).toBe(200);
    expect(r.json.value.length).toBeGreaterThan(10);
    expectShape(example('users-list-assignedLicenses-filter.json'), r.json);
    expect(r.json['@odata.context']).toBe(`${h.graph}/v1.0/$metadata#users(id,mail,assignedLicenses)`);
  });

  it('GET /users with signInActivity (user-signInActivity.json, 2025 shape)', async () => {
    const r = await h.get('/v1.0/users?$select=displayName,userPrincipalName,signInActivity', token);
    expect(r.status).toBe(200);
    expectShape(example('user-signInActivity.json'), r.json);
  });

  it('GET /users/$count: text/plain number with ConsistencyLevel', async () => {
    const r = await h.get('/v1.0/users/$count', token, { ConsistencyLevel: 'eventual' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(r.text).toBe('60');
  });

  it('users/delta: first page, final page with deltaLink, and changes with @removed', async () => {
    const first = await h.get('/v1.0/users/delta?$select=displayName,givenName,surname', token, { Prefer: 'odata.maxpagesize=25' });
    expectShape(example('users-delta.json'), first.json, { ...PAGING, optionalKeys: ['@odata.nextLink'] });
    expect(first.json['@odata.context']).toContain('#users(displayName,givenName,surname)');
    let page = first.json;
    while (page['@odata.nextLink']) page = (await h.get(page['@odata.nextLink'], token, { Prefer: 'odata.maxpagesize=25' })).json;
    expectShape(example('users-delta.3-final-nextLink.json'), page);
    const renamed = h.world.userAt(tenant, 1)!.record.id;
    h.world.renameUser(tenant, renamed, 'MOD Administrator', { givenName: 'MOD', surname: 'Administrator' });
    h.world.deleteUser(tenant, h.world.userAt(tenant, 12)!.record.id);
    const changes = await h.get(page['@odata.deltaLink'], token);
    expect(changes.json.value).toHaveLength(2);
    expectShape(example('users-delta.5-deltaLink-changes.json'), changes.json);
    expect(changes.json.value[1]['@removed']).toEqual({ reason: 'changed' });
  });

  it('users/delta leaves out properties never set, like "Conf Room Adams" in users-delta.json', async () => {
    const room = h.world.userAt(tenant, 3)!.record.id;
    h.world.updateUser(tenant, room, { displayName: 'Conf Room Adams', givenName: null, surname: null });
    const page = (await h.get('/v1.0/users/delta?$select=displayName,givenName,surname', token, { Prefer: 'odata.maxpagesize=999' })).json;
    const documented = example('users-delta.json').value.find((u: { displayName?: string }) => u.displayName === 'Conf Room Adams');
    const ours = page.value.find((u: { id: string }) => u.id === room);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(documented).sort());
  });

  it('users/delta with Prefer: return=minimal returns only the changed properties of a changed user', async () => {
    let page = (
      await h.get('/v1.0/users/delta?$select=displayName,givenName,surname,accountEnabled,proxyAddresses', token, {
        Prefer: 'odata.maxpagesize=999',
      })
    ).json;
    while (page['@odata.nextLink']) page = (await h.get(page['@odata.nextLink'], token)).json;
    const renamed = h.world.userAt(tenant, 5)!.record.id;
    const disabled = [7, 8, 9, 10, 11].map((slot) => h.world.userAt(tenant, slot)!.record).find((u) => u.accountEnabled)!.id;
    h.world.renameUser(tenant, renamed, 'MOD Administrator', { givenName: 'MOD', surname: 'Administrator' });
    h.world.disableUser(tenant, disabled);
    const minimal = await h.get(page['@odata.deltaLink'], token, { Prefer: 'return=minimal' });
    // The documented change item (users-delta.5-deltaLink-changes.json) carries exactly the renamed properties.
    expectShape(example('users-delta.5-deltaLink-changes.json'), {
      ...minimal.json,
      value: [minimal.json.value[0], { id: disabled, '@removed': { reason: 'changed' } }],
    });
    expect(minimal.json.value).toEqual([
      { displayName: 'MOD Administrator', givenName: 'MOD', surname: 'Administrator', id: renamed },
      { accountEnabled: false, id: disabled },
    ]);
    // Without the preference: every selected property the user has (the default, G:delta).
    const full = await h.get(page['@odata.deltaLink'], token);
    expect(Object.keys(full.json.value[1]).sort()).toEqual([
      'accountEnabled',
      'displayName',
      'givenName',
      'id',
      'proxyAddresses',
      'surname',
    ]);
  });

  it('GET /groups (groups-list.json) and members (group-members.json)', async () => {
    const groups = await h.get('/v1.0/groups', token);
    expectShape(example('groups-list.json'), groups.json);
    const members = await h.get(`/v1.0/groups/${groups.json.value[0].id}/members?$select=id,mail`, token);
    expect(members.json.value.length).toBeGreaterThan(10);
    expectShape(example('group-members.json'), members.json, { ...PAGING, extraKeys: [...PAGING.extraKeys!, '@odata.type'] });
  });

  it('GET /subscribedSkus, /organization/{id}, /domains', async () => {
    expectShape(example('subscribedSkus.json'), (await h.get('/v1.0/subscribedSkus', token)).json);
    const org = await h.get(`/v1.0/organization/${tenant}`, token);
    expectShape(example('organization.json'), org.json);
    // the domains sample is truncated: it lacks isVerified, which docsync needs
    expectShape(example('domains.json'), (await h.get('/v1.0/domains', token)).json, {
      ...PAGING,
      extraKeys: [...PAGING.extraKeys!, 'isVerified'],
    });
  });

  it('partner tenant: contracts, delegatedAdminCustomers, delegatedAdminRelationships and accessAssignments', async () => {
    expectShape(example('contracts-list.json'), (await h.get('/v1.0/contracts', partnerToken)).json);
    expectShape(
      example('delegatedAdminCustomers-list.json'),
      (await h.get('/v1.0/tenantRelationships/delegatedAdminCustomers', partnerToken)).json,
    );
    const rels = await h.get('/v1.0/tenantRelationships/delegatedAdminRelationships', partnerToken);
    expectShape(example('delegatedAdminRelationships-list.json'), rels.json);
    const assignments = await h.get(
      `/v1.0/tenantRelationships/delegatedAdminRelationships/${rels.json.value[0].id}/accessAssignments`,
      partnerToken,
    );
    expectShape(example('delegatedAdminRelationship-accessAssignments.json'), assignments.json);
  });

  it('GET /deviceManagement/managedDevices (managedDevices-list.json): every documented property', async () => {
    const r = await h.get('/v1.0/deviceManagement/managedDevices', token);
    expect(r.json.value.length).toBe(48);
    expectShape(example('managedDevices-list.json'), r.json);
  });

  it('GET /admin/reportSettings (the sample wraps the entity in "value")', async () => {
    const r = await h.get('/v1.0/admin/reportSettings', token);
    expectShape(example('adminReportSettings.json').value, r.json, { extraKeys: ['@odata.context', 'id'] });
  });

  it('reports: 302 to a pre-authenticated download serving CSV with the documented header', async () => {
    const cases: Array<[string, string]> = [
      ["/v1.0/reports/getMailboxUsageDetail(period='D7')", 'reports-getMailboxUsageDetail.csv'],
      ["/beta/reports/getMailboxUsageDetail(period='D7')?$format=text/csv", 'reports-getMailboxUsageDetail.beta.csv'],
      ["/v1.0/reports/getOffice365ActiveUserDetail(period='D30')", 'reports-getOffice365ActiveUserDetail.csv'],
    ];
    for (const [path, file] of cases) {
      const redirect = await h.get(path, token);
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get('content-type')).toContain('text/plain');
      // Microsoft's Location is on another host (reports.office.com, reports-getMailboxUsageDetail.txt).
      expect(new URL(redirect.headers.get('location')!).origin).not.toBe(new URL(h.graph).origin);
      const download = await fetch(redirect.headers.get('location')!);
      expect(download.headers.get('content-type')).toBe('application/octet-stream');
      const bytes = Buffer.from(await download.arrayBuffer());
      const documented = readFileSync(new URL(file, dir));
      expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(
        documented.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])),
      );
      const lines = bytes.toString('utf8').split('\n');
      // The mailbox report's downloads add "Recipient Type" before "Report Period" (emulator/graph/reports.ts).
      const header = file.startsWith('reports-getMailboxUsageDetail')
        ? documented.toString('utf8').replace(',Report Period', ',Recipient Type,Report Period')
        : documented.toString('utf8');
      expect(`${lines[0]}\n`).toBe(header);
      expect(lines.length).toBeGreaterThan(20);
    }
  });

  it('beta reports as JSON match the beta samples', async () => {
    const mailbox = await h.get("/beta/reports/getMailboxUsageDetail(period='D7')?$format=application/json", token);
    // recipientType: the service's rows carry it beyond the doc sample (emulator/graph/reports.ts).
    expectShape(example('reports-getMailboxUsageDetail.beta.json'), mailbox.json, {
      ...PAGING,
      extraKeys: [...PAGING.extraKeys!, 'recipientType'],
    });
    const active = await h.get("/beta/reports/getOffice365ActiveUserDetail(period='D7')?$format=application/json", token);
    expectShape(example('reports-getOffice365ActiveUserDetail.beta.json'), active.json);
  });

  it('$batch: envelope, inner success and error bodies (batch.json)', async () => {
    const request = example('batch.request.json');
    const r = await fetch(`${h.graph}/v1.0/$batch`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as any;
    const documented = example('batch.json');
    expect(body.responses.map((x: any) => x.id)).toEqual(['1', '2', '3', '4', '5']);
    const byId = (b: any, id: string) => b.responses.find((x: any) => x.id === id);
    // /me/... does not exist for app-only callers here: still an error of Graph's shape
    for (const id of ['1', '2', '3', '4']) expectShape(byId(documented, '3').body, byId(body, id).body, {});
    expect(byId(body, '3')).toMatchObject({ status: 403, body: { error: { code: 'Authorization_RequestDenied' } } });
    expectShape(byId(documented, '5'), byId(body, '5'), { extraKeys: ['request-id', 'client-request-id', '@odata.nextLink'] });
    expect(byId(body, '5').body['@odata.count']).toBeGreaterThan(0);
  });

  it('errors: Request_UnsupportedQuery, $search without ConsistencyLevel, 403 and 401 shapes', async () => {
    const advanced = await h.get("/v1.0/users?$filter=endsWith(mail,'@outlook.com')", token);
    expect(advanced.status).toBe(400);
    expectShape(example('error-400-Request_UnsupportedQuery.json'), advanced.json, {});
    expect(advanced.json.error).toMatchObject({ code: 'Request_UnsupportedQuery', message: 'Unsupported Query.' });
    const search = await h.get('/v1.0/users?$search="displayName:ad"', token);
    expect(search.json.error.message).toBe(example('error-400-Request_UnsupportedQuery-search.json').error.message);
    const forbidden = await h.get('/v1.0/users', h.appToken(tenant, ['Group.Read.All']));
    expect(forbidden.status).toBe(403);
    expectShape(example('batch.json').responses[2].body, forbidden.json, {});
    expect(forbidden.json.error.code).toBe('Authorization_RequestDenied');
    const unauthenticated = await h.get('/v1.0/users', 'not-a-token');
    expect(unauthenticated.status).toBe(401);
    expectShape(example('graph-401-cae-claims-challenge.json'), unauthenticated.json, {});
    expect(unauthenticated.json.error.code).toBe('InvalidAuthenticationToken');
    expect(unauthenticated.headers.get('request-id')).toBe(unauthenticated.json.error.innerError['request-id']);
  });
});
