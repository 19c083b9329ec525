// Shapes of what the world holds. Graph-facing records use Graph's property names and value
// conventions (ISO timestamps without fractions, null for unset), so the Graph face can
// serialize them with $select and nothing else.

export interface AssignedLicense {
  disabledPlans: string[];
  skuId: string;
}

export interface SignInActivity {
  lastSignInDateTime: string;
  lastSignInRequestId: string;
  lastNonInteractiveSignInDateTime: string;
  lastNonInteractiveSignInRequestId: string;
  /** Graph sends "" (not null) when there was none; see examples/user-signInActivity.json */
  lastSuccessfulSignInDateTime: string;
  lastSuccessfulSignInRequestId: string;
}

export interface UserRecord {
  id: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  userPrincipalName: string;
  mail: string | null;
  mailNickname: string;
  jobTitle: string | null;
  department: string | null;
  companyName: string | null;
  officeLocation: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  preferredLanguage: string | null;
  usageLocation: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  creationType: string | null;
  externalUserState: string | null;
  createdDateTime: string;
  deletedDateTime: string | null;
  lastPasswordChangeDateTime: string;
  otherMails: string[];
  proxyAddresses: string[];
  assignedLicenses: AssignedLicense[];
  signInActivity: SignInActivity;
  employeeId: string | null;
  onPremisesSyncEnabled: boolean | null;
  onPremisesImmutableId: string | null;
  city: string | null;
  country: string | null;
}

export type UserKind = 'admin' | 'member' | 'unlicensed' | 'guest' | 'shared' | 'room' | 'equipment' | 'disabled';

/** A user plus what the world knows about it beyond Graph's view. */
export interface WorldUser {
  slot: number;
  kind: UserKind;
  record: UserRecord;
}

export interface DomainRecord {
  authenticationType: 'Managed' | 'Federated';
  availabilityStatus: string | null;
  isAdminManaged: boolean;
  isDefault: boolean;
  isInitial: boolean;
  isRoot: boolean;
  isVerified: boolean;
  id: string;
  supportedServices: string[];
}

export interface GroupRecord {
  id: string;
  deletedDateTime: null;
  classification: null;
  createdDateTime: string;
  description: string | null;
  displayName: string;
  expirationDateTime: null;
  groupTypes: string[];
  isAssignableToRole: boolean | null;
  mail: string | null;
  mailEnabled: boolean;
  mailNickname: string;
  membershipRule: null;
  membershipRuleProcessingState: null;
  onPremisesLastSyncDateTime: null;
  onPremisesSecurityIdentifier: null;
  onPremisesSyncEnabled: null;
  preferredDataLocation: string | null;
  preferredLanguage: null;
  proxyAddresses: string[];
  renewedDateTime: string;
  resourceBehaviorOptions: string[];
  resourceProvisioningOptions: string[];
  securityEnabled: boolean;
  theme: null;
  visibility: string | null;
  onPremisesProvisioningErrors: never[];
}

/** Which users (and nested groups) a generated group has: a rule, so members page lazily. */
export type GroupMembershipRule =
  | { kind: 'allMembers' }
  | { kind: 'department'; department: string }
  | { kind: 'slotModulo'; modulo: number; remainder: number }
  | { kind: 'userKinds'; kinds: UserKind[] }
  | { kind: 'explicit'; userIds: string[] };

export interface WorldGroup {
  record: GroupRecord;
  rule: GroupMembershipRule;
  nestedGroupIds: string[];
}

export interface ManagedDeviceRecord {
  '@odata.type': '#microsoft.graph.managedDevice';
  id: string;
  userId: string | null;
  deviceName: string;
  managedDeviceOwnerType: 'company' | 'personal';
  deviceActionResults: unknown[];
  enrolledDateTime: string;
  lastSyncDateTime: string;
  operatingSystem: string;
  complianceState: string;
  jailBroken: string;
  managementAgent: string;
  osVersion: string;
  easActivated: boolean;
  easDeviceId: string;
  easActivationDateTime: string;
  azureADRegistered: boolean;
  deviceEnrollmentType: string;
  activationLockBypassCode: string | null;
  emailAddress: string;
  azureADDeviceId: string;
  deviceRegistrationState: string;
  deviceCategoryDisplayName: string;
  isSupervised: boolean;
  exchangeLastSuccessfulSyncDateTime: string;
  exchangeAccessState: string;
  exchangeAccessStateReason: string;
  remoteAssistanceSessionUrl: string | null;
  remoteAssistanceSessionErrorDetails: string | null;
  isEncrypted: boolean;
  userPrincipalName: string | null;
  model: string;
  manufacturer: string;
  imei: string;
  complianceGracePeriodExpirationDateTime: string;
  serialNumber: string;
  phoneNumber: string;
  androidSecurityPatchLevel: string;
  userDisplayName: string | null;
  configurationManagerClientEnabledFeatures: null;
  wiFiMacAddress: string;
  deviceHealthAttestationState: null;
  subscriberCarrier: string;
  meid: string;
  totalStorageSpaceInBytes: number;
  freeStorageSpaceInBytes: number;
  managedDeviceName: string;
  partnerReportedThreatState: string;
  requireUserEnrollmentApproval: boolean | null;
  managementCertificateExpirationDate: string;
  iccid: string | null;
  udid: string | null;
  notes: string | null;
  ethernetMacAddress: string | null;
  physicalMemoryInBytes: number;
}

export interface SubscribedSkuRecord {
  accountName: string;
  accountId: string;
  appliesTo: 'User' | 'Company';
  capabilityStatus: 'Enabled' | 'Suspended' | 'Warning' | 'LockedOut' | 'Deleted';
  consumedUnits: number;
  id: string;
  prepaidUnits: { enabled: number; lockedOut: number; suspended: number; warning: number };
  servicePlans: Array<{ servicePlanId: string; servicePlanName: string; provisioningStatus: string; appliesTo: 'User' | 'Company' }>;
  skuId: string;
  skuPartNumber: string;
  subscriptionIds: string[];
}

export interface MailboxUsageRow {
  userPrincipalName: string;
  displayName: string;
  isDeleted: boolean;
  deletedDate: string | null;
  createdDate: string;
  lastActivityDate: string | null;
  itemCount: number;
  storageUsedInBytes: number;
  issueWarningQuotaInBytes: number;
  prohibitSendQuotaInBytes: number;
  prohibitSendReceiveQuotaInBytes: number;
  deletedItemCount: number;
  deletedItemSizeInBytes: number;
  deletedItemQuotaInBytes: number;
  hasArchive: boolean;
  /** Exchange's RecipientTypeDetails name: UserMailbox, SharedMailbox, RoomMailbox or EquipmentMailbox. */
  recipientType: 'UserMailbox' | 'SharedMailbox' | 'RoomMailbox' | 'EquipmentMailbox';
}

export interface ActiveUserRow {
  userPrincipalName: string;
  displayName: string;
  isDeleted: boolean;
  deletedDate: string | null;
  hasExchangeLicense: boolean;
  hasOneDriveLicense: boolean;
  hasSharePointLicense: boolean;
  hasSkypeForBusinessLicense: boolean;
  hasYammerLicense: boolean;
  hasTeamsLicense: boolean;
  exchangeLastActivityDate: string | null;
  oneDriveLastActivityDate: string | null;
  sharePointLastActivityDate: string | null;
  skypeForBusinessLastActivityDate: string | null;
  yammerLastActivityDate: string | null;
  teamsLastActivityDate: string | null;
  exchangeLicenseAssignDate: string | null;
  oneDriveLicenseAssignDate: string | null;
  sharePointLicenseAssignDate: string | null;
  skypeForBusinessLicenseAssignDate: string | null;
  yammerLicenseAssignDate: string | null;
  teamsLicenseAssignDate: string | null;
  assignedProducts: string[];
}

export type RelationshipStatus =
  | 'created'
  | 'approvalPending'
  | 'approved'
  | 'activating'
  | 'active'
  | 'expiring'
  | 'expired'
  | 'terminationRequested'
  | 'terminating'
  | 'terminated';

export interface DelegatedAdminRelationshipRecord {
  '@odata.type': '#microsoft.graph.delegatedAdminRelationship';
  '@odata.etag': string;
  id: string;
  displayName: string;
  duration: string;
  customer: { tenantId: string; displayName: string };
  accessDetails: { unifiedRoles: Array<{ roleDefinitionId: string }> };
  status: RelationshipStatus;
  autoExtendDuration: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  activatedDateTime: string | null;
  endDateTime: string | null;
}

export interface AccessAssignmentRecord {
  '@odata.type': '#microsoft.graph.delegatedAdminAccessAssignment';
  '@odata.etag': string;
  id: string;
  status: 'pending' | 'active' | 'deleting' | 'deleted' | 'error';
  createdDateTime: string;
  lastModifiedDateTime: string;
  accessContainer: { accessContainerId: string; accessContainerType: 'securityGroup' };
  accessDetails: { unifiedRoles: Array<{ roleDefinitionId: string }> };
}

export interface ContractRecord {
  contractType: 'ResellerPartner' | 'SyndicationPartner' | 'BreadthPartner';
  customerId: string;
  defaultDomainName: string;
  displayName: string;
  id: string;
}

export interface DelegatedAdminCustomerRecord {
  '@odata.type': '#microsoft.graph.delegatedAdminCustomer';
  '@odata.etag': string;
  id: string;
  tenantId: string;
  displayName: string;
}

/** How a customer differs from a healthy one (deterministic by index; see world.ts). */
export interface CustomerTraits {
  intune: boolean;
  /** Entra ID P1 in the SKUs: signInActivity is readable */
  premium: boolean;
  reportsConcealed: boolean;
  /** active: full roles; limited: the access assignment lacks roles; expired: the relationship ended; none: DAP-only */
  gdap: 'active' | 'limited' | 'expired' | 'none';
  /** appears in /contracts (CSP/DAP) */
  contract: boolean;
  /** an old terminated relationship sits next to the current one */
  oldTerminatedRelationship: boolean;
}

export interface CustomerProfile {
  index: number;
  tenantId: string;
  displayName: string;
  /** first label of the *.onmicrosoft.com domain */
  initialDomain: string;
  defaultDomain: string;
  domains: DomainRecord[];
  traits: CustomerTraits;
  createdDateTime: string;
  countryLetterCode: string;
}
