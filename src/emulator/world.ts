// The emulator's world: a partner (the MSP) and its customer tenants, deterministic from a
// seed. Customers are cheap summaries (id, name, domains, traits) until something reads their
// directory; then a tenant cache is built and kept in a small LRU, and users/devices are
// generated slot by slot on demand. Mutations (for tests and the demo) live in a per-tenant
// overlay that is never evicted and also feeds users/delta.

import { DOCSYNC_APP_PERMISSIONS, PARTNER_ONLY_PERMISSIONS, ROLES, SKUS, type SkuKey } from './world/catalog.ts';
import {
  activeUserRow,
  customerProfile,
  customerTenantId,
  deviceCountFor,
  deviceMask,
  generateDevice,
  generateGroups,
  generateUser,
  groupHasUser,
  hasMailbox,
  isoSeconds,
  mailboxUsageRow,
  tenantSkuPlan,
  userMask,
  type GenerationContext,
  type TenantNaming,
} from './world/generate.ts';
import { guidFrom, hexString, indexedGuid, indexFromGuid, rngFrom } from './world/prng.ts';
import type {
  AccessAssignmentRecord,
  ActiveUserRow,
  ContractRecord,
  CustomerProfile,
  CustomerTraits,
  DelegatedAdminCustomerRecord,
  DelegatedAdminRelationshipRecord,
  DomainRecord,
  MailboxUsageRow,
  ManagedDeviceRecord,
  RelationshipStatus,
  SubscribedSkuRecord,
  UserKind,
  UserRecord,
  WorldGroup,
  WorldUser,
} from './world/records.ts';
import type { ExplicitCustomer } from './world/explicit.ts';
import type { EmulatorClock, GdapAccess, IdentityWorld, PartnerInfo } from './world-types.ts';

export type * from './world/records.ts';
export type { ExplicitCustomer } from './world/explicit.ts';

const DAY = 86_400_000;

export interface WorldOptions {
  seed: number;
  customers: number;
  usersPerTenant: number;
  clock: EmulatorClock;
  /** how many customer tenants keep their generated users/devices in memory (default 16) */
  cachedTenants?: number;
  /** Customers served from a world file's records (world/explicit.ts) instead of generated ones. */
  explicitCustomers?: ExplicitCustomer[];
}

export interface OrganizationRecord {
  id: string;
  deletedDateTime: null;
  businessPhones: string[];
  city: string | null;
  country: string | null;
  countryLetterCode: string;
  createdDateTime: string;
  defaultUsageLocation: string | null;
  displayName: string;
  isMultipleDataLocationsForServicesEnabled: null;
  marketingNotificationEmails: string[];
  onPremisesLastSyncDateTime: null;
  onPremisesSyncEnabled: null;
  partnerTenantType: string | null;
  postalCode: string | null;
  preferredLanguage: string;
  securityComplianceNotificationMails: string[];
  securityComplianceNotificationPhones: string[];
  state: string | null;
  street: string | null;
  technicalNotificationMails: string[];
  tenantType: 'AAD';
  directorySizeQuota: { used: number; total: number };
  assignedPlans: Array<{ assignedDateTime: string; capabilityStatus: string; service: string; servicePlanId: string }>;
  privacyProfile: { contactEmail: string; statementUrl: string };
  provisionedPlans: Array<{ capabilityStatus: string; provisioningStatus: string; service: string }>;
  verifiedDomains: Array<{ capabilities: string; isDefault: boolean; isInitial: boolean; name: string; type: string }>;
}

export interface NewUserInput {
  displayName?: string;
  givenName?: string | null;
  surname?: string | null;
  /** local part or full UPN; default from the name */
  userPrincipalName?: string;
  mail?: string | null;
  kind?: Extract<UserKind, 'member' | 'guest' | 'shared' | 'unlicensed'>;
  accountEnabled?: boolean;
  skuIds?: string[];
}

export interface NewDeviceInput {
  userId?: string | null;
  deviceName?: string;
  serialNumber?: string;
  operatingSystem?: 'Windows' | 'iOS' | 'Android' | 'macOS';
}

export interface NewCustomerInput {
  displayName?: string;
  traits?: Partial<CustomerTraits>;
}

export interface UserChange {
  seq: number;
  slot: number;
  userId: string;
  /** The properties this change set; absent: the user was created or deleted (every property). */
  properties?: readonly string[];
}

export interface World extends IdentityWorld {
  readonly seed: number;
  readonly usersPerTenant: number;
  readonly clock: EmulatorClock;
  /** UTC midnight of the creation day; generated dates are relative to it */
  readonly anchor: Date;

  customerCount(): number;
  customers(): CustomerProfile[];
  customer(tenantIdOrDomain: string): CustomerProfile | undefined;
  isPartnerTenant(tenantId: string): boolean;

  organization(tenantId: string): OrganizationRecord | undefined;
  domains(tenantId: string): DomainRecord[];
  subscribedSkus(tenantId: string): SubscribedSkuRecord[];
  hasIntune(tenantId: string): boolean;
  hasPremium(tenantId: string): boolean;
  reportsConcealed(tenantId: string): boolean;

  /** slots run 0..userSlotCount-1; a deleted user leaves its slot empty */
  userSlotCount(tenantId: string): number;
  userAt(tenantId: string, slot: number): WorldUser | undefined;
  user(tenantId: string, userId: string): WorldUser | undefined;
  /** how a deleted user was deleted ("changed" = soft, restorable; "deleted" = permanent) */
  removalReason(tenantId: string, slot: number): 'changed' | 'deleted' | undefined;
  userCount(tenantId: string): number;
  groups(tenantId: string): WorldGroup[];
  group(tenantId: string, groupId: string): WorldGroup | undefined;
  /** direct members: users (by slot order) then nested groups */
  groupMembers(tenantId: string, groupId: string): Array<{ kind: 'user'; user: WorldUser } | { kind: 'group'; group: WorldGroup }>;
  deviceSlotCount(tenantId: string): number;
  deviceAt(tenantId: string, slot: number): ManagedDeviceRecord | undefined;
  device(tenantId: string, deviceId: string): ManagedDeviceRecord | undefined;
  mailboxUsage(tenantId: string): MailboxUsageRow[];
  activeUserDetail(tenantId: string): ActiveUserRow[];

  relationships(): DelegatedAdminRelationshipRecord[];
  relationship(relationshipId: string): DelegatedAdminRelationshipRecord | undefined;
  accessAssignments(relationshipId: string): AccessAssignmentRecord[] | undefined;
  delegatedAdminCustomers(): DelegatedAdminCustomerRecord[];
  contracts(): ContractRecord[];

  /** the latest change sequence number (0 before any mutation) */
  changeSequence(): number;
  /** user changes in a tenant after `seq`, oldest first (a user may appear more than once) */
  userChangesSince(tenantId: string, seq: number): UserChange[];

  addUser(tenantId: string, input?: NewUserInput): UserRecord;
  updateUser(tenantId: string, userId: string, patch: Partial<Omit<UserRecord, 'id'>>): UserRecord;
  renameUser(
    tenantId: string,
    userId: string,
    displayName: string,
    names?: { givenName?: string | null; surname?: string | null },
  ): UserRecord;
  disableUser(tenantId: string, userId: string, disabled?: boolean): UserRecord;
  deleteUser(tenantId: string, userId: string, options?: { permanent?: boolean }): void;
  setAliases(
    tenantId: string,
    userId: string,
    aliases: { mail?: string | null; proxyAddresses?: string[]; otherMails?: string[] },
  ): UserRecord;
  addDevice(tenantId: string, input?: NewDeviceInput): ManagedDeviceRecord;
  moveDevice(tenantId: string, deviceId: string, userId: string | null): ManagedDeviceRecord;
  retireDevice(tenantId: string, deviceId: string): void;
  addCustomer(input?: NewCustomerInput): CustomerProfile;
  /** The relationship reached its end: `expiring` first (G:gdap lifecycle), then `expired` (the default). */
  expireRelationship(customerTenantId: string, status?: 'expiring' | 'expired'): void;
  /**
   * Another active access assignment in the customer's current relationship: a partner security
   * group (not necessarily one the GDAP service account is in) with these roles.
   */
  addAccessAssignment(
    customerTenantId: string,
    assignment: { securityGroupId: string; roleDefinitionIds: string[] },
  ): AccessAssignmentRecord;
  terminateRelationship(customerTenantId: string): void;
  removeConsent(tenantId: string, clientId?: string): void;
  /**
   * The permissions the docsync app is consented with in a tenant (an admin consented an older,
   * narrower list); null restores the full list. Tokens issued afterwards carry only these.
   */
  setConsentedPermissions(tenantId: string, permissions: readonly string[] | null): void;
  restoreConsent(tenantId: string, clientId?: string): void;
  setReportsConcealed(tenantId: string, concealed: boolean): void;

  // Write side (graph/user-writes.ts): soft-deleted users, explicit group membership changes,
  // the GDAP roles of the partner's access assignment, and extra delegated consent.
  /** users deleted softly (restorable), newest first */
  deletedUsers(tenantId: string): WorldUser[];
  restoreUser(tenantId: string, userId: string): UserRecord;
  setGroupMember(tenantId: string, groupId: string, userId: string, member: boolean): void;
  /** replaces the roles of the partner's current access assignment in that customer's relationship */
  setAccessRoles(tenantId: string, roleDefinitionIds: string[]): void;
  /** consents extra delegated scopes for the partner's app in that tenant (admin consent with a scope list) */
  grantDelegatedScopes(tenantId: string, scopes: string[]): void;

  cacheStats(): { cachedTenants: number; mutatedTenants: number; generatedUsers: number };
}

export class WorldError extends Error {
  constructor(
    readonly code: 'tenant_not_found' | 'user_not_found' | 'device_not_found' | 'no_intune' | 'relationship_not_found' | 'invalid_input',
    message: string,
  ) {
    super(message);
    this.name = 'WorldError';
  }
}

// ---------------------------------------------------------------------------------------------

interface TenantDefinition {
  tenantId: string;
  /** -1 for the partner */
  index: number;
  naming: TenantNaming;
  traits: CustomerTraits;
  domains: DomainRecord[];
  createdDateTime: string;
  countryLetterCode: string;
  baseUsers: number;
  baseDevices: number;
  userMask: number;
  deviceMask: number;
}

interface DeletedEntry {
  deleted: 'changed' | 'deleted';
  user: WorldUser;
}
type UserOverlay = WorldUser | DeletedEntry;

/** What mutations changed in a tenant: never evicted. */
interface TenantState {
  users: Map<number, UserOverlay>;
  userSlots: number;
  devices: Map<number, ManagedDeviceRecord | null>;
  deviceSlots: number;
  changes: UserChange[];
  reportsConcealed?: boolean;
  consentRevoked: Set<string>;
  /** Consented permissions when narrower than the app's full list (setConsentedPermissions). */
  consentedPermissions?: readonly string[];
  /** group id → user ids added / removed by writes (on top of the generated rule) */
  membership?: Map<string, { added: Set<string>; removed: Set<string> }>;
  extraScopes?: Set<string>;
}

/** What generation produced for a tenant: rebuildable, so evictable. */
interface TenantCache {
  users: Array<WorldUser | undefined>;
  devices: Array<ManagedDeviceRecord | undefined>;
  groups?: WorldGroup[];
  generatedUsers: number;
}

interface RelationshipEntry {
  customerIndex: number;
  record: DelegatedAdminRelationshipRecord;
  assignments: AccessAssignmentRecord[];
}

const RELATIONSHIP_ROLES = [
  ROLES.directoryReaders,
  ROLES.globalReader,
  ROLES.userAdministrator,
  ROLES.intuneAdministrator,
  ROLES.reportsReader,
];

export function createWorld(options: WorldOptions): World {
  const { seed, clock } = options;
  if (!Number.isInteger(options.customers) || options.customers < 0)
    throw new WorldError('invalid_input', 'customers must be a non-negative integer');
  if (!Number.isInteger(options.usersPerTenant) || options.usersPerTenant < 1)
    throw new WorldError('invalid_input', 'usersPerTenant must be a positive integer');
  const now0 = clock.now();
  const anchorMs = Date.UTC(now0.getUTCFullYear(), now0.getUTCMonth(), now0.getUTCDate());
  const ctx: GenerationContext = {
    seed,
    anchorMs,
    usersPerTenant: options.usersPerTenant,
    tenantMask: rngFrom(seed, 'tenant-mask').uint32(),
  };
  const cacheCapacity = Math.max(1, options.cachedTenants ?? 16);
  // A world file replaces the generated customers: same routes, the file's records.
  const explicit = options.explicitCustomers;
  let customerTotal = explicit ? explicit.length : options.customers;
  const explicitIndex = new Map(explicit?.map((c, i) => [c.tenantId, i]));
  let sequence = 0;

  // --- the partner ---------------------------------------------------------------------------
  const prng = rngFrom(seed, 'partner');
  const partnerTenantId = guidFrom(prng);
  const partnerDomain = 'fabrikampartners.onmicrosoft.com';
  const partnerUserMask = prng.uint32();
  const adminUserId = indexedGuid(partnerUserMask, 0, seed, 'user-id', partnerTenantId);
  const partner: PartnerInfo = {
    tenantId: partnerTenantId,
    displayName: 'Fabrikam Partners Ltd',
    defaultDomain: partnerDomain,
    adminUser: {
      id: adminUserId,
      userPrincipalName: `gdap.sync@${partnerDomain}`,
      displayName: 'docsync GDAP service account',
      password: `Emu-${hexString(prng, 12)}!`,
    },
    adminGroupId: guidFrom(prng),
    app: {
      clientId: guidFrom(prng),
      // The shape of a real Entra secret: 3 chars, "8Q~", 34 more.
      clientSecret: `${hexString(prng, 3)}8Q~${hexString(prng, 34)}`,
      displayName: 'docsync',
    },
  };
  const relationshipSuffix = guidFrom(prng);
  const partnerDefinition: TenantDefinition = {
    tenantId: partnerTenantId,
    index: -1,
    naming: {
      tenantId: partnerTenantId,
      displayName: partner.displayName,
      defaultDomain: 'fabrikampartners.com',
      initialDomain: partnerDomain,
      skuPlan: { primary: 'SPB', skus: [{ key: 'SPB', extraUnits: 2, suspended: false }] },
    },
    traits: { intune: false, premium: true, reportsConcealed: false, gdap: 'none', contract: false, oldTerminatedRelationship: false },
    domains: [
      {
        authenticationType: 'Managed',
        availabilityStatus: null,
        isAdminManaged: true,
        isDefault: false,
        isInitial: true,
        isRoot: true,
        isVerified: true,
        id: partnerDomain,
        supportedServices: ['Email', 'OfficeCommunicationsOnline'],
      },
      {
        authenticationType: 'Managed',
        availabilityStatus: null,
        isAdminManaged: true,
        isDefault: true,
        isInitial: false,
        isRoot: true,
        isVerified: true,
        id: 'fabrikampartners.com',
        supportedServices: ['Email', 'OfficeCommunicationsOnline', 'Intune'],
      },
    ],
    createdDateTime: isoSeconds(anchorMs - 2000 * DAY),
    countryLetterCode: 'GB',
    baseUsers: 5,
    baseDevices: 0,
    userMask: partnerUserMask,
    deviceMask: 0,
  };

  // --- customers: summaries, cache, overlay ---------------------------------------------------
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
      else user = def.index === -1 ? partnerUser(slot) : generateUser(ctx, def.naming, slot, def.userMask);
      cache.users[slot] = user;
      cache.generatedUsers++;
    }
    return user;
  }

  function partnerUser(slot: number): WorldUser {
    const generated = generateUser(ctx, partnerDefinition.naming, slot + 1, partnerUserMask);
    if (slot !== 0) {
      const record = {
        ...generated.record,
        id: indexedGuid(partnerUserMask, slot, seed, 'user-id', partnerTenantId),
        jobTitle: 'Technician',
      };
      return { slot, kind: 'member', record };
    }
    const [given, ...rest] = partner.adminUser.displayName.split(' ');
    return {
      slot: 0,
      kind: 'admin',
      record: {
        ...generated.record,
        id: partner.adminUser.id,
        displayName: partner.adminUser.displayName,
        givenName: given ?? null,
        surname: rest.join(' ') || null,
        userPrincipalName: partner.adminUser.userPrincipalName,
        mail: null,
        mailNickname: 'gdap.sync',
        proxyAddresses: [],
        otherMails: [],
        accountEnabled: true,
        userType: 'Member',
        jobTitle: 'Service account',
      },
    };
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
      if (def.index === -1) {
        const rng = rngFrom(seed, 'partner-groups');
        const base = generateGroups(ctx, def.naming).slice(0, 1);
        const adminGroup: WorldGroup = {
          rule: { kind: 'explicit', userIds: [partner.adminUser.id] },
          nestedGroupIds: [],
          record: {
            ...(base[0] as WorldGroup).record,
            id: partner.adminGroupId,
            displayName: 'AdminAgents - GDAP docsync',
            mailNickname: 'gdapdocsync',
            description: 'GDAP access assignments (docsync)',
            groupTypes: [],
            mail: null,
            mailEnabled: false,
            securityEnabled: true,
            proxyAddresses: [],
            visibility: null,
            resourceProvisioningOptions: [],
          },
        };
        cache.groups = [...base, adminGroup];
        void rng;
      } else {
        cache.groups = generateGroups(ctx, def.naming);
      }
    }
    return cache.groups;
  }

  // --- GDAP ------------------------------------------------------------------------------------
  const relationshipOverrides = new Map<number, { status: RelationshipStatus; atMs: number }>();
  const extraAssignments = new Map<number, AccessAssignmentRecord[]>();
  const accessRoleOverrides = new Map<number, string[]>();
  let relationshipList: RelationshipEntry[] | undefined;

  function etag(...parts: Array<string | number>): string {
    const rng = rngFrom(seed, 'etag', ...parts);
    return `W/"${Buffer.from(`"${hexString(rng, 8)}-0000-0200-0000-${hexString(rng, 12)}"`).toString('base64')}"`;
  }

  function relationshipsFor(index: number): RelationshipEntry[] {
    const p = profileAt(index);
    if (p.traits.gdap === 'none') return [];
    const rng = rngFrom(seed, 'gdap', index);
    const entries: RelationshipEntry[] = [];
    const make = (kind: 'current' | 'old'): RelationshipEntry => {
      const expired = kind === 'current' && p.traits.gdap === 'expired';
      const createdMs = anchorMs - (kind === 'old' ? 900 : expired ? 400 : rng.between(30, 600)) * DAY - rng.int(DAY);
      const activatedMs = createdMs + rng.between(60_000, 3 * DAY);
      const durationDays = expired ? 365 : kind === 'old' ? 180 : 730;
      const listed = kind === 'current' ? explicit?.[index]?.relationship : undefined;
      let status: RelationshipStatus = kind === 'old' ? 'terminated' : expired ? 'expired' : (listed?.status ?? 'active');
      let endMs = listed?.endDateTime
        ? Date.parse(listed.endDateTime)
        : kind === 'old'
          ? createdMs + 120 * DAY
          : activatedMs + durationDays * DAY;
      let modifiedMs = kind === 'old' ? endMs : expired ? endMs : activatedMs;
      const override = kind === 'current' ? relationshipOverrides.get(index) : undefined;
      if (override) {
        status = override.status;
        endMs = override.atMs;
        modifiedMs = override.atMs;
      }
      const id = `${guidFrom(rng)}-${relationshipSuffix}`;
      const assignmentRoles =
        accessRoleOverrides.get(index) ??
        listed?.roles ??
        (p.traits.gdap === 'limited' ? [ROLES.directoryReaders] : [ROLES.directoryReaders, ROLES.globalReader]);
      const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '0000Z');
      return {
        customerIndex: index,
        record: {
          '@odata.type': '#microsoft.graph.delegatedAdminRelationship',
          '@odata.etag': etag('rel', id, status),
          id,
          displayName: kind === 'old' ? `DAP transition ${p.displayName}`.slice(0, 50) : `docsync GDAP - ${p.displayName}`.slice(0, 50),
          duration: `P${durationDays}D`,
          customer: { tenantId: p.tenantId, displayName: p.displayName },
          accessDetails: {
            unifiedRoles: [...new Set([...RELATIONSHIP_ROLES, ...assignmentRoles])].map((roleDefinitionId) => ({ roleDefinitionId })),
          },
          status,
          autoExtendDuration: kind === 'current' && !expired ? 'P180D' : 'PT0S',
          createdDateTime: iso(createdMs),
          lastModifiedDateTime: iso(modifiedMs),
          activatedDateTime: iso(activatedMs),
          endDateTime: iso(endMs),
        },
        assignments: [
          {
            '@odata.type': '#microsoft.graph.delegatedAdminAccessAssignment',
            '@odata.etag': etag('assign', id),
            id: guidFrom(rng),
            status: 'active',
            createdDateTime: iso(activatedMs + 60_000),
            lastModifiedDateTime: iso(activatedMs + 120_000),
            accessContainer: { accessContainerId: partner.adminGroupId, accessContainerType: 'securityGroup' },
            accessDetails: { unifiedRoles: assignmentRoles.map((roleDefinitionId) => ({ roleDefinitionId })) },
          },
          ...(kind === 'current' ? (extraAssignments.get(index) ?? []) : []),
        ],
      };
    };
    if (p.traits.oldTerminatedRelationship) entries.push(make('old'));
    entries.push(make('current'));
    return entries;
  }

  function allRelationships(): RelationshipEntry[] {
    if (!relationshipList) {
      relationshipList = [];
      for (let i = 0; i < customerTotal; i++) relationshipList.push(...relationshipsFor(i));
    }
    return relationshipList;
  }

  function partnerUserGroups(partnerUserId: string): string[] {
    return partnerUserId.toLowerCase() === partner.adminUser.id ? [partner.adminGroupId] : [];
  }

  // --- mutations helpers -----------------------------------------------------------------------
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

  // --- the World ---------------------------------------------------------------------------------
  const world: World = {
    seed,
    usersPerTenant: options.usersPerTenant,
    clock,
    anchor: new Date(anchorMs),
    partner,

    tenantExists: (t) => resolve(t) !== undefined,
    resolveTenantId: (t) => resolve(t),
    appConsented(tenantId, clientId) {
      const def = definition(tenantId);
      if (!def || clientId.toLowerCase() !== partner.app.clientId) return false;
      return !(states.get(def.tenantId)?.consentRevoked.has(clientId.toLowerCase()) ?? false);
    },
    gdapAccess(customerTenantId, partnerUserId): GdapAccess {
      const id = resolve(customerTenantId);
      const index = id ? customerIndexOf(id) : undefined;
      if (index === undefined)
        return { ok: false, reason: 'no_relationship', detail: `no GDAP relationship with tenant ${customerTenantId}` };
      const entries = allRelationships().filter((e) => e.customerIndex === index);
      if (entries.length === 0)
        return {
          ok: false,
          reason: 'no_relationship',
          detail: `${profileAt(index).displayName} has no GDAP relationship with the partner (DAP only)`,
        };
      const active = entries.filter((e) => e.record.status === 'active');
      if (active.length === 0) {
        return {
          ok: false,
          reason: 'inactive',
          detail: `the GDAP relationship with ${profileAt(index).displayName} is ${entries[entries.length - 1]?.record.status}`,
        };
      }
      const groups = partnerUserGroups(partnerUserId);
      for (const entry of active) {
        const assignment = entry.assignments.find((a) => a.status === 'active' && groups.includes(a.accessContainer.accessContainerId));
        if (assignment) {
          return {
            ok: true,
            relationshipId: entry.record.id,
            roleDefinitionIds: assignment.accessDetails.unifiedRoles.map((r) => r.roleDefinitionId),
          };
        }
      }
      return {
        ok: false,
        reason: 'no_assignment',
        detail: `no active access assignment for the user's security groups in ${profileAt(index).displayName}`,
      };
    },
    appRoles(tenantId, clientId) {
      if (!world.appConsented(tenantId, clientId)) return [];
      const all: string[] = [...DOCSYNC_APP_PERMISSIONS, ...(resolve(tenantId) === partnerTenantId ? PARTNER_ONLY_PERMISSIONS : [])];
      const narrowed = states.get(resolve(tenantId) ?? '')?.consentedPermissions;
      return narrowed ? all.filter((p) => narrowed.includes(p)) : all;
    },
    delegatedScopes(tenantId, clientId) {
      const granted = world.appRoles(tenantId, clientId);
      if (granted.length === 0) return granted;
      const extra = states.get(resolve(tenantId) ?? '')?.extraScopes;
      return extra ? [...new Set([...granted, ...extra])] : granted;
    },

    customerCount: () => customerTotal,
    customers: () => Array.from({ length: customerTotal }, (_, i) => profileAt(i)),
    customer(t) {
      const id = resolve(t);
      const index = id ? customerIndexOf(id) : undefined;
      return index === undefined ? undefined : profileAt(index);
    },
    isPartnerTenant: (t) => resolve(t) === partnerTenantId,

    organization(tenantId) {
      const def = definition(tenantId);
      if (!def) return undefined;
      const rng = rngFrom(seed, 'org', def.tenantId);
      const skus = def.naming.skuPlan.skus.map((s) => SKUS[s.key]);
      const plans = new Map<string, { servicePlanId: string; service: string }>();
      for (const sku of skus)
        for (const p of sku.servicePlans)
          plans.set(p.servicePlanId, { servicePlanId: p.servicePlanId, service: serviceOf(p.servicePlanName) });
      const assignedDateTime = isoSeconds(Date.parse(def.createdDateTime) + DAY);
      const admin = liveUser(def, 0)?.record.userPrincipalName ?? `admin@${def.naming.initialDomain}`;
      return {
        id: def.tenantId,
        deletedDateTime: null,
        businessPhones: rng.chance(0.7) ? [`+44 20 7946 ${String(rng.between(0, 9999)).padStart(4, '0')}`] : [],
        city: rng.chance(0.6) ? rng.pick(['London', 'Zürich', 'Köln', 'Paris', 'Oslo']) : null,
        country: null,
        countryLetterCode: def.countryLetterCode,
        createdDateTime: def.createdDateTime,
        defaultUsageLocation: null,
        displayName: def.naming.displayName,
        isMultipleDataLocationsForServicesEnabled: null,
        marketingNotificationEmails: [],
        onPremisesLastSyncDateTime: null,
        onPremisesSyncEnabled: null,
        partnerTenantType: def.index === -1 ? 'ResellerPartnerDelegatedAdmin' : null,
        postalCode: null,
        preferredLanguage: 'en',
        securityComplianceNotificationMails: [],
        securityComplianceNotificationPhones: [],
        state: null,
        street: null,
        technicalNotificationMails: [admin],
        tenantType: 'AAD',
        directorySizeQuota: { used: userSlotCount(def) + 20, total: 300000 },
        assignedPlans: [...plans.values()].map((p) => ({
          assignedDateTime,
          capabilityStatus: 'Enabled',
          service: p.service,
          servicePlanId: p.servicePlanId,
        })),
        privacyProfile: { contactEmail: '', statementUrl: '' },
        provisionedPlans: [...new Set([...plans.values()].map((p) => p.service))].map((service) => ({
          capabilityStatus: 'Enabled',
          provisioningStatus: 'Success',
          service,
        })),
        verifiedDomains: def.domains
          .filter((d) => d.isVerified)
          .map((d) => ({
            capabilities: d.supportedServices.filter((s) => s !== 'Intune').join(', ') || 'None',
            isDefault: d.isDefault,
            isInitial: d.isInitial,
            name: d.id,
            type: d.authenticationType,
          })),
      };
    },
    domains: (t) => need(t).domains,
    subscribedSkus(tenantId) {
      const def = need(tenantId);
      const listed = def.index >= 0 ? explicit?.[def.index]?.subscribedSkus : undefined;
      if (listed) return structuredClone(listed);
      const consumed = consumedUnits(def);
      const rng = rngFrom(seed, 'subscriptions', def.tenantId);
      return def.naming.skuPlan.skus.map((s) => {
        const sku = SKUS[s.key];
        const used = consumed.get(sku.skuId) ?? 0;
        // Prepaid units are what the tenant bought: what its generated users use plus the spare
        // ones. Assigning or removing a licence changes consumedUnits, never the units bought.
        const units = (baseConsumedUnits(def).get(sku.skuId) ?? 0) + s.extraUnits;
        return {
          accountName: def.naming.displayName,
          accountId: def.tenantId,
          appliesTo: 'User',
          capabilityStatus: s.suspended ? 'Suspended' : 'Enabled',
          consumedUnits: used,
          id: `${def.tenantId}_${sku.skuId}`,
          prepaidUnits: { enabled: s.suspended ? 0 : units, lockedOut: 0, suspended: s.suspended ? units : 0, warning: 0 },
          servicePlans: sku.servicePlans.map((p) => ({ ...p, provisioningStatus: s.suspended ? 'Disabled' : 'Success' })),
          skuId: sku.skuId,
          skuPartNumber: sku.skuPartNumber,
          subscriptionIds: [guidFrom(rng)],
        };
      });
    },
    hasIntune: (t) => need(t).traits.intune,
    hasPremium: (t) => need(t).traits.premium,
    reportsConcealed(t) {
      const def = need(t);
      return states.get(def.tenantId)?.reportsConcealed ?? def.traits.reportsConcealed;
    },

    userSlotCount: (t) => userSlotCount(need(t)),
    userAt: (t, slot) => liveUser(need(t), slot),
    user(t, userId) {
      const def = need(t);
      const slot = slotOfUser(def, userId);
      return slot === undefined ? undefined : liveUser(def, slot);
    },
    removalReason(t, slot) {
      const entry = states.get(need(t).tenantId)?.users.get(slot);
      return entry && 'deleted' in entry ? entry.deleted : undefined;
    },
    userCount(t) {
      const def = need(t);
      let n = 0;
      for (const _ of liveUsers(def)) n++;
      return n;
    },
    groups: (t) => groupsOf(need(t)),
    group: (t, id) => groupsOf(need(t)).find((g) => g.record.id === id.toLowerCase()),
    groupMembers(t, groupId) {
      const def = need(t);
      const groups = groupsOf(def);
      const group = groups.find((g) => g.record.id === groupId.toLowerCase());
      if (!group) return [];
      const members: ReturnType<World['groupMembers']> = [];
      const overlay = states.get(def.tenantId)?.membership?.get(group.record.id);
      for (const user of liveUsers(def)) {
        const id = user.record.id;
        const member = overlay?.added.has(id) || (groupHasUser(group.rule, user) && !overlay?.removed.has(id));
        if (member) members.push({ kind: 'user', user });
      }
      for (const nestedId of group.nestedGroupIds) {
        const nested = groups.find((g) => g.record.id === nestedId);
        if (nested) members.push({ kind: 'group', group: nested });
      }
      return members;
    },
    deviceSlotCount: (t) => deviceSlotCount(need(t)),
    deviceAt: (t, slot) => deviceAt(need(t), slot),
    device(t, deviceId) {
      const def = need(t);
      const slot = slotOfDevice(def, deviceId);
      return slot === undefined ? undefined : deviceAt(def, slot);
    },
    mailboxUsage(t) {
      const def = need(t);
      const rows: MailboxUsageRow[] = [];
      const slots = userSlotCount(def);
      for (let slot = 0; slot < slots; slot++) {
        const entry = slotEntry(def, slot);
        if (!entry || ('deleted' in entry && entry.deleted === 'deleted')) continue;
        const user = 'deleted' in entry ? entry.user : entry;
        if (hasMailbox(user)) rows.push(mailboxUsageRow(ctx, def.tenantId, user));
      }
      return rows;
    },
    activeUserDetail(t) {
      const def = need(t);
      const rows: ActiveUserRow[] = [];
      const slots = userSlotCount(def);
      for (let slot = 0; slot < slots; slot++) {
        const entry = slotEntry(def, slot);
        if (!entry || ('deleted' in entry && entry.deleted === 'deleted')) continue;
        const user = 'deleted' in entry ? entry.user : entry;
        if (user.record.userType === 'Member') rows.push(activeUserRow(ctx, def.tenantId, user));
      }
      return rows;
    },

    relationships: () => allRelationships().map((e) => e.record),
    relationship: (id) => allRelationships().find((e) => e.record.id === id.toLowerCase())?.record,
    accessAssignments: (id) => allRelationships().find((e) => e.record.id === id.toLowerCase())?.assignments,
    delegatedAdminCustomers() {
      const seen = new Set<number>();
      const out: DelegatedAdminCustomerRecord[] = [];
      for (const e of allRelationships()) {
        if (seen.has(e.customerIndex)) continue;
        seen.add(e.customerIndex);
        const p = profileAt(e.customerIndex);
        out.push({
          '@odata.type': '#microsoft.graph.delegatedAdminCustomer',
          '@odata.etag': etag('customer', p.tenantId),
          id: p.tenantId,
          tenantId: p.tenantId,
          displayName: p.displayName,
        });
      }
      return out;
    },
    contracts() {
      const out: ContractRecord[] = [];
      for (let i = 0; i < customerTotal; i++) {
        const p = profileAt(i);
        if (!p.traits.contract) continue;
        const rng = rngFrom(seed, 'contract', i);
        out.push({
          contractType: 'ResellerPartner',
          customerId: p.tenantId,
          defaultDomainName: p.defaultDomain,
          displayName: p.displayName,
          id: guidFrom(rng),
        });
      }
      return out;
    },

    changeSequence: () => sequence,
    userChangesSince(t, seq) {
      const changes = states.get(need(t).tenantId)?.changes ?? [];
      // changes are appended in sequence order: binary search for the first one after seq
      let lo = 0,
        hi = changes.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((changes[mid] as UserChange).seq <= seq) lo = mid + 1;
        else hi = mid;
      }
      return changes.slice(lo);
    },

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
      return world.updateUser(t, userId, { displayName, ...names });
    },
    disableUser(t, userId, disabled = true) {
      return world.updateUser(t, userId, { accountEnabled: !disabled });
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
      return world.updateUser(t, userId, patch);
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
      const index = customerTotal;
      addedCustomers.set(index, input);
      customerTotal++;
      const p = profileAt(index);
      relationshipList = undefined;
      if (domainIndex) for (const d of p.domains) domainIndex.set(d.id, p.tenantId);
      return p;
    },
    expireRelationship(t, status = 'expired') {
      setRelationshipStatus(t, status);
    },
    addAccessAssignment(t, input) {
      const id = resolve(t);
      const index = id ? customerIndexOf(id) : undefined;
      if (index === undefined || profileAt(index).traits.gdap === 'none') {
        throw new WorldError('relationship_not_found', `no GDAP relationship with tenant ${t}`);
      }
      const list = extraAssignments.get(index) ?? [];
      const rng = rngFrom(seed, 'extra-assignment', index, list.length);
      const at = new Date(clock.now().getTime()).toISOString().replace('Z', '0000Z');
      const record: AccessAssignmentRecord = {
        '@odata.type': '#microsoft.graph.delegatedAdminAccessAssignment',
        '@odata.etag': etag('assign-extra', index, list.length),
        id: guidFrom(rng),
        status: 'active',
        createdDateTime: at,
        lastModifiedDateTime: at,
        accessContainer: { accessContainerId: input.securityGroupId.toLowerCase(), accessContainerType: 'securityGroup' },
        accessDetails: { unifiedRoles: input.roleDefinitionIds.map((id) => ({ roleDefinitionId: id.toLowerCase() })) },
      };
      extraAssignments.set(index, [...list, record]);
      relationshipList = undefined;
      return record;
    },
    terminateRelationship(t) {
      setRelationshipStatus(t, 'terminated');
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
    setAccessRoles(t, roleDefinitionIds) {
      const id = resolve(t);
      const index = id ? customerIndexOf(id) : undefined;
      if (index === undefined || profileAt(index).traits.gdap === 'none')
        throw new WorldError('relationship_not_found', `no GDAP relationship with tenant ${t}`);
      accessRoleOverrides.set(index, [...roleDefinitionIds]);
      relationshipList = undefined;
    },
    grantDelegatedScopes(t, scopes) {
      const state = stateOf(need(t));
      state.extraScopes ??= new Set();
      for (const scope of scopes) state.extraScopes.add(scope);
    },

    cacheStats() {
      let generatedUsers = 0;
      for (const c of caches.values()) generatedUsers += c.generatedUsers;
      return { cachedTenants: caches.size, mutatedTenants: states.size, generatedUsers };
    },
  };

  function setRelationshipStatus(t: string, status: RelationshipStatus): void {
    const id = resolve(t);
    const index = id ? customerIndexOf(id) : undefined;
    if (index === undefined || profileAt(index).traits.gdap === 'none')
      throw new WorldError('relationship_not_found', `no GDAP relationship with tenant ${t}`);
    relationshipOverrides.set(index, { status, atMs: clock.now().getTime() });
    relationshipList = undefined;
  }

  return world;
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

/** Organization.assignedPlans names services, not plans (sample: "exchange", "SCO"). */
function serviceOf(servicePlanName: string): string {
  if (servicePlanName.startsWith('EXCHANGE')) return 'exchange';
  if (servicePlanName.startsWith('SHAREPOINT')) return 'SharePoint';
  if (servicePlanName === 'INTUNE_A') return 'SCO';
  if (servicePlanName === 'AAD_PREMIUM') return 'AADPremiumService';
  if (servicePlanName === 'TEAMS1') return 'TeamspaceAPI';
  if (servicePlanName === 'MCOSTANDARD') return 'MicrosoftCommunicationsOnline';
  if (servicePlanName.startsWith('OFFICE')) return 'MicrosoftOffice';
  if (servicePlanName === 'YAMMER_ENTERPRISE') return 'YammerEnterprise';
  return 'ProcessSimple';
}

export type { SkuKey };

/** The top-level properties whose values differ between two versions of a user. */
function changedProperties(before: UserRecord, after: UserRecord): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  return [...keys].filter((k) => JSON.stringify(a[k] ?? null) !== JSON.stringify(b[k] ?? null));
}
