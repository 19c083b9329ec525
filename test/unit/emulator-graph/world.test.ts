import { describe, expect, it } from 'vitest';
import { createWorld, type World } from '../../../src/emulator/world.ts';

const clock = { now: () => new Date('2025-06-01T12:00:00Z') };
const small = (seed = 1, customers = 8, usersPerTenant = 60): World => createWorld({ seed, customers, usersPerTenant, clock });

function allUsers(world: World, tenantId: string) {
  return Array.from({ length: world.userSlotCount(tenantId) }, (_, slot) => world.userAt(tenantId, slot)).filter((u) => u !== undefined);
}

describe('world generation', () => {
  it('is deterministic from the seed and differs between seeds', () => {
    const a = small(7),
      b = small(7),
      c = small(8);
    expect(a.customers().map((p) => p.tenantId)).toEqual(b.customers().map((p) => p.tenantId));
    const t = a.customers()[0]!.tenantId;
    expect(allUsers(a, t).map((u) => u.record)).toEqual(allUsers(b, t).map((u) => u.record));
    expect(a.partner).toEqual(b.partner);
    expect(c.customers()[0]!.tenantId).not.toBe(t);
    expect(a.partner.app.clientSecret).not.toBe(c.partner.app.clientSecret);
  });

  it('builds a page of users of a huge world without generating whole tenants', () => {
    const world = createWorld({ seed: 3, customers: 1000, usersPerTenant: 1000, clock, cachedTenants: 8 });
    const tenant = world.customers()[777]!.tenantId;
    for (let slot = 500; slot < 600; slot++) expect(world.userAt(tenant, slot)).toBeDefined();
    expect(world.cacheStats().generatedUsers).toBe(100);
    for (let i = 0; i < 50; i++) world.userAt(world.customers()[i]!.tenantId, 0);
    expect(world.cacheStats().cachedTenants).toBeLessThanOrEqual(9);
  });

  it('finds tenants by id (any case) and by any of their domains, users by id', () => {
    const world = small();
    const contoso = world.customers()[0]!;
    expect(contoso.displayName).toBe('Contoso, Ltd.');
    expect(world.customers()[1]!.displayName).toBe('Contoso Health');
    expect(world.resolveTenantId(contoso.tenantId.toUpperCase())).toBe(contoso.tenantId);
    for (const d of contoso.domains) expect(world.resolveTenantId(d.id)).toBe(contoso.tenantId);
    expect(world.resolveTenantId(world.partner.defaultDomain)).toBe(world.partner.tenantId);
    expect(world.tenantExists('00000000-0000-4000-8000-000000000000')).toBe(false);
    expect(world.tenantExists('nobody.onmicrosoft.com')).toBe(false);
    const user = world.userAt(contoso.tenantId, 17)!;
    expect(world.user(contoso.tenantId, user.record.id)?.slot).toBe(17);
    expect(world.user(world.customers()[1]!.tenantId, user.record.id)).toBeUndefined();
  });

  it('has verified, unverified and initial domains', () => {
    const world = small();
    const domains = world.customers().flatMap((c) => c.domains);
    expect(domains.some((d) => d.isInitial && d.id.endsWith('.onmicrosoft.com'))).toBe(true);
    expect(domains.some((d) => !d.isVerified)).toBe(true);
    for (const c of world.customers()) expect(c.domains.filter((d) => d.isDefault)).toHaveLength(1);
    expect(new Set(domains.map((d) => d.id)).size).toBe(domains.length);
  });

  it('serves awkward users: guests, disabled, shared mailboxes, no mail, null names, aliases', () => {
    const world = small();
    const users = allUsers(world, world.customers()[0]!.tenantId).map((u) => u.record);
    const guest = users.find((u) => u.userType === 'Guest')!;
    expect(guest.userPrincipalName).toContain('#EXT#@');
    expect(guest.otherMails.length).toBeGreaterThan(0);
    expect(users.some((u) => !u.accountEnabled && u.userType === 'Member')).toBe(true);
    expect(users.some((u) => u.mail === null)).toBe(true);
    expect(users.some((u) => u.givenName === null && u.surname === null && u.mail !== null)).toBe(true);
    const proxies = users.flatMap((u) => u.proxyAddresses);
    for (const prefix of ['SMTP:', 'smtp:', 'x500:', 'sip:']) expect(proxies.some((p) => p.startsWith(prefix))).toBe(true);
    // eslint-disable-next-line no-control-regex -- \x00-\x7f is the ASCII range: some names must fall outside it
    expect(users.some((u) => /[^\x00-\x7f]/.test(u.displayName ?? ''))).toBe(true);
    expect(users.some((u) => u.signInActivity.lastSuccessfulSignInDateTime === '')).toBe(true);
    // two different people with the same name
    const names = users.filter((u) => u.userType === 'Member').map((u) => u.displayName);
    expect(new Set(names).size).toBeLessThan(names.length);
    expect(new Set(users.map((u) => u.userPrincipalName.toLowerCase())).size).toBe(users.length);
  });

  it('licenses users with real SKU ids and counts consumed units', () => {
    const world = small();
    const tenant = world.customers()[0]!.tenantId;
    const skus = world.subscribedSkus(tenant);
    const primary = skus[0]!;
    expect(['cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', '05e9a617-0261-4cee-bb44-138d3ef5d965']).toContain(primary.skuId);
    const licensed = allUsers(world, tenant).filter((u) => u.record.assignedLicenses.some((l) => l.skuId === primary.skuId)).length;
    expect(primary.consumedUnits).toBe(licensed);
    expect(primary.prepaidUnits.enabled).toBeGreaterThanOrEqual(licensed);
  });

  it('counts consumed units again after users are added or deleted', () => {
    const world = small();
    const tenant = world.customers()[0]!.tenantId;
    const before = world.subscribedSkus(tenant)[0]!;
    const licensedUser = allUsers(world, tenant).find((u) => u.record.assignedLicenses.some((l) => l.skuId === before.skuId))!;
    world.deleteUser(tenant, licensedUser.record.id);
    expect(world.subscribedSkus(tenant)[0]!.consumedUnits).toBe(before.consumedUnits - 1);
    world.addUser(tenant, { displayName: 'New Starter', skuIds: [before.skuId] });
    world.addUser(tenant, { displayName: 'Second Starter', skuIds: [before.skuId] });
    expect(world.subscribedSkus(tenant)[0]!.consumedUnits).toBe(before.consumedUnits + 1);
  });

  it('gives devices primary users and placeholder serial numbers', () => {
    const world = small(1, 3, 200);
    const tenant = world.customers()[0]!.tenantId;
    const devices = Array.from({ length: world.deviceSlotCount(tenant) }, (_, i) => world.deviceAt(tenant, i)!);
    expect(devices.length).toBe(160);
    const owned = devices.find((d) => d.userId !== null)!;
    expect(world.user(tenant, owned.userId!)?.record.userPrincipalName).toBe(owned.userPrincipalName);
    expect(devices.some((d) => ['To Be Filled By O.E.M.', 'System Serial Number', '0', 'Default string'].includes(d.serialNumber))).toBe(
      true,
    );
    expect(world.device(tenant, owned.id)?.id).toBe(owned.id);
  });

  it('mixes customers by index: no Intune, concealed reports, limited roles, expired, DAP-only', () => {
    const world = small(1, 12);
    const [c0, c1, c2, c3, c4, c5] = world.customers();
    const admin = world.partner.adminUser.id;
    expect(world.gdapAccess(c0!.tenantId, admin)).toMatchObject({ ok: true });
    expect(world.reportsConcealed(c1!.tenantId)).toBe(true);
    expect(world.hasIntune(c2!.tenantId)).toBe(false);
    expect(world.deviceSlotCount(c2!.tenantId)).toBe(0);
    const limited = world.gdapAccess(c3!.tenantId, admin);
    expect(limited.ok && limited.roleDefinitionIds).toEqual(['88d8e3e3-8f55-4a1e-953a-9b9898b8876b']);
    expect(world.gdapAccess(c4!.tenantId, admin)).toMatchObject({ ok: false, reason: 'inactive' });
    expect(world.gdapAccess(c5!.tenantId, admin)).toMatchObject({ ok: false, reason: 'no_relationship' });
    expect(world.contracts().map((c) => c.customerId)).toContain(c5!.tenantId);
    expect(world.delegatedAdminCustomers().map((c) => c.id)).not.toContain(c5!.tenantId);
    expect(world.relationships().filter((r) => r.status === 'expired')).toHaveLength(1);
    // another partner user is not in the admin group
    const technician = world.userAt(world.partner.tenantId, 1)!.record.id;
    expect(world.gdapAccess(c0!.tenantId, technician)).toMatchObject({ ok: false, reason: 'no_assignment' });
    expect(world.appConsented(c0!.tenantId, world.partner.app.clientId)).toBe(true);
    expect(world.appRoles(c0!.tenantId, world.partner.app.clientId)).toContain('User.Read.All');
    expect(world.appRoles(c0!.tenantId, '00000000-0000-4000-8000-000000000001')).toEqual([]);
  });
});

describe('world mutations', () => {
  it('adds, renames, disables and deletes users and logs the changes', () => {
    const world = small();
    const tenant = world.customers()[0]!.tenantId;
    const before = world.changeSequence();
    const added = world.addUser(tenant, { displayName: 'Zoë Ångström' });
    expect(world.user(tenant, added.id)?.record.displayName).toBe('Zoë Ångström');
    expect(world.userSlotCount(tenant)).toBe(61);
    const target = world.userAt(tenant, 9)!.record;
    world.renameUser(tenant, target.id, 'Renamed Person');
    world.disableUser(tenant, target.id);
    expect(world.user(tenant, target.id)?.record).toMatchObject({ displayName: 'Renamed Person', accountEnabled: false });
    world.setAliases(tenant, target.id, { proxyAddresses: ['SMTP:new@contoso.com'], mail: 'new@contoso.com' });
    world.deleteUser(tenant, world.userAt(tenant, 10)!.record.id, { permanent: true });
    expect(world.userAt(tenant, 10)).toBeUndefined();
    expect(world.removalReason(tenant, 10)).toBe('deleted');
    const changes = world.userChangesSince(tenant, before);
    expect(changes.map((c) => c.slot)).toEqual([60, 9, 9, 9, 10]);
    expect(world.userChangesSince(tenant, changes[3]!.seq).map((c) => c.slot)).toEqual([10]);
    expect(() => world.renameUser(tenant, '00000000-0000-4000-8000-000000000000', 'x')).toThrow(/does not exist/);
  });

  it('keeps mutations when the tenant cache is evicted', () => {
    const world = createWorld({ seed: 1, customers: 20, usersPerTenant: 30, clock, cachedTenants: 1 });
    const tenant = world.customers()[0]!.tenantId;
    const id = world.userAt(tenant, 3)!.record.id;
    world.renameUser(tenant, id, 'Still Here');
    for (const c of world.customers()) world.userAt(c.tenantId, 0);
    expect(world.user(tenant, id)?.record.displayName).toBe('Still Here');
  });

  it('adds, moves and retires devices; refuses devices without Intune', () => {
    const world = small();
    const tenant = world.customers()[0]!.tenantId;
    const user = world.userAt(tenant, 1)!.record;
    const device = world.addDevice(tenant, { userId: user.id, serialNumber: 'To Be Filled By O.E.M.' });
    expect(world.device(tenant, device.id)).toMatchObject({
      userPrincipalName: user.userPrincipalName,
      serialNumber: 'To Be Filled By O.E.M.',
    });
    const other = world.userAt(tenant, 11)!.record;
    world.moveDevice(tenant, device.id, other.id);
    expect(world.device(tenant, device.id)?.userId).toBe(other.id);
    world.retireDevice(tenant, device.id);
    expect(world.device(tenant, device.id)).toBeUndefined();
    expect(() => world.addDevice(world.customers()[2]!.tenantId)).toThrow(/Intune/);
  });

  it('adds customers and changes relationships, consent and report settings', () => {
    const world = small(1, 3);
    const added = world.addCustomer({ displayName: 'Contoso Ltd (new)' });
    expect(world.customerCount()).toBe(4);
    expect(world.resolveTenantId(added.defaultDomain)).toBe(added.tenantId);
    expect(world.gdapAccess(added.tenantId, world.partner.adminUser.id)).toMatchObject({ ok: true });
    const c0 = world.customers()[0]!.tenantId;
    world.expireRelationship(c0);
    expect(world.gdapAccess(c0, world.partner.adminUser.id)).toMatchObject({ ok: false, reason: 'inactive' });
    world.removeConsent(c0);
    expect(world.appConsented(c0, world.partner.app.clientId)).toBe(false);
    world.setReportsConcealed(c0, true);
    expect(world.reportsConcealed(c0)).toBe(true);
  });
});
