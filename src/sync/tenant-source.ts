// What a tenant sync needs from Microsoft, as one narrow interface. The production
// implementation (graph-source.ts) sits on the Microsoft client's TenantGraph (paging, retries,
// Retry-After, pacing, token renewal all live there); tests can hand records in directly.
// Every method either returns a complete answer or throws (a MicrosoftError, or the run's stop
// reason once its signal aborted): a partial listing is never returned as if it were whole.

/** Graph `user`, the properties docsync $selects. */
export interface MsUser {
  id: string;
  userPrincipalName: string;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  jobTitle?: string | null;
  mail?: string | null;
  businessPhones?: string[] | null;
  mobilePhone?: string | null;
  proxyAddresses?: string[] | null;
  otherMails?: string[] | null;
  userType?: string | null;
  accountEnabled?: boolean | null;
  createdDateTime?: string | null;
  lastPasswordChangeDateTime?: string | null;
  signInActivity?: {
    lastSignInDateTime?: string | null;
    lastNonInteractiveSignInDateTime?: string | null;
    lastSuccessfulSignInDateTime?: string | null;
  } | null;
  assignedLicenses?: Array<{ skuId: string; disabledPlans?: string[] }> | null;
}

/** Graph `managedDevice` (Intune). */
export interface MsManagedDevice {
  id: string;
  deviceName?: string | null;
  serialNumber?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  operatingSystem?: string | null;
  osVersion?: string | null;
  complianceState?: string | null;
  managedDeviceOwnerType?: string | null;
  userId?: string | null;
  userPrincipalName?: string | null;
  enrolledDateTime?: string | null;
  lastSyncDateTime?: string | null;
}

/** Graph `subscribedSku`. */
export interface MsSubscribedSku {
  skuId: string;
  skuPartNumber?: string | null;
  capabilityStatus?: string | null;
  appliesTo?: string | null;
  consumedUnits?: number | null;
  prepaidUnits?: { enabled?: number | null; suspended?: number | null; warning?: number | null; lockedOut?: number | null } | null;
}

/** One row of reports/getMailboxUsageDetail (CSV), typed. */
export interface MsMailboxUsage {
  userPrincipalName: string;
  displayName?: string | null;
  isDeleted?: boolean | null;
  lastActivityDate?: string | null;
  itemCount?: number | null;
  storageUsedBytes?: number | null;
  issueWarningQuotaBytes?: number | null;
  prohibitSendQuotaBytes?: number | null;
  prohibitSendReceiveQuotaBytes?: number | null;
  hasArchive?: boolean | null;
  /** Exchange's recipient type (SharedMailbox, RoomMailbox, EquipmentMailbox…): see microsoft/mailbox-kinds.ts. */
  recipientType?: string | null;
  reportRefreshDate?: string | null;
}

/** Graph `domain`: `id` is the domain name. */
export interface MsDomain {
  id: string;
  isVerified?: boolean | null;
  isInitial?: boolean | null;
  isDefault?: boolean | null;
}

export interface FullUserListing {
  users: MsUser[];
  /** The change feed's link to ask "what changed since this listing" next time. */
  deltaLink: string | null;
  /** signInActivity needs AuditLog.Read.All and Entra ID P1/P2; false: the dates are absent, not old. */
  signInActivityAvailable: boolean;
}

/** A users/delta item: `id` and only the properties Microsoft sent (absent = unchanged). */
export type MsUserChange = Partial<MsUser> & { id: string };

export interface UserChanges {
  /** Partial records: merge only the keys present onto what is staged. */
  changed: MsUserChange[];
  removedIds: string[];
  deltaLink: string;
}

export interface GraphCounters {
  graphRequests: number;
  throttled: number;
}

/** What one tenant run will read, known before it starts (see TenantSource.prepare). */
export interface TenantReadPlan {
  /** 'full': a full listing (starts a new change feed); otherwise the stored deltaLink. */
  users: 'full' | { deltaLink: string };
  /** The usage reports are due (admin/reportSettings is read first). */
  reports: boolean;
}

export interface TenantSource {
  readonly counters: GraphCounters;
  /**
   * Optional: fetch the small reads of this run ahead, together (Graph: one $batch for
   * organization, domains, subscribedSkus, reportSettings, the change feed's first page and the
   * signInActivity probe). The methods below then answer from it; anything the batch could not
   * answer cleanly is read on its own when asked, with that path's retries and errors.
   */
  prepare?(plan: TenantReadPlan): Promise<void>;
  /**
   * Name and domains. `domainsFallback`: /domains was refused (403: no Domain.Read.All or
   * Directory.Read.All), the domains are organization.verifiedDomains instead, and this says why.
   */
  organization(): Promise<{ displayName: string | null; domains: MsDomain[]; domainsFallback?: string }>;
  /** Every user (paged to the end), with signInActivity when the tenant allows it. */
  listUsers(): Promise<FullUserListing>;
  /** Changes since `deltaLink`; throws ResyncRequired (410) when the link expired. */
  userChanges(deltaLink: string): Promise<UserChanges>;
  /** admin/reportSettings: true = report user names are concealed (hashed). */
  reportNamesConcealed(): Promise<boolean>;
  mailboxUsage(): Promise<MsMailboxUsage[]>;
  managedDevices(): Promise<MsManagedDevice[]>;
  subscribedSkus(): Promise<MsSubscribedSku[]>;
  /** Object ids of a group's members (transitive), for exclusions. */
  groupMemberIds(groupId: string): Promise<string[]>;
}
