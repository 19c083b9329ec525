// Groups beyond the list (directory.ts): /groups/{id}/transitiveMembers (nested groups expanded,
// the OData cast to users) and /groups/delta with members@delta (Microsoft Learn, "group: delta"
// and "Get incremental changes for groups").
//
// groups/delta: `$select` (with `members` for membership) is baked into the token; the first
// round returns every group with its current direct members in members@delta; a deltaLink round
// returns only groups created, changed (a property or a member added or removed) or deleted since:
// added members as {"@odata.type","id"}, removed ones with "@removed": {"reason": "deleted"}, a
// deleted group as {"id","@removed":{"reason":"deleted"}}. Unchanged properties come too unless
// Prefer: return=minimal. A big group's members are split over pages: the same group comes again
// with the next members (clients merge). Deleted and changed are found by comparing the state the
// deltaLink was issued for (kept server-side, like Microsoft's token state, for 7 days) with now.
import { randomUUID } from 'node:crypto';
import type { World } from '../world.ts';
import { contextUrl, ODATA_JSON, type GraphRequest, type GraphResponse, type GraphRoute, type GraphServices } from './context.ts';
import { GraphError, objectNotFound, unsupportedQuery } from './errors.ts';
import { parseSelect, parseTop, project, queryValue } from './odata.ts';
import { pageByOffset } from './paging.ts';
import { authorize, PERMISSIONS } from './permissions.ts';
import { decodeToken, encodeToken } from './tokens.ts';
import { DEFAULT_USER_FIELDS } from './users.ts';

const DELTA_LIFETIME_MS = 7 * 24 * 3600 * 1000;
/** Members (and groups) per delta page: not documented; large enough for most tenants in one page. */
export const DELTA_PAGE_UNITS = 2000;

type MemberRef = { id: string; type: 'user' | 'group' };
interface GroupState {
  record: Record<string, unknown>;
  members: MemberRef[];
}
type Snapshot = Map<string, GroupState>;

const snapshots = new WeakMap<World, Map<string, { tenantId: string; at: number; state: Snapshot }>>();

function currentState(world: World, tenantId: string): Snapshot {
  const state: Snapshot = new Map();
  for (const g of world.groups(tenantId)) {
    const members = world
      .groupMembers(tenantId, g.record.id)
      .map((m): MemberRef => (m.kind === 'user' ? { id: m.user.record.id, type: 'user' } : { id: m.group.record.id, type: 'group' }));
    state.set(g.record.id, { record: { ...g.record }, members });
  }
  return state;
}

/** Every user reached through the group and its nested groups, once each. */
function transitiveUsers(world: World, tenantId: string, groupId: string): ReturnType<World['groupMembers']> {
  const seenGroups = new Set<string>([groupId.toLowerCase()]);
  const seenUsers = new Set<string>();
  const out: ReturnType<World['groupMembers']> = [];
  const queue = [groupId];
  while (queue.length > 0) {
    for (const m of world.groupMembers(tenantId, queue.shift()!)) {
      if (m.kind === 'user') {
        if (!seenUsers.has(m.user.record.id)) {
          seenUsers.add(m.user.record.id);
          out.push(m);
        }
      } else if (!seenGroups.has(m.group.record.id)) {
        seenGroups.add(m.group.record.id);
        out.push(m);
        queue.push(m.group.record.id);
      }
    }
  }
  return out;
}

function listTransitiveMembers(request: GraphRequest, services: GraphServices, groupId: string, usersOnly: boolean): GraphResponse {
  authorize(request, services, PERMISSIONS.groups);
  const { world } = services;
  if (!world.group(request.tenantId, groupId)) throw objectNotFound(groupId);
  if (queryValue(request, '$filter') !== undefined || queryValue(request, '$search') !== undefined) throw unsupportedQuery();
  const select = queryValue(request, '$select')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const members = transitiveUsers(world, request.tenantId, groupId)
    .filter((m) => !usersOnly || m.kind === 'user')
    .map((m): Record<string, unknown> =>
      m.kind === 'user'
        ? { '@odata.type': '#microsoft.graph.user', ...project(m.user.record, select, DEFAULT_USER_FIELDS) }
        : { '@odata.type': '#microsoft.graph.group', ...project(m.group.record, select, Object.keys(m.group.record)) },
    );
  const top = parseTop(request, { default: 100, max: 999 });
  const page = pageByOffset(request, services, 'transitiveMembers', members, top);
  const body: Record<string, unknown> = {
    '@odata.context': contextUrl(services, request, usersOnly ? (select ? `users(${select.join(',')})` : 'users') : 'directoryObjects'),
  };
  if (page.nextLink) body['@odata.nextLink'] = page.nextLink;
  body.value = page.page;
  return { status: 200, headers: { 'Content-Type': ODATA_JSON, 'x-ms-resource-unit': '5' }, body };
}

// --- groups/delta --------------------------------------------------------------------------------

type PageState = { s: string[] | null; from: string | null; to: string; g: number; m: number };

function resyncRequired(request: GraphRequest, services: GraphServices): GraphError {
  return new GraphError(
    410,
    'resyncRequired',
    'Resync required. Replace any local cached data with a full delta sync; the delta token is unknown or has expired.',
    { Location: `${services.graphBaseUrl()}/${request.version}/groups/delta?$deltatoken=` },
  );
}

function remember(world: World, tenantId: string, state: Snapshot, now: number): string {
  let map = snapshots.get(world);
  if (!map) snapshots.set(world, (map = new Map()));
  for (const [id, entry] of map) if (now - entry.at > DELTA_LIFETIME_MS) map.delete(id);
  const id = randomUUID();
  map.set(id, { tenantId, at: now, state });
  return id;
}

function recall(world: World, tenantId: string, id: string, now: number): Snapshot | undefined {
  const entry = snapshots.get(world)?.get(id);
  if (!entry || entry.tenantId !== tenantId || now - entry.at > DELTA_LIFETIME_MS) return undefined;
  return entry.state;
}

/** One group's item of a round: changed properties (or all) and the member changes. */
interface DeltaItem {
  id: string;
  removed?: true;
  properties: Record<string, unknown>;
  members: Array<MemberRef & { removed?: true }>;
}

function roundItems(select: string[] | null, before: Snapshot | null, after: Snapshot, minimal: boolean): DeltaItem[] {
  const fields = select ? select.filter((f) => f !== 'members') : null;
  const withMembers = !select || select.includes('members');
  const items: DeltaItem[] = [];
  const pick = (record: Record<string, unknown>, keys: string[] | null) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) if ((keys ?? Object.keys(record)).includes(k) && v !== null) out[k] = v;
    return out;
  };
  for (const [id, now] of after) {
    const was = before?.get(id);
    const properties = pick(now.record, fields);
    if (!was) {
      items.push({ id, properties, members: withMembers ? now.members : [] });
      continue;
    }
    const changedKeys = (fields ?? Object.keys(now.record)).filter((k) => JSON.stringify(now.record[k]) !== JSON.stringify(was.record[k]));
    const wasIds = new Set(was.members.map((m) => m.id));
    const nowIds = new Set(now.members.map((m) => m.id));
    const members = withMembers
      ? [
          ...now.members.filter((m) => !wasIds.has(m.id)),
          ...was.members.filter((m) => !nowIds.has(m.id)).map((m) => ({ ...m, removed: true as const })),
        ]
      : [];
    if (changedKeys.length === 0 && members.length === 0) continue;
    const shown = minimal ? Object.fromEntries(changedKeys.map((k) => [k, now.record[k] ?? null])) : properties;
    items.push({ id, properties: shown, members });
  }
  if (before) for (const id of before.keys()) if (!after.has(id)) items.push({ id, removed: true, properties: {}, members: [] });
  return items;
}

const GROUP_FIELDS = new Set([
  'id',
  'displayName',
  'description',
  'groupTypes',
  'mail',
  'mailEnabled',
  'mailNickname',
  'securityEnabled',
  'createdDateTime',
  'visibility',
  'proxyAddresses',
  'isAssignableToRole',
  'members',
]);

function groupsDelta(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, PERMISSIONS.groups);
  const { world, clock } = services;
  for (const unsupported of ['$top', '$orderby', '$count', '$search'])
    if (queryValue(request, unsupported) !== undefined)
      throw unsupportedQuery(`The query option '${unsupported}' is not supported with delta queries on groups.`);
  if (queryValue(request, '$filter') !== undefined) throw unsupportedQuery('Only "id eq" filters are supported with delta queries.');
  const now = clock.now().getTime();
  const skip = queryValue(request, '$skiptoken');
  const deltaToken = queryValue(request, '$deltatoken');
  let page: PageState;
  let first = false;
  if (skip !== undefined) {
    const decoded = decodeToken<PageState>(skip, services.instanceId, 'groups-delta-page', request.tenantId);
    if (!decoded) throw resyncRequired(request, services);
    page = decoded;
  } else if (deltaToken !== undefined) {
    const decoded = decodeToken<{ s: string[] | null; n: string }>(deltaToken, services.instanceId, 'groups-delta', request.tenantId);
    if (!decoded || !recall(world, request.tenantId, decoded.n, now)) throw resyncRequired(request, services);
    const to = remember(world, request.tenantId, currentState(world, request.tenantId), now);
    page = { s: decoded.s, from: decoded.n, to, g: 0, m: 0 };
  } else {
    const select = parseSelect(request, GROUP_FIELDS, 'microsoft.graph.group') ?? null;
    const to = remember(world, request.tenantId, currentState(world, request.tenantId), now);
    page = { s: select, from: null, to, g: 0, m: 0 };
    first = true;
  }
  const after = recall(world, request.tenantId, page.to, now);
  const before = page.from === null ? null : recall(world, request.tenantId, page.from, now);
  if (!after || (page.from !== null && !before)) throw resyncRequired(request, services);
  const minimal = /(^|[,;\s])return=minimal($|[,;\s])/i.test(request.headers['prefer'] ?? '');
  const items = roundItems(page.s, before ?? null, after, minimal && page.from !== null);

  // Fill the page: a group costs one unit and each member one; a group too big for what is left is
  // split (its next members come with the same group on the next page).
  const value: Record<string, unknown>[] = [];
  let units = 0;
  let g = page.g;
  let m = page.m;
  let next: PageState | undefined;
  while (g < items.length) {
    const item = items[g]!;
    if (item.removed) {
      value.push({ id: item.id, '@removed': { reason: 'deleted' } });
      units++;
      g++;
    } else {
      const room = Math.max(1, DELTA_PAGE_UNITS - units - 1);
      const members = item.members.slice(m, m + room);
      const out: Record<string, unknown> = { ...item.properties, id: item.id };
      if (members.length > 0)
        out['members@delta'] = members.map((x) => ({
          '@odata.type': `#microsoft.graph.${x.type}`,
          id: x.id,
          ...(x.removed ? { '@removed': { reason: 'deleted' } } : {}),
        }));
      value.push(out);
      units += 1 + members.length;
      if (m + members.length < item.members.length) {
        m += members.length;
        next = { ...page, g, m };
        break;
      }
      g++;
      m = 0;
    }
    if (units >= DELTA_PAGE_UNITS && g < items.length) {
      next = { ...page, g, m: 0 };
      break;
    }
  }
  const base = `${services.graphBaseUrl()}/${request.version}/groups/delta`;
  const body: Record<string, unknown> = {
    '@odata.context': contextUrl(services, request, first && page.s ? `groups(${page.s.join(',')})` : 'groups'),
  };
  if (next)
    body['@odata.nextLink'] =
      `${base}?$skiptoken=${encodeToken(services.instanceId, 'groups-delta-page', request.tenantId, next as never)}`;
  else
    body['@odata.deltaLink'] =
      `${base}?$deltatoken=${encodeToken(services.instanceId, 'groups-delta', request.tenantId, { s: page.s, n: page.to })}`;
  body.value = value;
  return { status: 200, headers: { 'Content-Type': ODATA_JSON }, body };
}

export const groupRoutes: GraphRoute[] = [
  { method: 'GET', pattern: /^groups\/delta(\(\))?$/, handler: (r, _m, s) => groupsDelta(r, s) },
  {
    method: 'GET',
    pattern: /^groups\/([^/]+)\/transitiveMembers$/,
    handler: (r, m, s) => listTransitiveMembers(r, s, m[1] as string, false),
  },
  {
    method: 'GET',
    pattern: /^groups\/([^/]+)\/transitiveMembers\/microsoft\.graph\.user$/,
    handler: (r, m, s) => listTransitiveMembers(r, s, m[1] as string, true),
  },
];
