// The production TenantSource: one tenant's Microsoft data through the Microsoft client's
// TenantGraph (paging, Retry-After, retries, pacing and token renewal all live there). Each
// method reads to the end or throws: a listing cut short is never returned as complete.
//
// Requests: the small reads of a run (organization, domains, subscribedSkus, reportSettings, the
// change feed's first page, a one-user signInActivity probe) go out as one $batch (G:batch: ≤ 20
// GETs, each inner request throttled and answered on its own). Only a clean answer (200, one
// page) is taken from the batch; any other inner answer — 403, 410, 429 after the batch's own
// retries, 5xx, a second page — is read again on its own path, which owns retries and the
// translation into a MicrosoftError. So the batch only ever saves requests, it changes no outcome.
//
// The run's signal stops the TenantGraph's requests and waits (they throw the signal's reason);
// a read cut short by it throws, so nothing half-read is ever taken for a complete listing.
import { GraphError } from '@microsoft/microsoft-graph-client';
import { isIntuneForbidden, translateGraphError, type BatchResponse, type TenantGraph } from '../microsoft/graph-client.ts';
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
  USER_SELECT,
  type GraphOrganization,
  type GraphResource,
} from '../microsoft/resources.ts';
import { isMicrosoftError } from '../microsoft/errors.ts';
import { parseActiveUserDetailCsv, parseEmailActivityCsv } from '../microsoft/usage-reports.ts';
import type {
  FullUserListing,
  GraphCounters,
  MsDomain,
  MsManagedDevice,
  MsSubscribedSku,
  MsUser,
  MsUserChange,
  TenantReadPlan,
  TenantSource,
  UserChanges,
} from './tenant-source.ts';

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) for (const item of page) all.push(item);
  return all;
}

const LATEST = '$deltatoken=latest';

/** A resource's first request as a $batch url (relative to the version root). */
function batchUrl(resource: GraphResource<unknown>, extra: string[] = []): string {
  const query = [
    ...(resource.select?.length ? [`$select=${resource.select.join(',')}`] : []),
    ...(resource.pageSize ? [`$top=${resource.pageSize}`] : []),
    ...extra,
  ];
  return query.length ? `${resource.path}?${query.join('&')}` : resource.path;
}

/** The items of a clean one-page answer, parsed; undefined when the answer is anything else. */
function onePage<T>(
  response: BatchResponse | undefined,
  parse: (raw: unknown) => { ok: true; value: T } | { ok: false; reason: string },
  skipped: string[],
): T[] | undefined {
  if (!response || response.status !== 200 || !response.body || typeof response.body !== 'object') return undefined;
  const body = response.body as { value?: unknown; '@odata.nextLink'?: unknown };
  if (!Array.isArray(body.value) || body['@odata.nextLink']) return undefined;
  const items: T[] = [];
  for (const raw of body.value) {
    const parsed = parse(raw);
    if (parsed.ok) items.push(parsed.value);
    else skipped.push(parsed.reason);
  }
  return items;
}

/**
 * An inner answer Graph will give again if asked again (400 "no Intune", 403, 404): the error it
 * stands for, translated like a direct request's. Anything that may pass (429, 5xx) is undefined.
 */
function finalError(response: BatchResponse | undefined, tenantId: string, what: string) {
  const body = (response?.body ?? {}) as { error?: { code?: string; message?: string } };
  const intuneRefusal = response !== undefined && isIntuneForbidden(response.status, body.error?.code, body.error?.message);
  if (!response || (![400, 403, 404].includes(response.status) && !intuneRefusal)) return undefined;
  const error = new GraphError(response.status, body.error?.message ?? `HTTP ${response.status}`);
  error.code = body.error?.code ?? null;
  return translateGraphError(error, tenantId, what);
}

/** /domains refused for want of Domain.Read.All / Directory.Read.All (403). */
function isDomainsRefusal(error: unknown): error is Error {
  return isMicrosoftError(error) && error.code === 'permission_missing' && error.details.httpStatus === 403;
}

/** The domains organization.verifiedDomains lists (all verified), when /domains is refused. */
function domainsFromOrganization(
  organization: GraphOrganization,
  refusal: Error,
): { displayName: string | null; domains: MsDomain[]; domainsFallback: string } {
  return {
    displayName: organization.displayName ?? null,
    domains: organization.verifiedDomains.map((d) => ({ id: d.name, isVerified: true, isDefault: d.isDefault, isInitial: d.isInitial })),
    domainsFallback: refusal.message,
  };
}

export function createGraphTenantSource(
  graph: TenantGraph,
  input: { counters: GraphCounters; graphBaseUrl: string; signal?: AbortSignal },
): TenantSource & { skipped: readonly string[] } {
  // "$deltatoken=latest" answers with no users and a fresh deltaLink (G:delta): the cheap way to
  // start a change feed after a full listing. Taken *before* the listing, so a change made while
  // we list shows up again in the next delta (harmless) instead of being lost.
  const latestDeltaLink = `${input.graphBaseUrl}/v1.0/users/delta?$select=${USER_SELECT.join(',')}&${LATEST}`;
  const versionRoot = `${input.graphBaseUrl}/v1.0`;

  // Answers the batch gave; each is used once, by the method that asks for it.
  const prepared: {
    organization?: { displayName: string | null; domains: MsDomain[]; domainsFallback?: string } | { error: Error };
    skus?: MsSubscribedSku[] | { error: Error };
    concealed?: boolean | { error: Error };
    /** The change feed's first response, for this link. */
    delta?: { link: string; response: BatchResponse };
    /** signInActivity readable (the probe said 200) or not (403). */
    signIn?: boolean;
    /** The managed devices' first page (and where the rest is), or the error Intune answered. */
    devices?: { items: MsManagedDevice[]; next: string | null } | { error: Error };
  } = {};

  async function drainDelta(link: string | null): Promise<UserChanges> {
    const changed: MsUserChange[] = [];
    const removedIds: string[] = [];
    let deltaLink: string | undefined;
    let next: string | null = link;
    const first = prepared.delta && prepared.delta.link === link ? prepared.delta.response : undefined;
    prepared.delta = undefined;
    if (first && first.status === 200 && first.body && typeof first.body === 'object') {
      const body = first.body as { value?: unknown; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };
      const present: unknown[] = [];
      for (const raw of Array.isArray(body.value) ? body.value : []) {
        // Deleted or soft-deleted objects come as { id, "@removed": { reason } } (G:delta).
        if (raw && typeof raw === 'object' && '@removed' in raw) {
          const id = (raw as { id?: unknown }).id;
          if (typeof id === 'string') removedIds.push(id);
        } else present.push(raw);
      }
      for (const raw of present) {
        const parsed = usersDeltaResource.parse(raw);
        if (parsed.ok) changed.push(parsed.value as MsUserChange);
        else (graph.skipped as string[]).push(parsed.reason);
      }
      deltaLink = body['@odata.deltaLink'];
      next = body['@odata.nextLink'] ?? null;
      if (!next && !deltaLink) next = link; // an odd answer: read the feed on its own path
    }
    if (next) {
      for await (const page of graph.delta(usersDeltaResource, next)) {
        for (const u of page.items) changed.push(u as MsUserChange);
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
      const requests = [
        { id: 'organization', url: batchUrl(organizationResource) },
        { id: 'domains', url: batchUrl(domainsResource) },
        { id: 'skus', url: batchUrl(subscribedSkusResource) },
        ...(plan.reports ? [{ id: 'reportSettings', url: '/admin/reportSettings' }] : []),
        // Only a link under our own Graph root can go in the batch (relative to the version root).
        ...(deltaLink.startsWith(`${versionRoot}/`)
          ? [{ id: 'delta', url: deltaLink.slice(versionRoot.length), headers: { ...usersDeltaResource.headers } }]
          : []),
        // signInActivity needs AuditLog.Read.All and Entra ID P1/P2; one user tells whether the
        // listing can ask for it (pages of 500) or must go without (pages of 999).
        ...(plan.users === 'full' ? [{ id: 'signIn', url: '/users?$select=id,signInActivity&$top=1' }] : []),
        // Intune's first page (1,000 devices): most tenants need no other devices request.
        { id: 'devices', url: batchUrl(managedDevicesResource) },
      ];
      let responses: BatchResponse[];
      try {
        responses = await graph.batch(requests);
      } catch (error) {
        // Stopped (time budget, lease, Ctrl-C): nothing more is read.
        input.signal?.throwIfAborted();
        // The batch itself failed: every read takes its own path (and reports its own error).
        if (isMicrosoftError(error) && error.scope === 'partner') throw error;
        return;
      }
      const byId = new Map(responses.map((r) => [r.id, r]));
      const skipped = graph.skipped as string[];
      const [organization] = onePage(byId.get('organization'), organizationResource.parse, skipped) ?? [];
      const domains = onePage(byId.get('domains'), domainsResource.parse, skipped);
      const organizationError = finalError(byId.get('organization'), graph.tenantId, organizationResource.name);
      const domainsError = finalError(byId.get('domains'), graph.tenantId, domainsResource.name);
      if (organizationError) prepared.organization = { error: organizationError };
      else if (organization && domainsError && isDomainsRefusal(domainsError)) {
        prepared.organization = domainsFromOrganization(organization, domainsError);
      } else if (domainsError) prepared.organization = { error: domainsError };
      else if (organization && domains) prepared.organization = { displayName: organization.displayName ?? null, domains };
      const skus = onePage(byId.get('skus'), subscribedSkusResource.parse, skipped);
      const skusError = finalError(byId.get('skus'), graph.tenantId, subscribedSkusResource.name);
      if (skusError) prepared.skus = { error: skusError };
      else if (skus) prepared.skus = skus as MsSubscribedSku[];
      const reportSettings = byId.get('reportSettings');
      const reportSettingsError = finalError(reportSettings, graph.tenantId, '/admin/reportSettings');
      if (reportSettingsError) prepared.concealed = { error: reportSettingsError };
      else if (reportSettings?.status === 200) {
        const parsed = parseReportSettings(reportSettings.body);
        if (parsed.ok) prepared.concealed = parsed.value.displayConcealedNames;
      }
      const delta = byId.get('delta');
      if (delta?.status === 200) prepared.delta = { link: deltaLink, response: delta };
      const devices = byId.get('devices');
      const devicesError = finalError(devices, graph.tenantId, managedDevicesResource.name);
      if (devicesError) prepared.devices = { error: devicesError };
      else if (devices?.status === 200 && devices.body && typeof devices.body === 'object') {
        const body = devices.body as { value?: unknown; '@odata.nextLink'?: unknown };
        const next = typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : null;
        // Go on from the batch's page only where the link stays under our Graph root.
        if (Array.isArray(body.value) && (next === null || next.startsWith(`${versionRoot}/`))) {
          const items = onePage({ ...devices, body: { value: body.value } }, managedDevicesResource.parse, skipped) as MsManagedDevice[];
          prepared.devices = { items, next };
        }
      }
      const signIn = byId.get('signIn');
      if (signIn?.status === 200) prepared.signIn = true;
      else if (signIn?.status === 403) prepared.signIn = false;
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
      let users: MsUser[];
      let signInActivityAvailable = prepared.signIn ?? true;
      prepared.signIn = undefined;
      const withoutSignIn = async () => {
        signInActivityAvailable = false;
        const all = (await collect(graph.listAll(usersResource as GraphResource<unknown>))) as MsUser[];
        for (const u of all) delete (u as { signInActivity?: unknown }).signInActivity;
        return all;
      };
      if (!signInActivityAvailable) users = await withoutSignIn();
      else {
        try {
          users = (await collect(graph.listAll(usersWithSignInResource))) as MsUser[];
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
    async groupMemberIds(groupId) {
      return (await collect(graph.listAll(groupMembersResource(groupId)))).map((m) => m.id);
    },
  };
}
