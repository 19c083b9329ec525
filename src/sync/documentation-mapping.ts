// The pure half of a tenant sync: Microsoft records → what docsync stages and documents. No I/O,
// no clock (the time comes in as an argument), so every rule here is a unit test away
// (test/unit/sync/documentation-mapping.test.ts): a user's contact fields, emails and overlay,
// a device's configuration, who is excluded and why, the decision rows that explain a match,
// and when the derived documentation expires by time alone (a user crossing the inactivity line).
import type { Tenant } from '../db/schema.ts';
import type { ContactDecision, ConfigurationDecision, OrganizationDecision } from '../matching/index.ts';
import { licenseDisplayName } from '../licensing/skus.ts';
import type { ContactFromMicrosoft } from '../stores/contacts.ts';
import type { ConfigurationFromMicrosoft } from '../stores/configurations.ts';
import type { StagedInput } from '../stores/staging.ts';
import type { DecisionInput } from '../stores/decisions.ts';
import type { SyncSettings } from './settings.ts';
import type {
  GraphDomain,
  MailboxUsageRow,
  GraphManagedDevice,
  GraphSubscribedSku,
  GraphUser,
  GraphUserChange,
} from '../microsoft/tenant-reader.ts';
import type { StagedUserActivity } from './app-activity.ts';
import type { ResourceMailboxKind } from '../microsoft/mailbox-kinds.ts';
import { assessInactivity, inactivityFlipsAt, serviceActivityOf, type Inactivity, type ReadableSources } from '../reports/inactivity.ts';

// ---- decision rows: what the sync stores to explain a match --------------------------------

export function organizationDecisionRow(tenant: Tenant, d: OrganizationDecision): DecisionInput {
  return {
    kind: 'organization',
    sourceId: tenant.microsoft_tenant_id,
    state: d.state,
    targetId: d.organizationId,
    rule: d.rule,
    suggestions: d.suggestions,
    candidates: [],
    reason:
      d.state === 'matched'
        ? `Matched by ${d.rule}.`
        : d.state === 'suggested'
          ? 'Suggestions wait for a technician.'
          : 'No organization resembles this tenant.',
  };
}

export function contactDecisionRow(d: ContactDecision): DecisionInput {
  return {
    kind: 'contact',
    sourceId: d.userId,
    state: d.decision,
    targetId: d.contactId,
    rule: d.rule,
    candidates: d.candidates,
    reason: d.reason,
  };
}

export function configurationDecisionRow(d: ConfigurationDecision): DecisionInput {
  return {
    kind: 'configuration',
    sourceId: d.deviceId,
    state: d.decision,
    targetId: d.configurationId,
    rule: d.rule,
    candidates: d.candidates,
    reason: null,
  };
}

const RESOURCE_MAILBOX_SENTENCE: Record<ResourceMailboxKind, string> = {
  shared: 'A shared mailbox',
  room: 'A room mailbox',
  equipment: 'An equipment mailbox',
};

export function exclusionReason(
  user: GraphUser,
  settings: SyncSettings,
  excludedByGroup: Set<string>,
  resource: ResourceMailboxKind | null = null,
): string | null {
  if (excludedByGroup.has(user.id)) return 'Member of a group this integration excludes.';
  if (resource && !settings.includeResourceMailboxes)
    return `${RESOURCE_MAILBOX_SENTENCE[resource]}; this integration does not document rooms, equipment and shared mailboxes as contacts.`;
  if (!settings.includeDisabled && user.accountEnabled === false)
    return 'Disabled account; this integration does not sync disabled accounts.';
  if (!settings.domains.includes('*')) {
    const domainsOf = [user.userPrincipalName, user.mail].filter((v): v is string => !!v).map((v) => v.split('@')[1]?.toLowerCase());
    if (!domainsOf.some((d) => d && settings.domains.includes(d))) return 'Outside the domains this integration syncs.';
  }
  // Guests are the engine's to skip (its rule also catches #EXT# UPNs without userType).
  return null;
}

// ---- records: staging shape and documentation shape --------------------------------------

/**
 * Merges delta items (partial: only the keys present changed) onto the staged users. A user with
 * no staged record and no user principal name cannot be documented from the item alone.
 */
export function mergeUserChanges(
  changes: GraphUserChange[],
  previous: Map<string, GraphUser>,
): { merged: GraphUser[]; incomplete: string[] } {
  // Delta may name a user more than once in one round (G:delta): each copy merges onto the last.
  const latest = new Map<string, Partial<GraphUser>>();
  for (const change of changes) latest.set(change.id, { ...(latest.get(change.id) ?? previous.get(change.id)), ...change });
  const merged: GraphUser[] = [];
  const incomplete: string[] = [];
  for (const [id, user] of latest) {
    if (typeof user.userPrincipalName !== 'string' || !user.userPrincipalName) incomplete.push(id);
    else merged.push(user as GraphUser);
  }
  return { merged, incomplete };
}

export function userRecord(user: GraphUser): StagedInput {
  return { key: user.id, data: { ...user } };
}

export function mailboxRecord(row: MailboxUsageRow): StagedInput {
  return { key: row.userPrincipalName.trim().toLowerCase(), data: { ...row } };
}

export function skuRecord(sku: GraphSubscribedSku): StagedInput {
  const enabled = sku.prepaidUnits?.enabled ?? 0;
  const consumed = sku.consumedUnits ?? 0;
  return {
    key: sku.skuId.toLowerCase(),
    data: { ...sku, displayName: licenseDisplayName(sku.skuId, sku.skuPartNumber), available: Math.max(0, enabled - consumed) },
  };
}

/** A domain with every flag said (unset = null): the form the documentation fingerprint hashes. */
export const toGraphDomain = (d: GraphDomain) => ({
  id: d.id,
  isVerified: d.isVerified ?? null,
  isInitial: d.isInitial ?? null,
  isDefault: d.isDefault ?? null,
});

export function splitDisplayName(user: GraphUser): { first: string | null; last: string | null } {
  if (user.givenName || user.surname) return { first: user.givenName ?? null, last: user.surname ?? null };
  const parts = (user.displayName ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { first: null, last: null };
  if (parts.length === 1) return { first: parts[0]!, last: null };
  return { first: parts.slice(0, -1).join(' '), last: parts.at(-1)! };
}

const dateOnly = (value: string | null | undefined) => (value && !value.startsWith('0001-01-01') ? value : null);

/** Prefer the last *successful* sign-in (interactive attempts include failures). */
export const lastSignInOf = (user: GraphUser) => {
  const activity = user.signInActivity ?? null;
  return (
    dateOnly(activity?.lastSuccessfulSignInDateTime) ??
    dateOnly(activity?.lastSignInDateTime) ??
    dateOnly(activity?.lastNonInteractiveSignInDateTime)
  );
};

/** What the inactivity of a tenant's users is judged from (src/reports/inactivity.ts). */
export interface InactivityContext {
  readable: ReadableSources;
  activity: Map<string, StagedUserActivity>;
  mailboxes: Map<string, MailboxUsageRow>;
  checkIns: Map<string, Array<{ name: string; at: string | null }>>;
  now: Date;
  inactiveDays: number;
}

/** Each user's Intune devices and their last check-in: evidence that the user is active. */
export function deviceCheckInsByUser(devices: GraphManagedDevice[]): Map<string, Array<{ name: string; at: string | null }>> {
  const byUser = new Map<string, Array<{ name: string; at: string | null }>>();
  for (const d of devices) {
    if (!d.userId) continue;
    const list = byUser.get(d.userId) ?? [];
    list.push({ name: d.deviceName ?? d.id, at: d.lastSyncDateTime ?? null });
    byUser.set(d.userId, list);
  }
  return byUser;
}

function inactivityOf(user: GraphUser, context: InactivityContext): Inactivity {
  const key = user.userPrincipalName.trim().toLowerCase();
  return assessInactivity(
    {
      accountEnabled: user.accountEnabled,
      createdDateTime: user.createdDateTime,
      signInActivity: user.signInActivity,
      serviceActivity: serviceActivityOf(context.activity.get(key), context.mailboxes.get(key)?.lastActivityDate),
      deviceCheckIns: context.checkIns.get(user.id),
    },
    context.readable,
    context.now,
    context.inactiveDays,
  );
}

/**
 * The first moment a user's inactivity state flips by time alone (nothing seen for inactiveDays):
 * the documentation derived now is valid until then. Null: no state changes with time.
 */
export function inactivityChangesAt(users: GraphUser[], context: InactivityContext): Date | null {
  let earliest: number | null = null;
  for (const user of users) {
    const at = inactivityFlipsAt(inactivityOf(user, context), user.createdDateTime)?.getTime();
    if (at !== undefined && Number.isFinite(at) && at > context.now.getTime() && (earliest === null || at < earliest)) earliest = at;
  }
  return earliest === null ? null : new Date(earliest);
}

export function contactFromUser(
  user: GraphUser,
  context: InactivityContext & { skuNames: Map<string, string | undefined> },
): ContactFromMicrosoft {
  const { first, last } = splitDisplayName(user);
  const primary = user.mail?.trim() || user.userPrincipalName;
  const aliases = (user.proxyAddresses ?? []).filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5));
  const mailbox = context.mailboxes.get(user.userPrincipalName.trim().toLowerCase());
  const lastSignInAt = lastSignInOf(user);
  const inactivity = inactivityOf(user, context);
  const activity = context.activity.get(user.userPrincipalName.trim().toLowerCase());
  const licenses = (user.assignedLicenses ?? []).map((l) => ({
    skuId: l.skuId,
    name: context.skuNames.get(l.skuId.toLowerCase()) ?? licenseDisplayName(l.skuId),
  }));
  return {
    microsoftUserId: user.id,
    firstName: first,
    lastName: last,
    title: user.jobTitle ?? null,
    phone: user.businessPhones?.[0] ?? user.mobilePhone ?? null,
    emails: [primary, ...aliases, ...(user.otherMails ?? [])],
    overlay: {
      userPrincipalName: user.userPrincipalName,
      displayName: user.displayName ?? null,
      userType: user.userType ?? null,
      accountEnabled: user.accountEnabled ?? null,
      createdAt: dateOnly(user.createdDateTime),
      lastPasswordChangeAt: dateOnly(user.lastPasswordChangeDateTime),
      signInActivityAvailable: context.readable.signIn,
      lastSignInAt,
      // Kept for readers of the boolean: true only for "inactive"; disabled and unknown are null.
      inactive: inactivity.state === 'inactive' ? true : inactivity.state === 'active' ? false : null,
      inactivity,
      appActivity: activity ? { lastActivity: activity.lastActivity, email: activity.email } : null,
      licenses,
      mailbox: mailbox
        ? {
            storageUsedBytes: mailbox.storageUsedBytes ?? null,
            itemCount: mailbox.itemCount ?? null,
            quotaBytes: mailbox.prohibitSendReceiveQuotaBytes ?? null,
            lastActivityDate: mailbox.lastActivityDate ?? null,
            hasArchive: mailbox.hasArchive ?? null,
            reportRefreshDate: mailbox.reportRefreshDate ?? null,
          }
        : null,
    },
  };
}

const dateOrNull = (value: string | null | undefined) => {
  const v = dateOnly(value);
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};

export function configurationFromDevice(device: GraphManagedDevice, contactId: string | null): ConfigurationFromMicrosoft {
  return {
    intuneDeviceId: device.id,
    name: device.deviceName?.trim() || device.serialNumber?.trim() || `Intune device ${device.id}`,
    serialNumber: device.serialNumber?.trim() || null,
    manufacturer: device.manufacturer ?? null,
    model: device.model ?? null,
    operatingSystem: device.operatingSystem ?? null,
    osVersion: device.osVersion ?? null,
    complianceState: device.complianceState ?? null,
    ownerType: device.managedDeviceOwnerType ?? null,
    enrolledAt: dateOrNull(device.enrolledDateTime),
    lastCheckInAt: dateOrNull(device.lastSyncDateTime),
    contactId,
  };
}
