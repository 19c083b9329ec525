// The production TenantSource: one tenant's Microsoft data through the Microsoft client's
// TenantGraph (paging, Retry-After, retries, pacing and token renewal all live there). Each
// method reads to the end or throws: a listing cut short is never returned as complete.
import type { TenantGraph } from '../microsoft/graph-client.ts';
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
  type GraphResource,
} from '../microsoft/resources.ts';
import { isMicrosoftError } from '../microsoft/errors.ts';
import type { FullUserListing, GraphCounters, MsUser, TenantSource, UserChanges } from './tenant-source.ts';

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) for (const item of page) all.push(item);
  return all;
}

export function createGraphTenantSource(graph: TenantGraph, input: { counters: GraphCounters; graphBaseUrl: string }): TenantSource & { skipped: readonly string[] } {
  // "$deltatoken=latest" answers with no users and a fresh deltaLink (G:delta): the cheap way to
  // start a change feed after a full listing. Taken *before* the listing, so a change made while
  // we list shows up again in the next delta (harmless) instead of being lost.
  const latestDeltaLink = `${input.graphBaseUrl}/v1.0/users/delta?$select=${USER_SELECT.join(',')}&$deltatoken=latest`;

  async function drainDelta(link: string | null): Promise<UserChanges> {
    const changed: MsUser[] = [];
    const removedIds: string[] = [];
    let deltaLink: string | undefined;
    for await (const page of graph.delta(usersDeltaResource, link)) {
      for (const u of page.items) changed.push(u as MsUser);
      removedIds.push(...page.removedIds);
      if (page.deltaLink) deltaLink = page.deltaLink;
    }
    if (!deltaLink) throw new Error('users/delta ended without a deltaLink');
    return { changed, removedIds, deltaLink };
  }

  return {
    counters: input.counters,
    get skipped() {
      return graph.skipped;
    },
    async organization() {
      const [organization] = await collect(graph.listAll(organizationResource));
      const domains = await collect(graph.listAll(domainsResource));
      return { displayName: organization?.displayName ?? null, domains };
    },
    async listUsers(): Promise<FullUserListing> {
      const start = await drainDelta(latestDeltaLink);
      let users: MsUser[];
      let signInActivityAvailable = true;
      try {
        users = (await collect(graph.listAll(usersWithSignInResource))) as MsUser[];
      } catch (error) {
        // signInActivity needs AuditLog.Read.All and Entra ID P1/P2; without them Graph says 403.
        // List without it and say the dates are unavailable (never show a wrong date).
        if (!isMicrosoftError(error) || error.code !== 'permission_missing') throw error;
        signInActivityAvailable = false;
        users = (await collect(graph.listAll(usersResource as GraphResource<unknown>))) as MsUser[];
        for (const u of users) delete (u as { signInActivity?: unknown }).signInActivity;
      }
      return { users, deltaLink: start.deltaLink, signInActivityAvailable };
    },
    userChanges: (deltaLink) => drainDelta(deltaLink),
    async reportNamesConcealed() {
      const settings = await graph.get('/admin/reportSettings', parseReportSettings);
      return settings.displayConcealedNames;
    },
    async mailboxUsage() {
      const csv = await graph.report('getMailboxUsageDetail', 'D7');
      return parseMailboxUsageCsv(csv).rows.filter((r) => !r.isDeleted);
    },
    managedDevices: () => collect(graph.listAll(managedDevicesResource)),
    subscribedSkus: () => collect(graph.listAll(subscribedSkusResource)),
    async groupMemberIds(groupId) {
      return (await collect(graph.listAll(groupMembersResource(groupId)))).map((m) => m.id);
    },
  };
}
