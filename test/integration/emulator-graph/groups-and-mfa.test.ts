// The emulator's groups feed and MFA registration report as Microsoft documents them
// ("group: delta", "Get incremental changes for groups", "List userRegistrationDetails"):
// a big group's members split over pages and merged back, removals as "@removed", the documented
// userRegistrationDetails properties, and its 403s (no reports permission, no Entra ID P1/P2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

describe('emulator: groups/delta and userRegistrationDetails', () => {
  let h: Harness;
  let tenant: string;
  let noPremium: string;

  beforeAll(async () => {
    h = await startHarness({ customers: 3, usersPerTenant: 2600 });
    const customers = h.world.customers();
    tenant = customers.find((c) => c.traits.premium)!.tenantId;
    noPremium = customers.find((c) => !c.traits.premium)!.tenantId;
  });
  afterAll(() => h?.close());

  /** Reads a groups/delta round to its end: group id → merged members (id → removed). */
  async function round(link: string, token: string) {
    const groups = new Map<string, Map<string, boolean>>();
    const removedGroups: string[] = [];
    let pages = 0;
    let next: string | undefined = link;
    let deltaLink: string | undefined;
    while (next) {
      const page = await h.get(next, token);
      expect(page.status).toBe(200);
      pages++;
      for (const item of page.json.value as Array<Record<string, unknown>>) {
        if ('@removed' in item) removedGroups.push(item.id as string);
        else {
          const members = groups.get(item.id as string) ?? new Map<string, boolean>();
          for (const m of (item['members@delta'] ?? []) as Array<Record<string, unknown>>) members.set(m.id as string, '@removed' in m);
          groups.set(item.id as string, members);
        }
      }
      next = page.json['@odata.nextLink'];
      deltaLink = page.json['@odata.deltaLink'];
    }
    return { groups, removedGroups, pages, deltaLink: deltaLink! };
  }

  it('splits a big group over pages and the merged round lists every member; then only changes come', async () => {
    const token = h.appToken(tenant, ['GroupMember.Read.All']);
    const first = await round('/v1.0/groups/delta?$select=id,displayName,groupTypes,members', token);
    expect(first.pages).toBeGreaterThan(1);
    for (const g of h.world.groups(tenant)) {
      const expected = h.world.groupMembers(tenant, g.record.id).map((m) => (m.kind === 'user' ? m.user.record.id : m.group.record.id));
      expect([...(first.groups.get(g.record.id)?.keys() ?? [])].sort(), g.record.displayName).toEqual(expected.sort());
    }
    const quiet = await round(first.deltaLink, token);
    expect(quiet.groups.size).toBe(0);

    const sales = h.world.groups(tenant).find((g) => g.record.displayName === 'Sales')!;
    const member = h.world.groupMembers(tenant, sales.record.id).find((m) => m.kind === 'user')!;
    if (member.kind !== 'user') throw new Error('no user');
    h.world.setGroupMember(tenant, sales.record.id, member.user.record.id, false);
    const changed = await round(quiet.deltaLink, token);
    expect([...changed.groups.keys()]).toEqual([sales.record.id]);
    expect([...changed.groups.get(sales.record.id)!]).toEqual([[member.user.record.id, true]]);
    expect((await h.get('/v1.0/groups/delta?$deltatoken=unknown', token)).status).toBe(410);
  });

  it('lists transitive members with the user cast', async () => {
    const finance = h.world.groups(tenant).find((g) => g.record.displayName === 'Finance Team')!;
    const page = await h.get(
      `/v1.0/groups/${finance.record.id}/transitiveMembers/microsoft.graph.user?$select=id&$top=999`,
      h.appToken(tenant),
    );
    expect(page.status).toBe(200);
    const nested = h.world.groupMembers(tenant, finance.nestedGroupIds[0]!).filter((m) => m.kind === 'user');
    const ids = new Set((page.json.value as Array<{ id: string }>).map((u) => u.id));
    for (const m of nested) if (m.kind === 'user') expect(ids.has(m.user.record.id)).toBe(true);
  });

  it('serves userRegistrationDetails with the documented properties, and the documented refusals', async () => {
    const page = await h.get('/v1.0/reports/authenticationMethods/userRegistrationDetails', h.appToken(tenant, ['AuditLog.Read.All']));
    expect(page.status).toBe(200);
    expect(page.json['@odata.context']).toMatch(/\$metadata#reports\/authenticationMethods\/userRegistrationDetails$/);
    expect(Object.keys(page.json.value[0]).sort()).toEqual(
      [
        'id',
        'userPrincipalName',
        'userDisplayName',
        'isAdmin',
        'isSsprRegistered',
        'isSsprEnabled',
        'isSsprCapable',
        'isMfaRegistered',
        'isMfaCapable',
        'isPasswordlessCapable',
        'lastUpdatedDateTime',
        'methodsRegistered',
        'isSystemPreferredAuthenticationMethodEnabled',
        'systemPreferredAuthenticationMethods',
        'userPreferredMethodForSecondaryAuthentication',
        'userType',
      ].sort(),
    );
    const admins = await h.get(
      '/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=isAdmin eq true',
      h.appToken(tenant, ['AuditLog.Read.All']),
    );
    expect((admins.json.value as Array<{ isAdmin: boolean }>).every((r) => r.isAdmin)).toBe(true);
    const refused = await h.get('/v1.0/reports/authenticationMethods/userRegistrationDetails', h.appToken(tenant, ['Reports.Read.All']));
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('Authorization_RequestDenied');
    const unlicensed = await h.get(
      '/v1.0/reports/authenticationMethods/userRegistrationDetails',
      h.appToken(noPremium, ['AuditLog.Read.All']),
    );
    expect(unlicensed.status).toBe(403);
    expect(unlicensed.json.error.code).toBe('Authentication_RequestFromNonPremiumTenantOrB2CTenant');
  });
});
