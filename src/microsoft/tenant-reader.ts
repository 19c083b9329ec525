// The tenant reader: one tenant's Microsoft data for a sync, through the Graph client's
// TenantGraph (paging, Retry-After, retries, pacing and token renewal all live there). Each
// method reads to the end or throws: a listing cut short is never returned as complete.
//
// Requests: the small reads of a run (organization, domains, subscribedSkus, reportSettings, the
// change feed's first page, a one-user signInActivity probe, Intune's first page) go out as one
// $batch (TenantGraph.firstPages, G:batch). Only a clean answer is taken from it; anything else
// (429 after the batch's own retries, 5xx, a second page where one was expected) is read again
// on its own path, which owns retries and the translation into a MicrosoftError. So the batch
// only ever saves requests, it changes no outcome.
//
// The run's signal stops the TenantGraph's requests and waits (they throw the signal's reason);
// a read cut short by it throws, so nothing half-read is ever taken for a complete listing.
import type { FirstPage, GraphCounters, TenantGraph } from './graph-client.ts';
import {
  domainsResource,
  groupMembersResource,
  managedDevicesResource,
  organizationResource,
  parseMailboxUsageCsv,
  parseReportSettings,
  subscribedSkusResource,
  usersDeltaResource,
  usersResource,
  usersWithSignInResource,
  userLicensesResource,
  USER_SELECT,
  type GraphDomain,
  type GraphManagedDevice,
  type GraphOrganization,
  type GraphResource,
  type GraphSubscribedSku,
  type GraphUser,
  type GraphUserChange,
  type GraphUserLicenses,
  type MailboxUsageRow,
} from './resources.ts';
import { isMicrosoftError } from './errors.ts';
import { parseActiveUserDetailCsv, parseEmailActivityCsv, type ActiveUserDetailRow, type EmailActivityRow } from './usage-reports.ts';
import { userRegistrationDetailsResource, type GraphUserRegistration } from './authentication-methods.ts';
import { groupsDeltaResource, type GraphGroupChange } from './groups-delta.ts';

export type { GraphCounters } from './graph-client.ts';
export type {
  GraphDomain,
  GraphManagedDevice,
  GraphSubscribedSku,
  GraphUser,
  GraphUserChange,
  GraphUserLicenses,
  MailboxUsageRow,
} from './resources.ts';

export interface FullUserListing {
  users: GraphUser[];
  /** The change feed's link to ask "what changed since this listing" next time. */
  deltaLink: string | null;
  /** signInActivity needs AuditLog.Read.All and Entra ID P1/P2; false: the dates are absent, not old. */
  signInActivityAvailable: boolean;
}

export interface UserChanges {
  /** Partial records: merge only the keys present onto what is staged. */
  changed: GraphUserChange[];
  removedIds: string[];
  deltaLink: string;
}

/** What one tenant run will read, known before it starts (see TenantSource.prepare). */
export interface TenantReadPlan {
  /** 'full': a full listing (starts a new change feed); otherwise the stored deltaLink. */
  users: 'full' | { deltaLink: string };
  /** The usage reports are due (admin/reportSettings is read first). */
  reports: boolean;
  /** Groups to read: a new round (null) or the changes since the stored deltaLink; absent: not this run. */
  groups?: { deltaLink: string | null };
}

/** A groups/delta round read to its end: group items (one per group, members merged) and removed groups. */
export interface GroupChanges {
  groups: GraphGroupChange[];
  removedIds: string[];
  deltaLink: string;
  /** A first round (no deltaLink): the complete list of groups and members. */
  complete: boolean;
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
  organization(): Promise<{ displayName: string | null; domains: GraphDomain[]; domainsFallback?: string }>;
  /** Every user (paged to the end), with signInActivity when the tenant allows it. */
  listUsers(): Promise<FullUserListing>;
  /** Changes since `deltaLink`; throws ResyncRequired (410) when the link expired. */
  userChanges(deltaLink: string): Promise<UserChanges>;
  /** admin/reportSettings: true = report user names are concealed (hashed). */
  reportNamesConcealed(): Promise<boolean>;
  mailboxUsage(): Promise<MailboxUsageRow[]>;
  /** reports/getOffice365ActiveUserDetail: last activity per service (src/sync/app-activity.ts). */
  activeUserDetail?(): Promise<ActiveUserDetailRow[]>;
  /** reports/getEmailActivityUserDetail: email counts per user. */
  emailActivity?(): Promise<EmailActivityRow[]>;
  managedDevices(): Promise<GraphManagedDevice[]>;
  subscribedSkus(): Promise<GraphSubscribedSku[]>;
  /** Every user's id and assignedLicenses (paged to the end): the on-demand licence refresh's read. */
  userLicenses?(): Promise<GraphUserLicenses[]>;
  /** Object ids of a group's members (transitive), for exclusions. */
  groupMemberIds(groupId: string): Promise<string[]>;
  /** Every user's MFA registration (userRegistrationDetails); optional: sources without it skip MFA. */
  userRegistrationDetails?(): Promise<GraphUserRegistration[]>;
  /** groups/delta from the start (null) or a stored deltaLink; optional: sources without it skip groups. */
  groupChanges?(deltaLink: string | null): Promise<GroupChanges>;
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) for (const item of page) all.push(item);
  return all;
}

/** /domains refused for want of Domain.Read.All / Directory.Read.All (403). */
function isDomainsRefusal(error: unknown): error is Error {
  return isMicrosoftError(error) && error.code === 'permission_missing' && error.details.httpStatus === 403;
}

/** The domains organization.verifiedDomains lists (all verified), when /domains is refused. */
function domainsFromOrganization(
  organization: GraphOrganization,
  refusal: Error,
): { displayName: string | null; domains: GraphDomain[]; domainsFallback: string } {
  return {
    displayName: organization.displayName ?? null,
    domains: organization.verifiedDomains.map((d) => ({ id: d.name, isVerified: true, isDefault: d.isDefault, isInitial: d.isInitial })),
    domainsFallback: refusal.message,
  };
}

/** The records of a batch answer that is the whole listing (one page), else undefined. */
const wholeListing = <T>(page: FirstPage<T> | undefined) => (page?.ok && page.nextLink === null ? page.items : undefined);
const errorOf = <T>(page: FirstPage<T> | undefined) => (page && !page.ok ? page.error : undefined);

/** A one-user probe: does the tenant let us read signInActivity (200) or not (403)? */
const signInProbeResource: GraphResource<unknown> = {
  name: 'users (sign-in activity probe)',
  path: '/users',
  select: ['id', 'signInActivity'],
  pageSize: 1,
  family: 'identity',
  parse: (raw) => ({ ok: true, value: raw }),
};
const reportSettingsResource: GraphResource<{ displayConcealedNames: boolean }> = {
  name: '/admin/reportSettings',
  path: '/admin/reportSettings',
  family: 'reports',
  parse: parseReportSettings,
};

export function createTenantReader(
  graph: TenantGraph,
  input: { counters: GraphCounters; graphBaseUrl: string; signal?: AbortSignal },
): TenantSource & { skipped: readonly string[] } {
  // "$deltatoken=latest" answers with no users and a fresh deltaLink (G:delta): the cheap way to
  // start a change feed after a full listing. Taken *before* the listing, so a change made while
  // we list shows up again in the next delta (harmless) instead of being lost.
  const latestDeltaLink = `${input.graphBaseUrl}/v1.0/users/delta?$select=${USER_SELECT.join(',')}&$deltatoken=latest`;

  // Answers the batch gave; each is used once, by the method that asks for it.
  const prepared: {
    organization?: { displayName: string | null; domains: GraphDomain[]; domainsFallback?: string } | { error: Error };
    skus?: GraphSubscribedSku[] | { error: Error };
    concealed?: boolean | { error: Error };
    /** The change feed's first page, for this link. */
    delta?: { link: string; page: FirstPage<GraphUserChange> & { ok: true } };
    /** signInActivity readable (the probe said 200) or not (403). */
    signIn?: boolean;
    /** The managed devices' first page (and where the rest is), or the error Intune answered. */
    devices?: { items: GraphManagedDevice[]; next: string | null } | { error: Error };
    /** The groups feed's first page, for this link (null: a new round). */
    groups?: { link: string | null; page: FirstPage<GraphGroupChange> & { ok: true } };
    /** MFA registration's first page (and where the rest is), or the error Graph answered. */
    mfa?: { items: GraphUserRegistration[]; next: string | null } | { error: Error };
  } = {};

  async function drainDelta(link: string): Promise<UserChanges> {
    const changed: GraphUserChange[] = [];
    const removedIds: string[] = [];
    let deltaLink: string | undefined;
    let next: string | null = link;
    const first = prepared.delta?.link === link ? prepared.delta.page : undefined;
    prepared.delta = undefined;
    // An odd first answer (neither a next page nor a deltaLink): read the feed on its own path.
    if (first && (first.nextLink || first.deltaLink)) {
      changed.push(...first.items);
      removedIds.push(...first.removedIds);
      deltaLink = first.deltaLink ?? undefined;
      next = first.nextLink;
    }
    if (next) {
      for await (const page of graph.delta(usersDeltaResource, next)) {
        changed.push(...page.items);
        removedIds.push(...page.removedIds);
        if (page.deltaLink) deltaLink = page.deltaLink;
      }
    }
    if (!deltaLink) throw new Error('users/delta ended without a deltaLink');
    return { changed, removedIds, deltaLink };
  }

  return {
    counters: input.counters,
    get skipped() {
      return graph.skipped;
    },
    async prepare(plan: TenantReadPlan) {
      const deltaLink = plan.users === 'full' ? latestDeltaLink : plan.users.deltaLink;
      let pages;
      try {
        pages = await graph.firstPages({
          organization: { resource: organizationResource },
          domains: { resource: domainsResource },
          skus: { resource: subscribedSkusResource },
          ...(plan.reports ? { reportSettings: { resource: reportSettingsResource, single: true } } : {}),
          delta: { resource: usersDeltaResource, link: deltaLink },
          // signInActivity needs AuditLog.Read.All and Entra ID P1/P2; one user tells whether the
          // listing can ask for it (pages of 500) or must go without (pages of 999).
          ...(plan.users === 'full' ? { signIn: { resource: signInProbeResource } } : {}),
          // Intune's first page (1,000 devices): most tenants need no other devices request.
          devices: { resource: managedDevicesResource },
          // Groups and members (issue 17): the change feed's first page.
          ...(plan.groups
            ? { groups: { resource: groupsDeltaResource, ...(plan.groups.deltaLink ? { link: plan.groups.deltaLink } : {}) } }
            : {}),
          // MFA registration is read with the reports (its first page; most tenants have one).
          ...(plan.reports ? { mfa: { resource: userRegistrationDetailsResource } } : {}),
        });
      } catch (error) {
        // Stopped (time budget, lease, Ctrl-C): nothing more is read.
        input.signal?.throwIfAborted();
        // The batch itself failed: every read takes its own path (and reports its own error).
        if (isMicrosoftError(error) && error.scope === 'partner') throw error;
        return;
      }
      const [organization] = wholeListing(pages.organization) ?? [];
      const domains = wholeListing(pages.domains);
      const organizationError = errorOf(pages.organization);
      const domainsError = errorOf(pages.domains);
      if (organizationError) prepared.organization = { error: organizationError };
      else if (organization && domainsError && isDomainsRefusal(domainsError)) {
        prepared.organization = domainsFromOrganization(organization, domainsError);
      } else if (domainsError) prepared.organization = { error: domainsError };
      else if (organization && domains) prepared.organization = { displayName: organization.displayName ?? null, domains };
      const skusError = errorOf(pages.skus);
      const skus = wholeListing(pages.skus);
      if (skusError) prepared.skus = { error: skusError };
      else if (skus) prepared.skus = skus;
      const reportSettings = pages.reportSettings;
      if (reportSettings && !reportSettings.ok) prepared.concealed = { error: reportSettings.error };
      else if (reportSettings?.ok) prepared.concealed = reportSettings.items[0]!.displayConcealedNames;
      if (pages.delta?.ok) prepared.delta = { link: deltaLink, page: pages.delta };
      const devices = pages.devices;
      if (devices && !devices.ok) prepared.devices = { error: devices.error };
      else if (devices?.ok) prepared.devices = { items: devices.items, next: devices.nextLink };
      if (pages.groups?.ok && plan.groups) prepared.groups = { link: plan.groups.deltaLink, page: pages.groups };
      const mfa = pages.mfa;
      if (mfa && !mfa.ok) prepared.mfa = { error: mfa.error };
      else if (mfa?.ok) prepared.mfa = { items: mfa.items, next: mfa.nextLink };
      const signIn = pages.signIn;
      if (signIn?.ok) prepared.signIn = true;
      else if (signIn && signIn.error.details.httpStatus === 403) prepared.signIn = false;
    },
    async organization() {
      const answer = prepared.organization;
      prepared.organization = undefined;
      if (answer && 'error' in answer) throw answer.error;
      if (answer) return answer;
      const [organization] = await collect(graph.listAll(organizationResource));
      try {
        const domains = await collect(graph.listAll(domainsResource));
        return { displayName: organization?.displayName ?? null, domains };
      } catch (error) {
        if (!organization || !isDomainsRefusal(error)) throw error;
        return domainsFromOrganization(organization, error);
      }
    },
    async listUsers(): Promise<FullUserListing> {
      const start = await drainDelta(latestDeltaLink);
      let users: GraphUser[];
      let signInActivityAvailable = prepared.signIn ?? true;
      prepared.signIn = undefined;
      const withoutSignIn = async () => {
        signInActivityAvailable = false;
        const all = await collect(graph.listAll(usersResource));
        for (const u of all) delete u.signInActivity;
        return all;
      };
      if (!signInActivityAvailable) users = await withoutSignIn();
      else {
        try {
          users = await collect(graph.listAll(usersWithSignInResource));
        } catch (error) {
          // signInActivity needs AuditLog.Read.All and Entra ID P1/P2; without them Graph says 403.
          // List without it and say the dates are unavailable (never show a wrong date).
          if (!isMicrosoftError(error) || error.code !== 'permission_missing') throw error;
          users = await withoutSignIn();
        }
      }
      return { users, deltaLink: start.deltaLink, signInActivityAvailable };
    },
    userChanges: (deltaLink) => drainDelta(deltaLink),
    async reportNamesConcealed() {
      const answer = prepared.concealed;
      prepared.concealed = undefined;
      if (typeof answer === 'object') throw answer.error;
      if (answer !== undefined) return answer;
      const settings = await graph.get('/admin/reportSettings', parseReportSettings);
      return settings.displayConcealedNames;
    },
    async mailboxUsage() {
      const csv = await graph.report('getMailboxUsageDetail', 'D7');
      return parseMailboxUsageCsv(csv).rows.filter((r) => !r.isDeleted);
    },
    // D180: the widest window, so a user active five months ago still has a date.
    activeUserDetail: async () => parseActiveUserDetailCsv(await graph.report('getOffice365ActiveUserDetail', 'D180')),
    emailActivity: async () => parseEmailActivityCsv(await graph.report('getEmailActivityUserDetail', 'D30')),
    async managedDevices() {
      const answer = prepared.devices;
      prepared.devices = undefined;
      if (!answer) return collect(graph.listAll(managedDevicesResource));
      if ('error' in answer) throw answer.error;
      const devices = [...answer.items];
      // TenantGraph.delta() follows any link page by page (listAll cannot start from a nextLink).
      if (answer.next) for await (const page of graph.delta(managedDevicesResource, answer.next)) devices.push(...page.items);
      return devices;
    },
    async subscribedSkus() {
      const answer = prepared.skus;
      prepared.skus = undefined;
      if (answer && 'error' in answer) throw answer.error;
      if (answer) return answer;
      return collect(graph.listAll(subscribedSkusResource));
    },
    userLicenses: () => collect(graph.listAll(userLicensesResource)),
    async groupMemberIds(groupId) {
      return (await collect(graph.listAll(groupMembersResource(groupId)))).map((m) => m.id);
    },
    async groupChanges(deltaLink) {
      const byId = new Map<string, GraphGroupChange>();
      const removedIds: string[] = [];
      let finalLink: string | undefined;
      const take = (items: GraphGroupChange[], removed: string[]) => {
        for (const item of items) {
          const known = byId.get(item.id);
          // A big group comes again on the next page with more members: merge them.
          byId.set(item.id, known ? { ...item, members: [...known.members, ...item.members] } : item);
        }
        removedIds.push(...removed);
      };
      const first = prepared.groups && prepared.groups.link === deltaLink ? prepared.groups.page : undefined;
      prepared.groups = undefined;
      let next: string | null = deltaLink;
      let fresh = deltaLink === null;
      // An odd first answer (neither a next page nor a deltaLink): read the feed on its own path.
      if (first && (first.nextLink || first.deltaLink)) {
        take(first.items, first.removedIds);
        finalLink = first.deltaLink ?? undefined;
        next = first.nextLink;
        fresh = false;
      }
      if (next || fresh) {
        for await (const page of graph.delta(groupsDeltaResource, next)) {
          take(page.items, page.removedIds);
          if (page.deltaLink) finalLink = page.deltaLink;
        }
      }
      if (!finalLink) throw new Error('groups/delta ended without a deltaLink');
      return { groups: [...byId.values()], removedIds, deltaLink: finalLink, complete: deltaLink === null };
    },
    async userRegistrationDetails() {
      const answer = prepared.mfa;
      prepared.mfa = undefined;
      if (!answer) return collect(graph.listAll(userRegistrationDetailsResource));
      if ('error' in answer) throw answer.error;
      const rows = [...answer.items];
      if (answer.next) for await (const page of graph.delta(userRegistrationDetailsResource, answer.next)) rows.push(...page.items);
      return rows;
    },
  };
}
