// Behaviour of the emulated Graph as docsync meets it: paging, query rules, permissions
// through GDAP, the customer mix, delta resync, reports concealment, $batch and the admin API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;
let c: string[];

beforeAll(async () => {
  h = await startHarness({ customers: 8, usersPerTenant: 1200 });
  c = h.world.customers().map((p) => p.tenantId);
});
afterAll(() => h?.close());

const post = (url: string, token: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('users paging and queries', () => {
  it('pages 999 users at a time with absolute $skiptoken nextLinks until every user is listed', async () => {
    const token = h.appToken(c[0]!);
    const first = await h.get('/v1.0/users?$top=999&$select=id,userPrincipalName', token);
    expect(first.json.value).toHaveLength(999);
    const next = first.json['@odata.nextLink'] as string;
    expect(next.startsWith(`${h.graph}/v1.0/users?`)).toBe(true);
    expect(next).toContain('$skiptoken=');
    const second = await h.get(next, token);
    expect(second.json.value).toHaveLength(201);
    expect(second.json['@odata.nextLink']).toBeUndefined();
    const ids = new Set([...first.json.value, ...second.json.value].map((u: { id: string }) => u.id));
    expect(ids.size).toBe(1200);
    expect((await h.get('/v1.0/users', token)).json.value).toHaveLength(100);
  });

  it('rejects $top above 999, unknown $select properties and foreign skiptokens', async () => {
    const token = h.appToken(c[0]!);
    expect((await h.get('/v1.0/users?$top=1000', token)).status).toBe(400);
    const select = await h.get('/v1.0/users?$select=id,favouriteColour', token);
    expect(select.status).toBe(400);
    expect(select.json.error.message).toContain('favouriteColour');
    const next = (await h.get('/v1.0/users?$top=5', token)).json['@odata.nextLink'] as string;
    const elsewhere = await h.get(next, h.appToken(c[1]!));
    expect(elsewhere.status).toBe(400);
  });

  it('filters on the properties docsync uses; advanced queries need ConsistencyLevel and $count', async () => {
    const token = h.appToken(c[0]!);
    const guests = await h.get("/v1.0/users?$filter=userType eq 'Guest'&$select=id,userType,userPrincipalName", token);
    expect(guests.json.value.length).toBeGreaterThan(0);
    for (const u of guests.json.value) expect(u.userPrincipalName).toContain('#EXT#');
    const disabled = await h.get('/v1.0/users?$filter=accountEnabled eq false&$select=id,accountEnabled', token);
    expect(disabled.json.value.every((u: { accountEnabled: boolean }) => !u.accountEnabled)).toBe(true);
    const someone = h.world.userAt(c[0]!, 1)!.record;
    const alias = someone.proxyAddresses.find((p) => p.startsWith('smtp:'))!;
    const byAlias = await h.get(`/v1.0/users?$filter=proxyAddresses/any(x:x eq '${alias}')`, token);
    expect(byAlias.json.value.map((u: { id: string }) => u.id)).toEqual([someone.id]);
    const upn = await h.get(
      `/v1.0/users?$filter=startswith(userPrincipalName,'${someone.userPrincipalName.slice(0, 6).toUpperCase()}')`,
      token,
    );
    expect(upn.json.value.map((u: { id: string }) => u.id)).toContain(someone.id);
    expect((await h.get("/v1.0/users?$filter=userType ne 'Guest'", token)).status).toBe(400);
    const advanced = await h.get("/v1.0/users?$filter=userType ne 'Guest'&$count=true&$top=5", token, { ConsistencyLevel: 'eventual' });
    expect(advanced.status).toBe(200);
    expect(advanced.json['@odata.count']).toBeGreaterThan(1000);
    const notIndexed = await h.get("/v1.0/users?$filter=faxNumber eq '1'", token);
    expect(notIndexed.json.error.code).toBe('Request_UnsupportedQuery');
    const garbage = await h.get('/v1.0/users?$filter=((displayName eq', token);
    expect(garbage.status).toBe(400);
    expect(garbage.json.error.innerError['request-id']).toBeTruthy();
  });

  it('signInActivity needs AuditLog.Read.All, a premium tenant, and pages at 500', async () => {
    const withAudit = await h.get('/v1.0/users?$select=id,signInActivity&$top=999', h.appToken(c[0]!));
    expect(withAudit.json.value).toHaveLength(500);
    const withoutAudit = await h.get('/v1.0/users?$select=id,signInActivity', h.appToken(c[0]!, ['User.Read.All']));
    expect(withoutAudit.status).toBe(403);
    const notPremium = await h.get('/v1.0/users?$select=id,signInActivity', h.appToken(c[2]!));
    expect(notPremium.status).toBe(403);
    const stale = await h.get(
      '/v1.0/users?$filter=signInActivity/lastSignInDateTime le 2025-03-01T00:00:00Z&$select=id,signInActivity',
      h.appToken(c[0]!),
    );
    expect(stale.json.value.length).toBeGreaterThan(0);
    for (const u of stale.json.value)
      expect(Date.parse(u.signInActivity.lastSignInDateTime)).toBeLessThanOrEqual(Date.parse('2025-03-01T00:00:00Z'));
  });
});

describe('the partner admin through GDAP (delegated tokens)', () => {
  it('reads a healthy customer fully', async () => {
    const token = h.delegatedToken(c[0]!);
    expect((await h.get('/v1.0/users?$top=1', token)).status).toBe(200);
    expect((await h.get('/v1.0/deviceManagement/managedDevices?$top=1', token)).status).toBe(200);
    expect((await h.get("/v1.0/reports/getMailboxUsageDetail(period='D7')", token)).status).toBe(302);
  });

  it('is refused where the access assignment lacks a role, the relationship expired, or there is only DAP', async () => {
    const limited = h.delegatedToken(c[3]!);
    expect((await h.get('/v1.0/users?$top=1', limited)).status).toBe(200);
    // Intune says no with a 401 UnknownError around a nested "Forbidden" (seen live), not a 403.
    const devices = await h.get('/v1.0/deviceManagement/managedDevices', limited);
    expect(devices.status).toBe(401);
    expect(devices.json.error.code).toBe('UnknownError');
    expect(JSON.parse(devices.json.error.message).ErrorCode).toBe('Forbidden');
    expect((await h.get("/v1.0/reports/getMailboxUsageDetail(period='D7')", limited)).status).toBe(403);
    expect((await h.get('/v1.0/users', h.delegatedToken(c[4]!))).status).toBe(403);
    expect((await h.get('/v1.0/users', h.delegatedToken(c[5]!))).status).toBe(403);
  });

  it('loses access at once when a relationship is terminated', async () => {
    const token = h.delegatedToken(c[6]!);
    expect((await h.get('/v1.0/users?$top=1', token)).status).toBe(200);
    h.world.terminateRelationship(c[6]!);
    expect((await h.get('/v1.0/users?$top=1', token)).status).toBe(403);
  });

  it('answers a tenant without Intune with an error, not an empty list', async () => {
    const r = await h.get('/v1.0/deviceManagement/managedDevices', h.appToken(c[2]!));
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain('Request not applicable to target tenant');
  });

  it('refuses tokens once consent is removed', async () => {
    const token = h.appToken(c[7]!);
    expect((await h.get('/v1.0/organization', token)).status).toBe(200);
    h.world.removeConsent(c[7]!);
    const r = await h.get('/v1.0/organization', token);
    expect(r.status).toBe(401);
    h.world.restoreConsent(c[7]!);
  });
});

describe('users/delta', () => {
  it('returns only what changed since the deltaLink, and 410 for unknown or expired tokens', async () => {
    const token = h.appToken(c[1]!);
    let page = (await h.get('/v1.0/users/delta?$select=displayName,accountEnabled', token, { Prefer: 'odata.maxpagesize=999' })).json;
    let pages = 1;
    while (page['@odata.nextLink']) {
      page = (await h.get(page['@odata.nextLink'], token, { Prefer: 'odata.maxpagesize=999' })).json;
      pages++;
    }
    expect(pages).toBe(2);
    const deltaLink = page['@odata.deltaLink'] as string;
    expect((await h.get(deltaLink, token)).json.value).toEqual([]);
    const added = h.world.addUser(c[1]!, { displayName: 'Ærøskøbing Nielsen' });
    const gone = h.world.userAt(c[1]!, 20)!.record.id;
    h.world.deleteUser(c[1]!, gone, { permanent: true });
    const changes = await h.get(deltaLink, token);
    expect(changes.json.value).toEqual([
      { displayName: 'Ærøskøbing Nielsen', accountEnabled: true, id: added.id },
      { id: gone, '@removed': { reason: 'deleted' } },
    ]);
    const unknown = await h.get('/v1.0/users/delta?$deltatoken=bm9wZQ', token);
    expect(unknown.status).toBe(410);
    expect(unknown.headers.get('location')).toContain('/v1.0/users/delta?$deltatoken=');
    h.clock.advance(8 * 24 * 3600 * 1000);
    expect((await h.get(changes.json['@odata.deltaLink'], h.appToken(c[1]!))).status).toBe(410);
    h.clock.advance(-8 * 24 * 3600 * 1000);
  });
});

describe('reports', () => {
  it('conceals names with 32-char hex hashes when the tenant says so, and the link expires', async () => {
    const token = h.appToken(c[1]!);
    expect((await h.get('/v1.0/admin/reportSettings', token)).json.displayConcealedNames).toBe(true);
    const redirect = await h.get("/v1.0/reports/getOffice365ActiveUserDetail(period='D7')", token);
    const csv = await (await fetch(redirect.headers.get('location')!)).text();
    const row = csv.split('\n')[1]!.split(',');
    expect(row[1]).toMatch(/^[0-9A-F]{32}$/);
    expect(row[2]).toMatch(/^[0-9A-F]{32}$/);
    h.clock.advance(10 * 60_000);
    expect((await fetch(redirect.headers.get('location')!)).status).toBe(404);
    h.clock.advance(-10 * 60_000);
    const plain = await h.get("/v1.0/reports/getMailboxUsageDetail(period='D7')", h.appToken(c[0]!));
    const text = await (await fetch(plain.headers.get('location')!)).text();
    expect(text).toContain(h.world.userAt(c[0]!, 1)!.record.userPrincipalName);
    expect((await h.get("/v1.0/reports/getMailboxUsageDetail(period='D8')", token)).status).toBe(400);
  });
});

describe('$batch', () => {
  it('answers up to 20 requests, honours dependsOn with 424, and refuses 21', async () => {
    const token = h.appToken(c[0]!);
    const r = await post(`${h.graph}/v1.0/$batch`, token, {
      requests: [
        { id: '1', method: 'GET', url: '/users?$top=2&$select=id' },
        { id: '2', method: 'GET', url: '/nothing-here' },
        { id: '3', method: 'GET', url: 'organization', dependsOn: ['2'] },
        { id: '4', method: 'GET', url: '/subscribedSkus', dependsOn: ['1'] },
      ],
    });
    const body = (await r.json()) as { responses: Array<{ id: string; status: number; body: any }> };
    expect(body.responses.map((x) => [x.id, x.status])).toEqual([
      ['1', 200],
      ['2', 400],
      ['3', 424],
      ['4', 200],
    ]);
    const tooMany = await post(`${h.graph}/v1.0/$batch`, token, {
      requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users' })),
    });
    expect(tooMany.status).toBe(400);
    const duplicate = await post(`${h.graph}/v1.0/$batch`, token, {
      requests: [
        { id: 'a', method: 'GET', url: '/users' },
        { id: 'A', method: 'GET', url: '/users' },
      ],
    });
    expect(duplicate.status).toBe(400);
    const malformed = await post(`${h.graph}/v1.0/$batch`, token, '{"requests": [');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).error.innerError['request-id']).toBeTruthy();
  });
});

describe('world admin API', () => {
  it('adds, renames and deletes users and devices over HTTP', async () => {
    const base = `${h.graph}/_emulator/world`;
    const world = (await (await fetch(base)).json()) as { customers: Array<{ tenantId: string; traits: { intune: boolean } }> };
    expect(world.customers).toHaveLength(8);
    const tenant = c[0]!;
    const created = (await (
      await fetch(`${base}/tenants/${tenant}/users`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ displayName: 'Admin Api User' }),
      })
    ).json()) as { id: string };
    const renamed = await fetch(`${base}/tenants/${tenant}/users/${created.id}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ displayName: 'Renamed Via Api', accountEnabled: false }),
    });
    expect(await renamed.json()).toMatchObject({ displayName: 'Renamed Via Api', accountEnabled: false });
    const device = (await (
      await fetch(`${base}/tenants/${tenant}/devices`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ userId: created.id, serialNumber: 'System Serial Number' }),
      })
    ).json()) as { id: string };
    const listed = await h.get(`/v1.0/deviceManagement/managedDevices/${device.id}`, h.appToken(tenant));
    expect(listed.json).toMatchObject({ serialNumber: 'System Serial Number', userId: created.id });
    expect((await fetch(`${base}/tenants/${tenant}/devices/${device.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${base}/tenants/${tenant}/users/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${base}/tenants/${tenant}/users/${created.id}`, { method: 'DELETE' })).status).toBe(404);
    expect(
      (await fetch(`${base}/tenants/${c[2]}/devices`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }))
        .status,
    ).toBe(400);
  });
});
