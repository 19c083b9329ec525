// The emulated Graph's write side as Microsoft documents it: creating, changing, deleting and
// restoring users, licences with their documented refusals, group membership, sign-in sessions,
// automatic replies, and the permission rule (delegated scope ∩ the partner's GDAP roles).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROLES } from '../../../src/emulator/world/catalog.ts';
import { emulatedCredentials } from '../../../src/emulator/graph/user-writes.ts';
import { ALL_PERMISSIONS, startHarness, type Harness } from './harness.ts';

const WRITE_SCOPES = ['User.ReadWrite.All', 'GroupMember.ReadWrite.All', 'LicenseAssignment.ReadWrite.All', 'MailboxSettings.ReadWrite'];

let h: Harness;
let tenant: string;
let token: string;

beforeAll(async () => {
  h = await startHarness({ customers: 3, usersPerTenant: 30 });
  tenant = h.world.customers()[0]!.tenantId;
  token = h.delegatedToken(tenant, [...ALL_PERMISSIONS, ...WRITE_SCOPES]);
});
afterAll(() => h?.close());
beforeEach(() => {
  h.world.setAccessRoles(tenant, [ROLES.directoryReaders, ROLES.userAdministrator, ROLES.licenseAdministrator, ROLES.groupsAdministrator]);
});

async function call(method: string, path: string, body?: unknown, bearer = token) {
  const response = await fetch(`${h.graph}${path}`, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

const member = () => h.world.userAt(tenant, 1)!.record;
const admin = () => h.world.userAt(tenant, 0)!.record;
const domain = () => h.world.customers()[0]!.defaultDomain;

function newUser(local: string, extra: Record<string, unknown> = {}) {
  return {
    accountEnabled: true,
    displayName: `New ${local}`,
    mailNickname: local,
    userPrincipalName: `${local}@${domain()}`,
    passwordProfile: { password: 'Tr0ub4dor&3-long', forceChangePasswordNextSignIn: true },
    ...extra,
  };
}

describe('permissions: delegated scope and GDAP role together', () => {
  it('refuses a write with 403 Authorization_RequestDenied when the relationship only has read roles', async () => {
    h.world.setAccessRoles(tenant, [ROLES.directoryReaders, ROLES.globalReader]);
    const answer = await call('PATCH', `/v1.0/users/${member().id}`, { accountEnabled: false });
    expect(answer.status).toBe(403);
    expect(answer.json.error.code).toBe('Authorization_RequestDenied');
    expect(member().accountEnabled).toBe(true);
  });

  it('refuses a write when the role is there but the scope was not consented', async () => {
    const readOnly = h.delegatedToken(tenant, ALL_PERMISSIONS);
    expect((await call('POST', `/v1.0/users/${member().id}/revokeSignInSessions`, undefined, readOnly)).status).toBe(403);
  });

  it("refuses a User Administrator an administrator's password; Privileged Authentication Administrator may", async () => {
    const reset = { passwordProfile: { password: 'N3w-Secret-Value!', forceChangePasswordNextSignIn: true } };
    const refused = await call('PATCH', `/v1.0/users/${admin().id}`, reset);
    expect(refused.status).toBe(403);
    h.world.setAccessRoles(tenant, [ROLES.directoryReaders, ROLES.userAdministrator, ROLES.privilegedAuthenticationAdministrator]);
    expect((await call('PATCH', `/v1.0/users/${admin().id}`, reset)).status).toBe(204);
    expect(emulatedCredentials(h.world, tenant, admin().id)).toMatchObject({ password: 'N3w-Secret-Value!', forceChange: true });
  });
});

describe('users', () => {
  it('creates a user in a verified domain (201) and refuses other domains, weak passwords and duplicates (400)', async () => {
    const created = await call('POST', '/v1.0/users', newUser('joiner.one', { usageLocation: 'GB', jobTitle: 'Accountant' }));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      userPrincipalName: `joiner.one@${domain()}`,
      displayName: 'New joiner.one',
      jobTitle: 'Accountant',
    });
    expect(h.world.user(tenant, created.json.id)!.record).toMatchObject({
      usageLocation: 'GB',
      accountEnabled: true,
      assignedLicenses: [],
    });
    const foreign = await call('POST', '/v1.0/users', { ...newUser('x'), userPrincipalName: 'x@not-theirs.example' });
    expect(foreign.json.error.message).toContain('verified domain');
    const weak = await call('POST', '/v1.0/users', newUser('joiner.two', { passwordProfile: { password: 'short' } }));
    expect(weak.json.error.message).toContain('password complexity');
    const again = await call('POST', '/v1.0/users', newUser('joiner.one'));
    expect([again.status, again.json.error.message]).toEqual([
      400,
      'Another object with the same value for property userPrincipalName already exists.',
    ]);
  });

  it('blocks sign-in with PATCH (204) and the change shows in the next users/delta page', async () => {
    const first = await call('GET', '/v1.0/users/delta?$select=id,accountEnabled');
    let link: string = first.json['@odata.nextLink'] ?? first.json['@odata.deltaLink'];
    while (link.includes('skiptoken')) {
      const page = (await (await fetch(link, { headers: { Authorization: `Bearer ${token}` } })).json()) as any;
      link = page['@odata.nextLink'] ?? page['@odata.deltaLink'];
    }
    expect((await call('PATCH', `/v1.0/users/${member().id}`, { accountEnabled: false, department: 'Leavers' })).status).toBe(204);
    const changes = (await (await fetch(link, { headers: { Authorization: `Bearer ${token}` } })).json()) as any;
    expect(changes.value).toContainEqual({ id: member().id, accountEnabled: false });
    await call('PATCH', `/v1.0/users/${member().id}`, { accountEnabled: true });
  });

  it('soft-deletes a user into directory/deletedItems and restores it', async () => {
    const victim = h.world.userAt(tenant, 7)!.record;
    expect((await call('DELETE', `/v1.0/users/${victim.id}`)).status).toBe(204);
    expect((await call('GET', `/v1.0/users/${victim.id}`)).status).toBe(404);
    const deleted = await call('GET', '/v1.0/directory/deletedItems/microsoft.graph.user');
    expect(deleted.json.value.map((u: { id: string }) => u.id)).toContain(victim.id);
    const restored = await call('POST', `/v1.0/directory/deletedItems/${victim.id}/restore`);
    expect([restored.status, restored.json.id]).toEqual([200, victim.id]);
    expect((await call('GET', `/v1.0/users/${victim.id}`)).status).toBe(200);
  });

  it('revokes sign-in sessions (200, value true)', async () => {
    const answer = await call('POST', `/v1.0/users/${member().id}/revokeSignInSessions`);
    expect([answer.status, answer.json.value]).toEqual([200, true]);
    expect(emulatedCredentials(h.world, tenant, member().id).sessionsRevokedAt).toBeDefined();
  });
});

describe('assignLicense', () => {
  it('answers each refusal as Microsoft does: unknown SKU, no usage location, no free units', async () => {
    const user = (await call('POST', '/v1.0/users', newUser('lic.test'))).json;
    const skus = (await call('GET', '/v1.0/subscribedSkus')).json.value as Array<{
      skuId: string;
      consumedUnits: number;
      prepaidUnits: { enabled: number };
    }>;
    const sku = skus[0]!;
    const unknown = await call('POST', `/v1.0/users/${user.id}/assignLicense`, {
      addLicenses: [{ skuId: '00000000-0000-0000-0000-000000000001' }],
      removeLicenses: [],
    });
    expect(unknown.json.error.message).toBe('License 00000000-0000-0000-0000-000000000001 does not correspond to a valid company License.');
    const noLocation = await call('POST', `/v1.0/users/${user.id}/assignLicense`, {
      addLicenses: [{ skuId: sku.skuId }],
      removeLicenses: [],
    });
    expect(noLocation.json.error.message).toBe('License assignment cannot be done for user with invalid usage location.');
    await call('PATCH', `/v1.0/users/${user.id}`, { usageLocation: 'GB' });
    // Use every free unit, then one more.
    const free = sku.prepaidUnits.enabled - sku.consumedUnits;
    const fillers: string[] = [];
    for (let i = 0; i < free; i++) {
      const filler = (await call('POST', '/v1.0/users', newUser(`filler.${i}`, { usageLocation: 'GB' }))).json;
      expect(
        (await call('POST', `/v1.0/users/${filler.id}/assignLicense`, { addLicenses: [{ skuId: sku.skuId }], removeLicenses: [] })).status,
      ).toBe(200);
      fillers.push(filler.id);
    }
    const full = await call('POST', `/v1.0/users/${user.id}/assignLicense`, { addLicenses: [{ skuId: sku.skuId }], removeLicenses: [] });
    expect([full.status, full.json.error.code, full.json.error.message]).toEqual([
      400,
      'Request_BadRequest',
      `Subscription with SKU ${sku.skuId} does not have any available licenses.`,
    ]);
    // Removing one frees the seat.
    expect((await call('POST', `/v1.0/users/${fillers[0]}/assignLicense`, { addLicenses: [], removeLicenses: [sku.skuId] })).status).toBe(
      200,
    );
    const assigned = await call('POST', `/v1.0/users/${user.id}/assignLicense`, {
      addLicenses: [{ skuId: sku.skuId }],
      removeLicenses: [],
    });
    expect(assigned.json.assignedLicenses).toBeUndefined(); // default $select of a user has no licences
    expect(h.world.user(tenant, user.id)!.record.assignedLicenses.map((l) => l.skuId)).toEqual([sku.skuId]);
  });
});

describe('groups and mailbox settings', () => {
  it('adds a member with $ref (204), refuses it twice (400), lists memberOf, removes it (204, then 404)', async () => {
    const user = member();
    const group = h.world
      .groups(tenant)
      .find((g) => !h.world.groupMembers(tenant, g.record.id).some((m) => m.kind === 'user' && m.user.record.id === user.id))!;
    const ref = { '@odata.id': `${h.graph}/v1.0/directoryObjects/${user.id}` };
    expect((await call('POST', `/v1.0/groups/${group.record.id}/members/$ref`, ref)).status).toBe(204);
    expect((await call('POST', `/v1.0/groups/${group.record.id}/members/$ref`, ref)).json.error.message).toContain(
      "already exist for the following modified properties: 'members'",
    );
    const groups = (await call('GET', `/v1.0/users/${user.id}/memberOf`)).json.value.map((g: { id: string }) => g.id);
    expect(groups).toContain(group.record.id);
    expect((await call('DELETE', `/v1.0/groups/${group.record.id}/members/${user.id}/$ref`)).status).toBe(204);
    expect((await call('DELETE', `/v1.0/groups/${group.record.id}/members/${user.id}/$ref`)).status).toBe(404);
  });

  it('sets an automatic reply with PATCH mailboxSettings (needs Exchange Administrator)', async () => {
    const body = {
      automaticRepliesSetting: { status: 'alwaysEnabled', internalReplyMessage: 'I have left.', externalReplyMessage: 'I have left.' },
    };
    expect((await call('PATCH', `/v1.0/users/${member().id}/mailboxSettings`, body)).status).toBe(403);
    h.world.setAccessRoles(tenant, [ROLES.directoryReaders, ROLES.exchangeAdministrator]);
    const answer = await call('PATCH', `/v1.0/users/${member().id}/mailboxSettings`, body);
    expect(answer.status).toBe(200);
    expect(answer.json.automaticRepliesSetting).toMatchObject({ status: 'alwaysEnabled', internalReplyMessage: 'I have left.' });
  });
});
