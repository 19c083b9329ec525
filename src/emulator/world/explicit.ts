// A world file (`docsync emulator --world FILE`, `docsync demo --world FILE`): customers served
// from explicit Graph records instead of the seed. Validated at the edge with TypeBox like
// `docsync match` (src/matching/parse-input.ts); the first bad value is named by its JSON path.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, readablePath } from '../../matching/parse-input.ts';
import type { DomainRecord, ManagedDeviceRecord, RelationshipStatus, SubscribedSkuRecord, UserRecord } from './records.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const OptionalNullableString = Type.Optional(Nullable(Type.String()));

// Graph objects keep any other property they carry (additionalProperties allowed).
const UserSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  userPrincipalName: Type.String({ minLength: 1 }),
  displayName: OptionalNullableString,
  givenName: OptionalNullableString,
  surname: OptionalNullableString,
  mail: OptionalNullableString,
  jobTitle: OptionalNullableString,
  department: OptionalNullableString,
  mobilePhone: OptionalNullableString,
  businessPhones: Type.Optional(Type.Array(Type.String())),
  accountEnabled: Type.Optional(Type.Boolean()),
  userType: Type.Optional(Type.Union([Type.Literal('Member'), Type.Literal('Guest')])),
  proxyAddresses: Type.Optional(Type.Array(Type.String())),
  otherMails: Type.Optional(Type.Array(Type.String())),
  assignedLicenses: Type.Optional(
    Type.Array(Type.Object({ skuId: Type.String(), disabledPlans: Type.Optional(Type.Array(Type.String())) })),
  ),
});

const DomainSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  isDefault: Type.Optional(Type.Boolean()),
  isInitial: Type.Optional(Type.Boolean()),
  isVerified: Type.Optional(Type.Boolean()),
  supportedServices: Type.Optional(Type.Array(Type.String())),
});

const DeviceSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  deviceName: Type.String(),
  userId: OptionalNullableString,
  userPrincipalName: OptionalNullableString,
  serialNumber: Type.Optional(Type.String()),
  operatingSystem: Type.Optional(Type.String()),
});

const SkuSchema = Type.Object({
  skuId: Type.String({ minLength: 1 }),
  skuPartNumber: Type.String(),
  consumedUnits: Type.Optional(Type.Number()),
  capabilityStatus: Type.Optional(
    Type.Union(
      ['Enabled', 'Suspended', 'Warning', 'LockedOut', 'Deleted'].map((s) => Type.Literal(s as SubscribedSkuRecord['capabilityStatus'])),
    ),
  ),
});

const STATUSES: RelationshipStatus[] = [
  'created',
  'approvalPending',
  'approved',
  'activating',
  'active',
  'expiring',
  'expired',
  'terminationRequested',
  'terminating',
  'terminated',
];

/** The customer's current GDAP relationship when it is not the default (active, Directory Readers + Global Reader). */
const RelationshipSchema = Type.Object({
  status: Type.Union(STATUSES.map((s) => Type.Literal(s))),
  endDateTime: Type.Optional(Type.String()),
  /** role definition ids of the partner group's access assignment */
  roles: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
});

const CustomerSchema = Type.Object({
  tenantId: Type.String({ minLength: 1 }),
  displayName: Type.String({ minLength: 1 }),
  domains: Type.Array(DomainSchema, { minItems: 1 }),
  users: Type.Array(UserSchema),
  managedDevices: Type.Array(DeviceSchema),
  subscribedSkus: Type.Array(SkuSchema),
  intune: Type.Boolean(),
  premium: Type.Boolean(),
  relationship: Type.Optional(RelationshipSchema),
});

export const WorldFileSchema = Type.Object({ customers: Type.Array(CustomerSchema) });
export type WorldFile = Static<typeof WorldFileSchema>;

export interface ExplicitCustomer {
  tenantId: string;
  displayName: string;
  domains: DomainRecord[];
  users: UserRecord[];
  managedDevices: ManagedDeviceRecord[];
  subscribedSkus: SubscribedSkuRecord[];
  intune: boolean;
  premium: boolean;
  relationship: { status: RelationshipStatus; endDateTime?: string; roles?: string[] } | undefined;
}

export class WorldFileInvalid extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || 'world file'}: ${problem}`);
    this.name = 'WorldFileInvalid';
  }
}

const checker = TypeCompiler.Compile(WorldFileSchema);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** @throws WorldFileInvalid naming the first bad value by its JSON path. */
export function parseWorldFile(value: unknown): ExplicitCustomer[] {
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    if (!first) throw new WorldFileInvalid('', 'does not match the world file schema');
    throw new WorldFileInvalid(readablePath(first.path), describe(first));
  }
  const tenants = new Set<string>();
  const domains = new Set<string>();
  return value.customers.map((c, i) => {
    const tenantId = c.tenantId.toLowerCase();
    if (tenants.has(tenantId))
      throw new WorldFileInvalid(`customers[${i}].tenantId`, `tenant ${JSON.stringify(c.tenantId)} is listed twice`);
    tenants.add(tenantId);
    c.domains.forEach((d, j) => {
      if (domains.has(d.id.toLowerCase())) throw new WorldFileInvalid(`customers[${i}].domains[${j}].id`, `domain ${d.id} is listed twice`);
      domains.add(d.id.toLowerCase());
    });
    const end = c.relationship?.endDateTime;
    if (end !== undefined && !checkDateTime(end))
      throw new WorldFileInvalid(`customers[${i}].relationship.endDateTime`, `expected an ISO 8601 date-time, got ${JSON.stringify(end)}`);
    const userIds = new Set<string>();
    c.users.forEach((u, j) => {
      if (userIds.has(u.id.toLowerCase())) throw new WorldFileInvalid(`customers[${i}].users[${j}].id`, `user ${u.id} is listed twice`);
      userIds.add(u.id.toLowerCase());
    });
    return {
      tenantId,
      displayName: c.displayName,
      domains: c.domains.map((d, j) => domainRecord(d, j)),
      users: c.users.map((u) => userRecord(u)),
      managedDevices: c.managedDevices.map((d) => deviceRecord(d)),
      subscribedSkus: c.subscribedSkus.map((s) => skuRecord(s, tenantId, c.displayName)),
      intune: c.intune,
      premium: c.premium,
      relationship: c.relationship,
    };
  });
}

function checkDateTime(value: string): boolean {
  return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

type Input<T extends TSchema> = Static<T> & Record<string, unknown>;

function domainRecord(d: Input<typeof DomainSchema>, index: number): DomainRecord {
  return {
    authenticationType: 'Managed',
    availabilityStatus: null,
    isAdminManaged: true,
    isRoot: true,
    ...d,
    id: d.id.toLowerCase(),
    isDefault: d.isDefault ?? index === 0,
    isInitial: d.isInitial ?? d.id.toLowerCase().endsWith('.onmicrosoft.com'),
    isVerified: d.isVerified ?? true,
    supportedServices: d.supportedServices ?? ['Email', 'OfficeCommunicationsOnline'],
  } as DomainRecord;
}

const NEVER = '';
function userRecord(u: Input<typeof UserSchema>): UserRecord {
  // Properties the file leaves out read as Graph shows unset ones: null or [].
  return {
    displayName: null,
    givenName: null,
    surname: null,
    mail: null,
    mailNickname: u.userPrincipalName.split('@')[0] ?? u.userPrincipalName,
    jobTitle: null,
    department: null,
    companyName: null,
    officeLocation: null,
    mobilePhone: null,
    businessPhones: [],
    preferredLanguage: null,
    usageLocation: null,
    accountEnabled: true,
    userType: 'Member',
    creationType: null,
    externalUserState: null,
    createdDateTime: '2024-01-01T00:00:00Z',
    deletedDateTime: null,
    lastPasswordChangeDateTime: '2024-01-01T00:00:00Z',
    otherMails: [],
    proxyAddresses: [],
    assignedLicenses: [],
    signInActivity: {
      lastSignInDateTime: NEVER,
      lastSignInRequestId: NEVER,
      lastNonInteractiveSignInDateTime: NEVER,
      lastNonInteractiveSignInRequestId: NEVER,
      lastSuccessfulSignInDateTime: NEVER,
      lastSuccessfulSignInRequestId: NEVER,
    },
    employeeId: null,
    onPremisesSyncEnabled: null,
    onPremisesImmutableId: null,
    city: null,
    country: null,
    ...u,
    id: u.id.toLowerCase(),
  } as UserRecord;
}

function deviceRecord(d: Input<typeof DeviceSchema>): ManagedDeviceRecord {
  return {
    '@odata.type': '#microsoft.graph.managedDevice',
    userId: null,
    managedDeviceOwnerType: 'company',
    deviceActionResults: [],
    enrolledDateTime: '2024-01-01T00:00:00Z',
    lastSyncDateTime: '2024-01-01T00:00:00Z',
    operatingSystem: 'Windows',
    complianceState: 'compliant',
    jailBroken: 'Unknown',
    managementAgent: 'mdm',
    osVersion: '',
    easActivated: false,
    easDeviceId: '',
    easActivationDateTime: '0001-01-01T00:00:00Z',
    azureADRegistered: true,
    deviceEnrollmentType: 'windowsAzureADJoin',
    activationLockBypassCode: null,
    emailAddress: '',
    azureADDeviceId: '',
    deviceRegistrationState: 'registered',
    deviceCategoryDisplayName: 'Unknown',
    isSupervised: false,
    exchangeLastSuccessfulSyncDateTime: '0001-01-01T00:00:00Z',
    exchangeAccessState: 'none',
    exchangeAccessStateReason: 'none',
    remoteAssistanceSessionUrl: null,
    remoteAssistanceSessionErrorDetails: null,
    isEncrypted: false,
    userPrincipalName: null,
    model: '',
    manufacturer: '',
    imei: '',
    complianceGracePeriodExpirationDateTime: '9999-12-31T23:59:59Z',
    serialNumber: '',
    phoneNumber: '',
    androidSecurityPatchLevel: '',
    userDisplayName: null,
    configurationManagerClientEnabledFeatures: null,
    wiFiMacAddress: '',
    deviceHealthAttestationState: null,
    subscriberCarrier: '',
    meid: '',
    totalStorageSpaceInBytes: 0,
    freeStorageSpaceInBytes: 0,
    managedDeviceName: d.deviceName,
    partnerReportedThreatState: 'unknown',
    requireUserEnrollmentApproval: null,
    managementCertificateExpirationDate: '0001-01-01T00:00:00Z',
    iccid: null,
    udid: null,
    notes: null,
    ethernetMacAddress: null,
    physicalMemoryInBytes: 0,
    ...d,
    id: d.id.toLowerCase(),
  } as ManagedDeviceRecord;
}

function skuRecord(s: Input<typeof SkuSchema>, tenantId: string, displayName: string): SubscribedSkuRecord {
  return {
    accountName: displayName,
    accountId: tenantId,
    appliesTo: 'User',
    capabilityStatus: 'Enabled',
    consumedUnits: 0,
    id: `${tenantId}_${s.skuId}`,
    prepaidUnits: { enabled: 0, lockedOut: 0, suspended: 0, warning: 0 },
    servicePlans: [],
    subscriptionIds: [],
    ...s,
  } as SubscribedSkuRecord;
}
