// The tenant store: every tenant's directory as Graph reads it. Customers are cheap summaries
// (id, name, domains, traits) until something reads their directory; then a tenant cache is
// built and kept in a small LRU, and users/devices are generated slot by slot on demand.
// Mutations live in a per-tenant overlay (TenantState) that is never evicted and also feeds
// users/delta.
import {
  customerProfile,
  customerTenantId,
  deviceCountFor,
  deviceMask,
  generateDevice,
  generateGroups,
  generateUser,
  tenantSkuPlan,
  userMask,
  type GenerationContext,
} from './generate.ts';
import { indexFromGuid } from './prng.ts';
import type { CustomerProfile, ManagedDeviceRecord, UserKind, UserRecord, WorldGroup, WorldUser } from './records.ts';
import type { ExplicitCustomer } from './explicit.ts';
import type { EmulatorClock } from '../world-types.ts';
import { partnerGroups, partnerUser, type PartnerSetup } from './partner.ts';
import type { TenantCache, TenantDefinition, TenantState, UserOverlay } from './state.ts';
import { WorldError, type NewCustomerInput, type WorldOptions } from './views.ts';

export type TenantStore = ReturnType<typeof createTenantStore>;

export function createTenantStore(options: WorldOptions, ctx: GenerationContext, setup: PartnerSetup) {
  const { seed } = ctx;
  const { partner, partnerDefinition } = setup;
  const partnerTenantId = partner.tenantId;
  const cacheCapacity = Math.max(1, options.cachedTenants ?? 16);
  // A world file replaces the generated customers: same routes, the file's records.
  const explicit = options.explicitCustomers;
  let customerTotal = explicit ? explicit.length : options.customers;
  const explicitIndex = new Map(explicit?.map((c, i) => [c.tenantId, i]));
  let sequence = 0;
  const profiles = new Map<number, CustomerProfile>();
  const addedCustomers = new Map<number, NewCustomerInput>();
  const definitions = new Map<string, TenantDefinition>([[partnerTenantId, partnerDefinition]]);
  const caches = new Map<string, TenantCache>();
  const states = new Map<string, TenantState>();
  let domainIndex: Map<string, string> | undefined;

  function profileAt(index: number): CustomerProfile {
    let p = profiles.get(index);
    if (!p) {
      const added = addedCustomers.get(index);
      const record = explicit?.[index];
      p = record ? explicitProfile(record, index) : customerProfile(ctx, index, added?.displayName);
      if (added?.traits) p = { ...p, traits: { ...p.traits, ...added.traits } };
      profiles.set(index, p);
    }
    return p;
  }

  function customerIndexOf(tenantId: string): number | undefined {
    const listed = explicitIndex.get(tenantId.toLowerCase());
    if (listed !== undefined) return listed;
    const index = indexFromGuid(ctx.tenantMask, tenantId.toLowerCase());
    // With a world file, generated tenants start after the file's (addCustomer).
    if (index === undefined || index >= customerTotal || index < (explicit?.length ?? 0)) return undefined;
    return customerTenantId(ctx, index) === tenantId.toLowerCase() ? index : undefined;
  }

  function resolve(tenantIdOrDomain: string): string | undefined {
    const key = tenantIdOrDomain.toLowerCase();
    if (key === partnerTenantId || partnerDefinition.domains.some((d) => d.id === key)) return partnerTenantId;
    const index = customerIndexOf(key);
    if (index !== undefined) return profileAt(index).tenantId;
    if (!key.includes('.')) return undefined;
    if (!domainIndex) {
      domainIndex = new Map();
      for (let i = 0; i < customerTotal; i++) for (const d of profileAt(i).domains) domainIndex.set(d.id, profileAt(i).tenantId);
    }
    return domainIndex.get(key);
  }

  function definition(tenantId: string): TenantDefinition | undefined {
    const id = resolve(tenantId);
    if (!id) return undefined;
    let def = definitions.get(id);
    if (!def) {
      const p = profileAt(customerIndexOf(id) as number);
      def = {
        tenantId: p.tenantId,
        index: p.index,
        naming: {
          tenantId: p.tenantId,
          displayName: p.displayName,
          defaultDomain: p.defaultDomain,
          initialDomain: p.initialDomain,
          skuPlan: tenantSkuPlan(ctx, p.tenantId, p.traits),
        },
        traits: p.traits,
        domains: p.domains,
        createdDateTime: p.createdDateTime,
        countryLetterCode: p.countryLetterCode,
        baseUsers: explicit?.[p.index]?.users.length ?? options.usersPerTenant,
        baseDevices: explicit?.[p.index]?.managedDevices.length ?? (p.traits.intune ? deviceCountFor(options.usersPerTenant) : 0),
        userMask: userMask(ctx, p.tenantId),
        deviceMask: deviceMask(ctx, p.tenantId),
      };
      definitions.set(id, def);
    }
    return def;
  }

  function need(tenantId: string): TenantDefinition {
    const def = definition(tenantId);
    if (!def) throw new WorldError('tenant_not_found', `tenant ${tenantId} does not exist`);
    return def;
  }

  function cacheOf(def: TenantDefinition): TenantCache {
    let cache = caches.get(def.tenantId);
    if (cache) {
      caches.delete(def.tenantId);
      caches.set(def.tenantId, cache);
      return cache;
    }
    cache = { users: [], devices: [], generatedUsers: 0 };
    caches.set(def.tenantId, cache);
    if (caches.size > cacheCapacity + 1) {
      for (const id of caches.keys()) {
        if (id === partnerTenantId || id === def.tenantId) continue;
        caches.delete(id);
        break;
      }
    }
    return cache;
  }

  // Counting consumed licences means generating every user; an untouched tenant's count depends
  // on its definition alone, so it is kept (a few numbers per tenant) and only a tenant changed
  // through the control API is counted again on each request.
  const untouchedConsumption = new Map<string, Map<string, number>>();
  function consumedUnits(def: TenantDefinition): Map<string, number> {
    const untouched = !states.has(def.tenantId);
    const known = untouched ? untouchedConsumption.get(def.tenantId) : undefined;
    if (known) return known;
    const consumed = new Map<string, number>();
    for (const user of liveUsers(def))
      for (const l of user.record.assignedLicenses) consumed.set(l.skuId, (consumed.get(l.skuId) ?? 0) + 1);
    if (untouched) untouchedConsumption.set(def.tenantId, consumed);
    return consumed;
  }

  const baseConsumption = new Map<string, Map<string, number>>();
  function baseConsumedUnits(def: TenantDefinition): Map<string, number> {
    let consumed = baseConsumption.get(def.tenantId);
    if (!consumed) {
      consumed = new Map();
      for (let slot = 0; slot < def.baseUsers; slot++) {
        const user = generatedUser(def, slot);
        if (user) for (const l of user.record.assignedLicenses) consumed.set(l.skuId, (consumed.get(l.skuId) ?? 0) + 1);
      }
      baseConsumption.set(def.tenantId, consumed);
    }
    return consumed;
  }

  function stateOf(def: TenantDefinition): TenantState {
    let state = states.get(def.tenantId);
    if (!state) {
      state = {
        users: new Map(),
        userSlots: def.baseUsers,
        devices: new Map(),
        deviceSlots: def.baseDevices,
        changes: [],
        consentRevoked: new Set(),
      };
      states.set(def.tenantId, state);
    }
    return state;
  }

  function generatedUser(def: TenantDefinition, slot: number): WorldUser | undefined {
    if (slot < 0 || slot >= def.baseUsers) return undefined;
    const cache = cacheOf(def);
    let user = cache.users[slot];
    if (!user) {
      const record = explicit?.[def.index]?.users[slot];
      if (record) user = { slot, kind: explicitUserKind(record), record: structuredClone(record) };
      else user = def.index === -1 ? partnerUser(ctx, setup, slot) : generateUser(ctx, def.naming, slot, def.userMask);
      cache.users[slot] = user;
      cache.generatedUsers++;
    }
    return user;
  }

  function slotEntry(def: TenantDefinition, slot: number): UserOverlay | undefined {
    const overlay = states.get(def.tenantId)?.users.get(slot);
    return overlay ?? generatedUser(def, slot);
  }

  function liveUser(def: TenantDefinition, slot: number): WorldUser | undefined {
    const entry = slotEntry(def, slot);
    return entry && !('deleted' in entry) ? entry : undefined;
  }

  function slotOfUser(def: TenantDefinition, userId: string): number | undefined {
    // A world file's ids carry no slot (generated ones do): look them up.
    const listed = def.index >= 0 ? explicit?.[def.index]?.users.findIndex((u) => u.id === userId.toLowerCase()) : undefined;
    const slot = listed !== undefined && listed >= 0 ? listed : indexFromGuid(def.userMask, userId.toLowerCase());
    if (slot === undefined) return undefined;
    const entry = slotEntry(def, slot);
    const user = entry ? ('deleted' in entry ? entry.user : entry) : undefined;
    return user && user.record.id === userId.toLowerCase() ? slot : undefined;
  }

  function needUser(def: TenantDefinition, userId: string): WorldUser {
    const slot = slotOfUser(def, userId);
    const user = slot === undefined ? undefined : liveUser(def, slot);
    if (!user) throw new WorldError('user_not_found', `user ${userId} does not exist in tenant ${def.tenantId}`);
    return user;
  }

  function recordChange(def: TenantDefinition, state: TenantState, slot: number, userId: string, properties?: readonly string[]): void {
    sequence++;
    state.changes.push(properties ? { seq: sequence, slot, userId, properties } : { seq: sequence, slot, userId });
  }

  function userSlotCount(def: TenantDefinition): number {
    return states.get(def.tenantId)?.userSlots ?? def.baseUsers;
  }
  function deviceSlotCount(def: TenantDefinition): number {
    return states.get(def.tenantId)?.deviceSlots ?? def.baseDevices;
  }

  function deviceAt(def: TenantDefinition, slot: number): ManagedDeviceRecord | undefined {
    const overlay = states.get(def.tenantId)?.devices;
    if (overlay?.has(slot)) return overlay.get(slot) ?? undefined;
    if (slot < 0 || slot >= def.baseDevices) return undefined;
    const cache = cacheOf(def);
    let device = cache.devices[slot];
    if (!device) {
      const record = explicit?.[def.index]?.managedDevices[slot];
      device = record
        ? structuredClone(record)
        : generateDevice(ctx, def.naming, slot, def.deviceMask, (userSlot) => liveUser(def, userSlot));
      cache.devices[slot] = device;
    }
    return device;
  }

  function slotOfDevice(def: TenantDefinition, deviceId: string): number | undefined {
    const listed = def.index >= 0 ? explicit?.[def.index]?.managedDevices.findIndex((d) => d.id === deviceId.toLowerCase()) : undefined;
    const slot = listed !== undefined && listed >= 0 ? listed : indexFromGuid(def.deviceMask, deviceId.toLowerCase());
    if (slot === undefined) return undefined;
    return deviceAt(def, slot)?.id === deviceId.toLowerCase() ? slot : undefined;
  }

  function* liveUsers(def: TenantDefinition): Generator<WorldUser> {
    const slots = userSlotCount(def);
    for (let slot = 0; slot < slots; slot++) {
      const user = liveUser(def, slot);
      if (user) yield user;
    }
  }

  function groupsOf(def: TenantDefinition): WorldGroup[] {
    const cache = cacheOf(def);
    if (!cache.groups) {
      cache.groups = def.index === -1 ? partnerGroups(ctx, setup, def) : generateGroups(ctx, def.naming);
    }
    return cache.groups;
  }

  /** A new customer after the existing ones (addCustomer). */
  function addCustomer(input: NewCustomerInput): CustomerProfile {
    const index = customerTotal;
    addedCustomers.set(index, input);
    customerTotal++;
    const p = profileAt(index);
    if (domainIndex) for (const d of p.domains) domainIndex.set(d.id, p.tenantId);
    return p;
  }

  return {
    ctx,
    seed,
    clock: options.clock as EmulatorClock,
    explicit,
    partner,
    partnerTenantId,
    states,
    caches,
    customerTotal: () => customerTotal,
    changeSequence: () => sequence,
    addCustomer,
    profileAt,
    customerIndexOf,
    resolve,
    definition,
    need,
    consumedUnits,
    baseConsumedUnits,
    stateOf,
    slotEntry,
    liveUser,
    slotOfUser,
    needUser,
    recordChange,
    userSlotCount,
    deviceSlotCount,
    deviceAt,
    slotOfDevice,
    liveUsers,
    groupsOf,
  };
}

/** A world file's customer as a profile (its relationship's status and roles: relationshipsFor). */
function explicitProfile(c: ExplicitCustomer, index: number): CustomerProfile {
  const initial = c.domains.find((d) => d.isInitial) ?? c.domains[0];
  const defaultDomain = (c.domains.find((d) => d.isDefault) ?? initial)?.id ?? `${c.tenantId}.onmicrosoft.com`;
  return {
    index,
    tenantId: c.tenantId,
    displayName: c.displayName,
    initialDomain: (initial?.id ?? defaultDomain).split('.')[0] as string,
    defaultDomain,
    domains: c.domains,
    traits: {
      intune: c.intune,
      premium: c.premium,
      reportsConcealed: false,
      gdap: 'active',
      contract: false,
      oldTerminatedRelationship: false,
    },
    createdDateTime: '2020-01-01T00:00:00Z',
    countryLetterCode: 'GB',
  };
}

function explicitUserKind(record: UserRecord): UserKind {
  if (record.userType === 'Guest') return 'guest';
  // A world file marks a room, equipment or shared mailbox as Exchange does, in mailboxSettings.userPurpose.
  const purpose = (record as { mailboxSettings?: { userPurpose?: unknown } }).mailboxSettings?.userPurpose;
  if (purpose === 'shared' || purpose === 'room' || purpose === 'equipment') return purpose;
  if (!record.accountEnabled) return 'disabled';
  return record.assignedLicenses.length > 0 ? 'member' : 'unlicensed';
}
