// What one tenant holds, for the technician: users with their contact decision and Microsoft
// overlay, Intune devices with their configuration, and licenses. Reads the staged Microsoft
// records (ms_*), the decisions and the documentation; writes only technician decisions.
import type { Kysely } from 'kysely';
import { DAY_MS, type Clock } from '../../time.ts';
import type { Database } from '../../db/schema.ts';
import { BadInput, NotFound } from '../../errors.ts';
import { isFreeLicense, licenseDisplayName } from '../../licensing/skus.ts';
import { decide, matchedOrganizationOfTenant, undoLatest, type DecisionSnapshot } from '../../stores/decisions.ts';
import type { ActionContext } from './tenant-matches.ts';
import {
  selectTenantDevices,
  selectTenantUsers,
  type ComplianceState,
  type DeviceSort,
  type Paging,
  type UserListFilter,
  type UserSort,
} from '../../stores/tenant-lists.ts';
import type { SortOrder } from '../../stores/keyset.ts';
import { currentSubscribedSkus, getTenant } from '../../stores/tenants.ts';
import {
  contactDecisionOfUser,
  contactWithOrganization,
  devicesOfUser,
  disabledLicensedUsersOfTenant,
  mailboxOfUserPrincipalName,
  organizationContactIds,
  overlayOfContactLinkedTo,
  stagedUserOfTenant,
  tenantHasUser,
} from '../../stores/tenant-contents.ts';
import { inactivityOfTenantUsers, type Inactivity } from '../../reports/inactivity.ts';
import { inactiveDaysOfTenant, loadTenantActivityData } from '../../stores/activity.ts';
import type { StagedUserActivity } from '../../sync/app-activity.ts';
import {
  candidateContactDetails,
  otherHoldersOfContact,
  resourceMailboxKinds,
  type CandidateContactDetail,
} from '../../stores/review-details.ts';
import { resourceKindOf, type ResourceMailboxKind } from '../../microsoft/mailbox-kinds.ts';
import { ContactHeldByAnotherUser } from '../../errors.ts';

type Db = Kysely<Database>;

export type ContactDecisionState = 'match' | 'create' | 'review' | 'skip' | 'pending' | 'excluded';

export interface Overlay {
  userPrincipalName: string | null;
  displayName: string | null;
  userType: string | null;
  accountEnabled: boolean | null;
  lastPasswordChangeAt: string | null;
  signInActivityAvailable: boolean;
  lastSignInAt: string | null;
  inactive: boolean | null;
  /** Inactivity with its evidence (src/reports/inactivity.ts); null until computed from the staged data. */
  inactivity: Inactivity | null;
  /** Last activity per service and email counts from the usage reports; null: not in the reports. */
  appActivity: { lastActivity: Record<string, string | null> | null; email: StagedUserActivity['email'] } | null;
  licenses: Array<{ skuId: string; name: string }>;
  mailbox: {
    storageUsedBytes: number | null;
    itemCount: number | null;
    quotaBytes: number | null;
    lastActivityDate: string | null;
    hasArchive: boolean | null;
  } | null;
  devices: Array<{
    id: string;
    name: string;
    operatingSystem: string | null;
    complianceState: string | null;
    lastCheckInAt: string | null;
  }>;
}

export type CandidateContact = CandidateContactDetail;

export interface UserRow {
  userId: string;
  displayName: string;
  userPrincipalName: string | null;
  mail: string | null;
  accountEnabled: boolean | null;
  department: string | null;
  jobTitle: string | null;
  decision: ContactDecisionState;
  rule: string | null;
  reason: string | null;
  decidedByTechnician: boolean;
  contact: CandidateContact | null;
  candidates: CandidateContact[];
  removedFromMicrosoft: boolean;
  /** A room, equipment or shared mailbox (the mailbox report's recipient type); null for a person or unknown. */
  mailboxKind: ResourceMailboxKind | null;
}

const unsetDate = (v: unknown): string | null => (typeof v === 'string' && v !== '' && !v.startsWith('0001-01-01') ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null;

export interface UserListQuery extends UserListFilter {
  /** Users whose inactivity (src/reports/inactivity.ts, the one definition) is this state. */
  activity?: 'active' | 'inactive';
  sort?: UserSort;
  order?: SortOrder;
}

export interface ListPage<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
  prevCursor: string | null;
}

/** What the activity filter is judged against: the clock and the installation's inactive days. */
export interface ListContext {
  now: Date;
  inactiveDays: number;
}

export async function listTenantUsers(
  db: Db,
  tenantId: string,
  filter: UserListQuery & Paging,
  context?: ListContext,
): Promise<ListPage<UserRow> & { counts: Record<string, number> }> {
  await getTenant(db, tenantId);
  const { activity, sort = 'name', order = 'asc', page, pageSize, cursor, ...rest } = filter;
  let userIds: string[] | undefined;
  if (activity) {
    if (!context) throw new Error('listTenantUsers: the activity filter needs the clock and inactive days');
    const days = await inactiveDaysOfTenant(db, tenantId, context.inactiveDays);
    const inactivity = inactivityOfTenantUsers(await loadTenantActivityData(db, tenantId), context.now, days);
    userIds = [...inactivity].filter(([, i]) => i.state === activity).map(([id]) => id);
  }
  const { rows, total, counts, nextCursor, prevCursor } = await selectTenantUsers(
    db,
    tenantId,
    { ...rest, userIds },
    { field: sort, order },
    { page, pageSize, cursor },
  );
  const contactIds = new Set<string>();
  for (const r of rows) {
    if (r.target_id) contactIds.add(r.target_id);
    for (const c of Array.isArray(r.candidates) ? r.candidates : []) if (typeof c === 'string') contactIds.add(c);
  }
  const contacts = await contactsById(db, [...contactIds]);
  const mailboxKinds = await resourceMailboxKinds(
    db,
    tenantId,
    rows.map((r) => str((r.data as Record<string, unknown> | null)?.userPrincipalName) ?? ''),
  );
  const items = rows.map((r): UserRow => {
    const data = (r.data ?? {}) as Record<string, unknown>;
    return {
      mailboxKind: mailboxKinds.get((str(data.userPrincipalName) ?? '').toLowerCase()) ?? null,
      userId: r.user_id,
      displayName: str(data.displayName) ?? str(data.userPrincipalName) ?? r.user_id,
      userPrincipalName: str(data.userPrincipalName),
      mail: str(data.mail),
      accountEnabled: typeof data.accountEnabled === 'boolean' ? data.accountEnabled : null,
      department: str(data.department),
      jobTitle: str(data.jobTitle),
      decision: (r.state ?? 'pending') as ContactDecisionState,
      rule: r.rule ?? null,
      reason: r.reason ?? null,
      decidedByTechnician: r.decided_by_technician ?? false,
      contact: r.target_id ? (contacts.get(r.target_id) ?? null) : null,
      candidates: (Array.isArray(r.candidates) ? r.candidates : [])
        .map((id) => contacts.get(String(id)))
        .filter((c): c is CandidateContact => !!c),
      removedFromMicrosoft: r.removed_at !== null,
    };
  });
  return { items, total, counts, nextCursor, prevCursor };
}

async function contactsById(db: Db, ids: string[]): Promise<Map<string, CandidateContact>> {
  return candidateContactDetails(db, ids);
}

/** One user with the Microsoft overlay: the synced contact's overlay when there is one, else built from the staged records. */
export async function tenantUserDetail(
  db: Db,
  clock: Clock,
  inactiveDays: number,
  tenantId: string,
  userId: string,
): Promise<UserRow & { overlay: Overlay }> {
  await getTenant(db, tenantId);
  const user = await stagedUserOfTenant(db, tenantId, userId);
  if (!user) throw new NotFound('No such user in this tenant.');
  const decision = await contactDecisionOfUser(db, tenantId, userId);
  const data = (user.data ?? {}) as Record<string, unknown>;
  const ids = [decision?.target_id, ...(Array.isArray(decision?.candidates) ? decision!.candidates : [])].filter(
    (x): x is string => typeof x === 'string',
  );
  const contacts = await contactsById(db, ids);
  // The contact's stored overlay describes the user the sync last linked it to: after a technician
  // changes the match, that is another user until the next sync, so it is only used when it is this one's.
  const contactRow = decision?.target_id ? await overlayOfContactLinkedTo(db, decision.target_id, userId) : undefined;
  const upn = str(data.userPrincipalName);
  const mailbox = upn ? await mailboxOfUserPrincipalName(db, tenantId, upn) : undefined;
  const devices = await devicesOfUser(db, tenantId, userId);
  const overlay = buildOverlay(
    data,
    (mailbox?.data ?? null) as Record<string, unknown> | null,
    contactRow?.microsoft_overlay as Record<string, unknown> | null | undefined,
  );
  const days = await inactiveDaysOfTenant(db, tenantId, inactiveDays);
  const activityData = await loadTenantActivityData(db, tenantId, [userId]);
  overlay.inactivity = inactivityOfTenantUsers(activityData, clock.now(), days).get(userId) ?? null;
  overlay.inactive = overlay.inactivity ? stateAsFlag(overlay.inactivity) : overlay.inactive;
  const activity = upn ? activityData.activity.get(upn.trim().toLowerCase()) : undefined;
  overlay.appActivity = activity ? { lastActivity: activity.lastActivity, email: activity.email } : null;
  overlay.devices = devices.map((d) => {
    const dd = (d.data ?? {}) as Record<string, unknown>;
    return {
      id: d.device_id,
      name: str(dd.deviceName) ?? d.device_id,
      operatingSystem: [str(dd.operatingSystem), str(dd.osVersion)].filter(Boolean).join(' ') || null,
      complianceState: str(dd.complianceState),
      lastCheckInAt: unsetDate(dd.lastSyncDateTime),
    };
  });
  return {
    userId,
    displayName: str(data.displayName) ?? upn ?? userId,
    userPrincipalName: upn,
    mail: str(data.mail),
    accountEnabled: typeof data.accountEnabled === 'boolean' ? data.accountEnabled : null,
    department: str(data.department),
    jobTitle: str(data.jobTitle),
    decision: (decision?.state ?? 'pending') as ContactDecisionState,
    rule: decision?.rule ?? null,
    reason: decision?.reason ?? null,
    decidedByTechnician: decision?.decided_by_technician ?? false,
    contact: decision?.target_id ? (contacts.get(decision.target_id) ?? null) : null,
    candidates: (Array.isArray(decision?.candidates) ? decision!.candidates : [])
      .map((id) => contacts.get(String(id)))
      .filter((c): c is CandidateContact => !!c),
    removedFromMicrosoft: user.removed_at !== null,
    mailboxKind: resourceKindOf((mailbox?.data as Record<string, unknown> | undefined)?.recipientType),
    overlay,
  };
}

/** The old boolean, for API readers: true only for "inactive"; disabled and unknown are null. */
export const stateAsFlag = (i: Inactivity): boolean | null => (i.state === 'inactive' ? true : i.state === 'active' ? false : null);

export function buildOverlay(
  user: Record<string, unknown>,
  mailbox: Record<string, unknown> | null,
  synced: Record<string, unknown> | null | undefined,
): Overlay {
  const activity = (user.signInActivity ?? null) as Record<string, unknown> | null;
  const lastSignInAt =
    unsetDate(activity?.lastSuccessfulSignInDateTime) ??
    unsetDate(activity?.lastSignInDateTime) ??
    unsetDate(activity?.lastNonInteractiveSignInDateTime);
  const signInActivityAvailable = typeof synced?.signInActivityAvailable === 'boolean' ? synced.signInActivityAvailable : activity !== null;
  const inactive: boolean | null = typeof synced?.inactive === 'boolean' ? synced.inactive : null;
  const licenses = (Array.isArray(user.assignedLicenses) ? user.assignedLicenses : [])
    .map((l) => str((l as Record<string, unknown>)?.skuId))
    .filter((s): s is string => !!s)
    .map((skuId) => ({ skuId, name: licenseDisplayName(skuId) }));
  return {
    userPrincipalName: str(user.userPrincipalName),
    displayName: str(user.displayName),
    userType: str(user.userType),
    accountEnabled: typeof user.accountEnabled === 'boolean' ? user.accountEnabled : null,
    lastPasswordChangeAt: unsetDate(user.lastPasswordChangeDateTime),
    signInActivityAvailable,
    lastSignInAt: str(synced?.lastSignInAt) ?? lastSignInAt,
    inactive,
    inactivity: null,
    appActivity: null,
    licenses,
    mailbox: mailbox
      ? {
          storageUsedBytes: num(mailbox.storageUsedInBytes ?? mailbox.storageUsedBytes),
          itemCount: num(mailbox.itemCount),
          quotaBytes: num(mailbox.prohibitSendReceiveQuotaInBytes ?? mailbox.prohibitSendReceiveQuotaBytes),
          lastActivityDate: unsetDate(mailbox.lastActivityDate),
          hasArchive: typeof mailbox.hasArchive === 'boolean' ? mailbox.hasArchive : null,
        }
      : synced?.mailbox && typeof synced.mailbox === 'object'
        ? (synced.mailbox as Overlay['mailbox'])
        : null,
    devices: [],
  };
}

export type ContactAction =
  { action: 'match'; contactId: string; confirm?: boolean } | { action: 'create' } | { action: 'exclude' } | { action: 'undo' };

/** Resolve a review, change a match, create a new contact, exclude a user, or undo. */
export async function decideContact(
  deps: { db: Db; clock: Clock },
  tenantId: string,
  userId: string,
  change: ContactAction,
  context: ActionContext,
): Promise<DecisionSnapshot | null> {
  const tenant = await getTenant(deps.db, tenantId);
  if (!(await tenantHasUser(deps.db, tenant.id, userId))) throw new NotFound('No such user in this tenant.');
  const key = { kind: 'contact' as const, tenantId: tenant.id, sourceId: userId };
  const at = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    if (change.action === 'undo') return undoLatest(trx, key, { ...context, at });
    if (change.action === 'match') {
      const organizationId = await matchedOrganizationOfTenant(trx, tenant.id);
      if (!organizationId) throw new BadInput('Match this tenant to an organization first: contacts are chosen inside the organization.');
      const contact = await contactWithOrganization(trx, change.contactId);
      if (!contact) throw new NotFound('No such contact.');
      if (contact.organization_id !== organizationId)
        throw new BadInput("That contact belongs to another organization; choose one of this tenant's organization.");
      if (!change.confirm) {
        const holders = await otherHoldersOfContact(trx, contact.id, { tenantId: tenant.id, userId });
        if (holders.length > 0) {
          const names = holders.map((h) => (h.userPrincipalName ? `${h.displayName} (${h.userPrincipalName})` : h.displayName));
          throw new ContactHeldByAnotherUser(
            `That contact already belongs to ${names.join(', ')}: matching it here documents two people as one.`,
            'Choose another contact, or confirm to give it to this user as well (send "confirm": true).',
          );
        }
      }
      return decide(
        trx,
        key,
        { state: 'match', targetId: contact.id, reason: 'Contact chosen by a technician.' },
        { ...context, action: 'contact_decision.match', at },
      );
    }
    if (change.action === 'create')
      return decide(
        trx,
        key,
        { state: 'create', targetId: null, reason: 'A technician asked for a new contact.' },
        { ...context, action: 'contact_decision.create', at },
      );
    return decide(
      trx,
      key,
      { state: 'excluded', targetId: null, reason: 'Excluded by a technician.' },
      { ...context, action: 'contact_decision.exclude', at },
    );
  });
}

/** Contacts of the tenant's matched organization, for "change match" type-ahead. */
export async function organizationContacts(db: Db, tenantId: string, search: string, limit: number): Promise<CandidateContact[]> {
  const organizationId = await matchedOrganizationOfTenant(db, tenantId);
  if (!organizationId) return [];
  const ids = await organizationContactIds(db, organizationId, search, limit);
  const byId = await contactsById(db, ids);
  return ids.map((id) => byId.get(id)!).filter(Boolean);
}

export interface DeviceRow {
  deviceId: string;
  name: string;
  serialNumber: string | null;
  operatingSystem: string | null;
  complianceState: string | null;
  lastCheckInAt: string | null;
  decision: string;
  rule: string | null;
  configuration: { id: string; name: string } | null;
  relatedContact: { id: string; name: string } | null;
  primaryUser: string | null;
}

export interface DeviceListQuery {
  search?: string;
  compliance?: ComplianceState;
  os?: string;
  /** stale: no check-in for staleDays (default 30) days, or never; recent: a check-in within them. */
  checkIn?: 'stale' | 'recent';
  staleDays?: number;
  sort?: DeviceSort;
  order?: SortOrder;
}

export const DEFAULT_STALE_DAYS = 30;

export async function listTenantDevices(
  db: Db,
  tenantId: string,
  filter: DeviceListQuery & Paging,
  context?: Pick<ListContext, 'now'>,
): Promise<ListPage<DeviceRow>> {
  await getTenant(db, tenantId);
  const { checkIn, staleDays = DEFAULT_STALE_DAYS, sort = 'name', order = 'asc', page, pageSize, cursor, ...rest } = filter;
  let threshold: string | undefined;
  if (checkIn) {
    if (!context) throw new Error('listTenantDevices: the check-in filter needs the clock');
    threshold = new Date(context.now.getTime() - staleDays * DAY_MS).toISOString();
  }
  const { rows, total, nextCursor, prevCursor } = await selectTenantDevices(
    db,
    tenantId,
    { ...rest, checkedInBefore: checkIn === 'stale' ? threshold : undefined, checkedInSince: checkIn === 'recent' ? threshold : undefined },
    { field: sort, order },
    { page, pageSize, cursor },
  );
  return {
    total,
    nextCursor,
    prevCursor,
    items: rows.map((r) => {
      const data = (r.data ?? {}) as Record<string, unknown>;
      return {
        deviceId: r.device_id,
        name: str(data.deviceName) ?? r.device_id,
        serialNumber: str(data.serialNumber),
        operatingSystem: [str(data.operatingSystem), str(data.osVersion)].filter(Boolean).join(' ') || null,
        complianceState: str(data.complianceState),
        lastCheckInAt: unsetDate(data.lastSyncDateTime),
        decision: r.state ?? 'pending',
        rule: r.rule ?? null,
        configuration: r.configuration_id ? { id: r.configuration_id, name: r.configuration_name ?? '' } : null,
        relatedContact: r.contact_id
          ? { id: r.contact_id, name: [r.first_name, r.last_name].filter(Boolean).join(' ') || '(no name)' }
          : null,
        primaryUser: str(data.userPrincipalName) ?? str(data.userDisplayName),
      };
    }),
  };
}

export interface LicenseSummary {
  skus: Array<{
    skuId: string;
    partNumber: string | null;
    name: string;
    capabilityStatus: string | null;
    total: number;
    assigned: number;
    available: number;
    suspended: number;
    warning: number;
    free: boolean;
  }>;
  /** Paid licenses only: free and trial SKUs (thousands of "bought" units of Power Automate Free) are no cost. */
  totals: { total: number; assigned: number; available: number };
  inactiveLicensedUsers: Array<{
    userId: string;
    displayName: string;
    userPrincipalName: string | null;
    lastSignInAt: string | null;
    /** The latest evidence of use from any source, and what it was. */
    lastSeenAt: string | null;
    lastSeenBy: string | null;
    licenses: string[];
  }>;
  /** Disabled accounts that still hold licenses (paid for, usable by nobody). */
  disabledLicensedUsers: Array<{ userId: string; displayName: string; userPrincipalName: string | null; licenses: string[] }>;
  signInActivityAvailable: boolean;
  inactiveDays: number;
}

/**
 * Licenses per tenant: subscribedSku prepaidUnits.enabled = bought (total), consumedUnits =
 * assigned, the difference = unused (https://learn.microsoft.com/graph/api/resources/subscribedsku).
 */
// Free and trial SKUs are no cost; the rule lives with the licence catalogue (src/licensing/skus.ts).
export async function tenantLicenses(db: Db, clock: Clock, inactiveDays: number, tenantId: string): Promise<LicenseSummary> {
  await getTenant(db, tenantId);
  const rows = await currentSubscribedSkus(db, tenantId);
  const skus = rows
    .map((r) => {
      const data = (r.data ?? {}) as Record<string, unknown>;
      const prepaid = (data.prepaidUnits ?? {}) as Record<string, unknown>;
      const total = num(prepaid.enabled) ?? 0;
      const assigned = num(data.consumedUnits) ?? 0;
      const partNumber = str(data.skuPartNumber);
      const name = licenseDisplayName(r.sku_id, partNumber);
      return {
        skuId: r.sku_id,
        partNumber,
        name,
        capabilityStatus: str(data.capabilityStatus),
        total,
        assigned,
        available: Math.max(0, total - assigned),
        suspended: num(prepaid.suspended) ?? 0,
        warning: num(prepaid.warning) ?? 0,
        free: isFreeLicense(name, partNumber),
      };
    })
    .sort((a, b) => Number(a.free) - Number(b.free) || b.total - a.total || a.name.localeCompare(b.name));
  const totals = skus
    .filter((s) => !s.free)
    .reduce((t, s) => ({ total: t.total + s.total, assigned: t.assigned + s.assigned, available: t.available + s.available }), {
      total: 0,
      assigned: 0,
      available: 0,
    });

  const now = clock.now();
  const days = await inactiveDaysOfTenant(db, tenantId, inactiveDays);
  const activityData = await loadTenantActivityData(db, tenantId);
  const signInActivityAvailable = activityData.readable.signIn;
  const inactivity = inactivityOfTenantUsers(activityData, now, days);
  const inactiveLicensedUsers = activityData.users
    .filter((u) => u.skuIds.length > 0 && inactivity.get(u.userId)?.state === 'inactive')
    .slice(0, 5000)
    .map((u) => ({
      userId: u.userId,
      displayName: u.displayName ?? u.userId,
      userPrincipalName: u.userPrincipalName,
      lastSignInAt: buildOverlay({ signInActivity: u.signInActivity }, null, null).lastSignInAt,
      lastSeenAt: inactivity.get(u.userId)?.lastSeen?.at ?? null,
      lastSeenBy: inactivity.get(u.userId)?.lastSeen?.label ?? null,
      licenses: u.skuIds.map((id) => licenseDisplayName(id)),
    }))
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
  const disabled = await disabledLicensedUsersOfTenant(db, tenantId);
  const disabledLicensedUsers = disabled.map((u) => {
    const data = (u.data ?? {}) as Record<string, unknown>;
    return {
      userId: u.user_id,
      displayName: str(data.displayName) ?? u.user_id,
      userPrincipalName: str(data.userPrincipalName),
      licenses: buildOverlay(data, null, null).licenses.map((l) => l.name),
    };
  });
  return { skus, totals, inactiveLicensedUsers, disabledLicensedUsers, signInActivityAvailable, inactiveDays: days };
}
