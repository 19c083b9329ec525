// The world's public types: the read view (what Graph routes read) and the control view (what
// tests, the demo and /_emulator/world use to change the world). World is both.
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
  SubscribedSkuRecord,
  UserKind,
  UserRecord,
  WorldGroup,
  WorldUser,
} from './records.ts';
import type { ExplicitCustomer } from './explicit.ts';
import type { EmulatorClock, IdentityWorld } from '../world-types.ts';

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

/** What Graph routes (and the identity platform) read. */
export interface WorldReadView extends IdentityWorld {
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

  cacheStats(): { cachedTenants: number; mutatedTenants: number; generatedUsers: number };
}

/** What tests, the demo and the admin API (/_emulator/world) use to change the world. */
export interface WorldControlView {
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
}

export interface World extends WorldReadView, WorldControlView {}

export class WorldError extends Error {
  constructor(
    readonly code: 'tenant_not_found' | 'user_not_found' | 'device_not_found' | 'no_intune' | 'relationship_not_found' | 'invalid_input',
    message: string,
  ) {
    super(message);
    this.name = 'WorldError';
  }
}
