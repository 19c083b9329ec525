// The control view's mutations: users (create, change, delete, restore), devices, group
// membership, consent and reports settings, new customers. Tests, the demo, the admin API
// (/_emulator/world) and Graph's write routes (graph/user-writes.ts) change the world through
// these; every user change is recorded for users/delta.
import { SKUS } from './catalog.ts';
import { generateDevice, generateUser, isoSeconds } from './generate.ts';
import type { ManagedDeviceRecord, UserRecord, WorldUser } from './records.ts';
import type { TenantDefinition } from './state.ts';
import type { TenantStore } from './tenant-store.ts';
import type { Gdap, GdapViews } from './gdap.ts';
import { WorldError, type WorldControlView } from './views.ts';

export type ControlMethods = Omit<WorldControlView, keyof GdapViews>;

export function createControlView(store: TenantStore, gdap: Pick<Gdap, 'invalidate'>): ControlMethods {
  const { ctx, clock, partner, states } = store;
  const { need, needUser, liveUser, stateOf, recordChange, slotOfUser, slotOfDevice, deviceAt } = store;

  function writeUser(def: TenantDefinition, user: WorldUser): UserRecord {
    // users/delta with Prefer: return=minimal answers with the properties that changed only.
    const before = liveUser(def, user.slot)?.record;
    const state = stateOf(def);
    state.users.set(user.slot, user);
    recordChange(def, state, user.slot, user.record.id, before ? changedProperties(before, user.record) : undefined);
    return user.record;
  }

  function consentKey(clientId: string | undefined): string {
    return (clientId ?? partner.app.clientId).toLowerCase();
  }

  const control: ControlMethods = {
    addUser(t, input = {}) {
      const def = need(t);
      const state = stateOf(def);
      const slot = state.userSlots++;
      const kind = input.kind ?? 'member';
      const template = generateUser(ctx, def.naming, slot, def.userMask);
      const displayName = input.displayName ?? `${input.givenName ?? 'New'} ${input.surname ?? `User ${slot}`}`;
      const local = (
        input.userPrincipalName ??
        displayName
          .toLowerCase()
          .normalize('NFD')
          .replace(/[\u0300-\u036f]/g, '')
          .replace(/[^a-z0-9]+/g, '.')
      ).replace(/^\.+|\.+$/g, '');
      const upn = local.includes('@') ? local : `${local}@${def.naming.defaultDomain}`;
      const mail = input.mail !== undefined ? input.mail : kind === 'unlicensed' ? null : upn;
      const createdDateTime = isoSeconds(clock.now().getTime());
      const record: UserRecord = {
        ...template.record,
        displayName,
        givenName: input.givenName !== undefined ? input.givenName : (displayName.split(' ')[0] ?? null),
        surname: input.surname !== undefined ? input.surname : displayName.split(' ').slice(1).join(' ') || null,
        userPrincipalName: upn,
        mail,
        mailNickname: upn.split('@')[0] as string,
        accountEnabled: input.accountEnabled ?? kind !== 'shared',
        userType: kind === 'guest' ? 'Guest' : 'Member',
        createdDateTime,
        lastPasswordChangeDateTime: createdDateTime,
        proxyAddresses: mail ? [`SMTP:${mail}`] : [],
        otherMails: [],
        assignedLicenses: (input.skuIds ?? (kind === 'member' ? [SKUS[def.naming.skuPlan.primary].skuId] : [])).map((skuId) => ({
          disabledPlans: [],
          skuId,
        })),
        signInActivity: {
          ...template.record.signInActivity,
          lastSignInDateTime: '0001-01-01T00:00:00Z',
          lastSignInRequestId: '',
          lastNonInteractiveSignInDateTime: '0001-01-01T00:00:00Z',
          lastNonInteractiveSignInRequestId: '',
          lastSuccessfulSignInDateTime: '',
          lastSuccessfulSignInRequestId: '',
        },
      };
      return writeUser(def, { slot, kind, record });
    },
    updateUser(t, userId, patch) {
      const def = need(t);
      const user = needUser(def, userId);
      return writeUser(def, { ...user, record: { ...user.record, ...patch, id: user.record.id } });
    },
    renameUser(t, userId, displayName, names = {}) {
      return control.updateUser(t, userId, { displayName, ...names });
    },
    disableUser(t, userId, disabled = true) {
      return control.updateUser(t, userId, { accountEnabled: !disabled });
    },
    deleteUser(t, userId, o = {}) {
      const def = need(t);
      const user = needUser(def, userId);
      const state = stateOf(def);
      const deletedDateTime = isoSeconds(clock.now().getTime());
      state.users.set(user.slot, {
        deleted: o.permanent ? 'deleted' : 'changed',
        user: { ...user, record: { ...user.record, deletedDateTime } },
      });
      recordChange(def, state, user.slot, user.record.id);
    },
    setAliases(t, userId, aliases) {
      const patch: Partial<UserRecord> = {};
      if (aliases.mail !== undefined) patch.mail = aliases.mail;
      if (aliases.proxyAddresses !== undefined) patch.proxyAddresses = aliases.proxyAddresses;
      if (aliases.otherMails !== undefined) patch.otherMails = aliases.otherMails;
      return control.updateUser(t, userId, patch);
    },
    addDevice(t, input = {}) {
      const def = need(t);
      if (!def.traits.intune) throw new WorldError('no_intune', `tenant ${def.naming.displayName} has no Intune`);
      const state = stateOf(def);
      const slot = state.deviceSlots++;
      const owner = input.userId ? needUser(def, input.userId).record : null;
      const template = generateDevice(ctx, def.naming, slot, def.deviceMask, () => undefined);
      const device: ManagedDeviceRecord = {
        ...template,
        ...(input.operatingSystem ? { operatingSystem: input.operatingSystem } : {}),
        ...(input.deviceName ? { deviceName: input.deviceName } : {}),
        ...(input.serialNumber !== undefined ? { serialNumber: input.serialNumber } : {}),
        enrolledDateTime: isoSeconds(clock.now().getTime()),
        lastSyncDateTime: isoSeconds(clock.now().getTime()),
        ...ownerFields(owner),
      };
      state.devices.set(slot, device);
      return device;
    },
    moveDevice(t, deviceId, userId) {
      const def = need(t);
      const slot = slotOfDevice(def, deviceId);
      const device = slot === undefined ? undefined : deviceAt(def, slot);
      if (slot === undefined || !device)
        throw new WorldError('device_not_found', `device ${deviceId} does not exist in tenant ${def.tenantId}`);
      const owner = userId ? needUser(def, userId).record : null;
      const moved = { ...device, ...ownerFields(owner), lastSyncDateTime: isoSeconds(clock.now().getTime()) };
      stateOf(def).devices.set(slot, moved);
      return moved;
    },
    retireDevice(t, deviceId) {
      const def = need(t);
      const slot = slotOfDevice(def, deviceId);
      if (slot === undefined) throw new WorldError('device_not_found', `device ${deviceId} does not exist in tenant ${def.tenantId}`);
      stateOf(def).devices.set(slot, null);
    },
    addCustomer(input = {}) {
      const customer = store.addCustomer(input);
      gdap.invalidate();
      return customer;
    },
    removeConsent(t, clientId) {
      stateOf(need(t)).consentRevoked.add(consentKey(clientId));
    },
    restoreConsent(t, clientId) {
      stateOf(need(t)).consentRevoked.delete(consentKey(clientId));
    },
    setConsentedPermissions(t, permissions) {
      const state = stateOf(need(t));
      if (permissions) state.consentedPermissions = [...permissions];
      else delete state.consentedPermissions;
    },
    setReportsConcealed(t, concealed) {
      stateOf(need(t)).reportsConcealed = concealed;
    },

    deletedUsers(t) {
      const def = need(t);
      const out: WorldUser[] = [];
      for (const entry of states.get(def.tenantId)?.users.values() ?? []) {
        if ('deleted' in entry && entry.deleted === 'changed') out.push(entry.user);
      }
      return out.sort((a, b) => String(b.record.deletedDateTime).localeCompare(String(a.record.deletedDateTime)));
    },
    restoreUser(t, userId) {
      const def = need(t);
      const slot = slotOfUser(def, userId);
      const entry = slot === undefined ? undefined : states.get(def.tenantId)?.users.get(slot);
      if (slot === undefined || !entry || !('deleted' in entry) || entry.deleted !== 'changed') {
        throw new WorldError('user_not_found', `no deleted user ${userId} in tenant ${def.tenantId}`);
      }
      return writeUser(def, { ...entry.user, record: { ...entry.user.record, deletedDateTime: null } });
    },
    setGroupMember(t, groupId, userId, member) {
      const def = need(t);
      const user = needUser(def, userId);
      const state = stateOf(def);
      state.membership ??= new Map();
      const id = groupId.toLowerCase();
      let overlay = state.membership.get(id);
      if (!overlay) state.membership.set(id, (overlay = { added: new Set(), removed: new Set() }));
      if (member) {
        overlay.added.add(user.record.id);
        overlay.removed.delete(user.record.id);
      } else {
        overlay.removed.add(user.record.id);
        overlay.added.delete(user.record.id);
      }
    },
    grantDelegatedScopes(t, scopes) {
      const state = stateOf(need(t));
      state.extraScopes ??= new Set();
      for (const scope of scopes) state.extraScopes.add(scope);
    },
  };
  return control;
}

function ownerFields(
  owner: UserRecord | null,
): Pick<ManagedDeviceRecord, 'userId' | 'userPrincipalName' | 'userDisplayName' | 'emailAddress'> {
  return {
    userId: owner?.id ?? null,
    userPrincipalName: owner?.userPrincipalName ?? null,
    userDisplayName: owner?.displayName ?? null,
    emailAddress: owner?.mail ?? '',
  };
}

/** The top-level properties whose values differ between two versions of a user. */
function changedProperties(before: UserRecord, after: UserRecord): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  return [...keys].filter((k) => JSON.stringify(a[k] ?? null) !== JSON.stringify(b[k] ?? null));
}
