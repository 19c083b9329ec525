// /users, /users/{id}, /users/$count and /users/delta.
// Facts from https://learn.microsoft.com/en-us/graph/api/user-list, graph/aad-advanced-queries and graph/api/user-delta: default page
// 100, max $top 999; signInActivity needs AuditLog.Read.All + Entra ID P1/P2 and caps pages at
// 500; advanced filters need ConsistencyLevel: eventual + $count=true; delta pages end with a
// deltaLink, report removals as {"id","@removed":{"reason"}}, tokens live 7 days, then 410.

import type { UserRecord, WorldUser } from '../world.ts';
import { contextUrl, ODATA_JSON, type GraphRequest, type GraphResponse, type GraphRoute, type GraphServices } from './context.ts';
import { badRequest, GraphError, objectNotFound, unsupportedQuery } from './errors.ts';
import {
  compileFilter,
  compileSearch,
  evaluate,
  isAdvancedQuery,
  parseSelect,
  parseTop,
  project,
  queryValue,
  type FilterProperty,
} from './odata.ts';
import { linkWith, skipTokenOf } from './paging.ts';
import { authorize, PERMISSIONS } from './permissions.ts';
import { decodeToken, encodeToken } from './tokens.ts';

export const DEFAULT_USER_FIELDS = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
] as const;

const USER_FIELDS: ReadonlySet<string> = new Set<keyof UserRecord>([
  'id',
  'displayName',
  'givenName',
  'surname',
  'userPrincipalName',
  'mail',
  'mailNickname',
  'jobTitle',
  'department',
  'companyName',
  'officeLocation',
  'mobilePhone',
  'businessPhones',
  'preferredLanguage',
  'usageLocation',
  'accountEnabled',
  'userType',
  'creationType',
  'externalUserState',
  'createdDateTime',
  'deletedDateTime',
  'lastPasswordChangeDateTime',
  'otherMails',
  'proxyAddresses',
  'assignedLicenses',
  'signInActivity',
  'employeeId',
  'onPremisesSyncEnabled',
  'onPremisesImmutableId',
  'city',
  'country',
]);
/** Properties Graph only returns for a single user: selecting them on the collection is a 501. */
const SINGLE_USER_ONLY = new Set([
  'aboutMe',
  'birthday',
  'hireDate',
  'interests',
  'mailboxSettings',
  'mySite',
  'pastProjects',
  'preferredName',
  'responsibilities',
  'schools',
  'skills',
]);
const SELECTABLE = new Set([...USER_FIELDS, ...SINGLE_USER_ONLY]);

const text: FilterProperty = { ops: ['eq', 'startswith', 'in'], advanced: ['ne'] };
const textWithEnds: FilterProperty = { ops: ['eq', 'startswith', 'in'], advanced: ['ne', 'endswith'] };
const flag: FilterProperty = { ops: ['eq', 'in'], advanced: ['ne'] };
const signInTime: FilterProperty = { ops: ['eq', 'ge', 'le'], advanced: ['ne'] };

export const USER_FILTER: Readonly<Record<string, FilterProperty>> = {
  id: { ops: ['eq', 'in'], advanced: ['ne'] },
  displayName: text,
  givenName: text,
  surname: text,
  jobTitle: text,
  department: text,
  companyName: text,
  mailNickname: text,
  employeeId: text,
  officeLocation: text,
  city: text,
  country: text,
  usageLocation: text,
  mail: textWithEnds,
  userPrincipalName: textWithEnds,
  accountEnabled: flag,
  userType: flag,
  creationType: flag,
  externalUserState: flag,
  createdDateTime: { ops: ['eq', 'ge', 'le', 'in'], advanced: ['ne'] },
  proxyAddresses: { collection: 'string', ops: ['eq', 'startswith'], advanced: ['ne', 'endswith'] },
  otherMails: { collection: 'string', ops: ['eq', 'startswith'], advanced: ['ne', 'endswith'] },
  assignedLicenses: { collection: 'object', members: ['skuId'], ops: ['eq'], advanced: ['ne'] },
  'signInActivity/lastSignInDateTime': signInTime,
  'signInActivity/lastNonInteractiveSignInDateTime': signInTime,
  'signInActivity/lastSuccessfulSignInDateTime': signInTime,
};

const ORDERABLE = new Set(['displayName', 'userPrincipalName']);

function contextFragment(select: readonly string[] | undefined): string {
  return select ? `users(${select.join(',')})` : 'users';
}

/** signInActivity: extra permission, a premium tenant, and at most 500 per page. */
function checkSignInActivity(request: GraphRequest, services: GraphServices): void {
  authorize(request, services, PERMISSIONS.auditLog);
  if (!services.world.hasPremium(request.tenantId)) {
    // Not documented on the user-list page (signInActivity needs Entra ID P1/P2); the live service's code.
    throw new GraphError(
      403,
      'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
      "Neither tenant is B2C or tenant doesn't have premium license",
    );
  }
}

function listUsers(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, PERMISSIONS.users);
  const { world } = services;
  const select = parseSelect(request, SELECTABLE, 'microsoft.graph.user');
  const singleOnly = select?.find((f) => SINGLE_USER_ONLY.has(f));
  if (singleOnly)
    throw new GraphError(
      501,
      'NotImplemented',
      `The property '${singleOnly}' does not support retrieval as part of a collection. Request it for a single user.`,
    );
  const filter = compileFilter(request, USER_FILTER, 'User');
  const search = compileSearch(request, ['displayName', 'mail', 'userPrincipalName', 'givenName', 'surname', 'mailNickname']);
  const filtersSignIn = filter?.check.properties.has('signInActivity') ?? false;
  if (filtersSignIn && filter && filter.check.properties.size > 1) {
    throw unsupportedQuery('signInActivity cannot be combined with other filterable properties.');
  }
  const signIn = filtersSignIn || (select?.includes('signInActivity') ?? false);
  if (signIn) checkSignInActivity(request, services);
  const top = parseTop(request, { default: 100, max: 999, ...(signIn ? { cap: 500 } : {}) });
  const orderBy = parseOrderBy(request, filter !== undefined || search !== undefined);
  const matches = (user: WorldUser): boolean =>
    (!filter || evaluate(filter.node, user.record)) && (!search || search(user.record as unknown as Record<string, unknown>));

  const token = skipTokenOf(request);
  const state = token === undefined ? { p: 0 } : decodeToken<{ p: number }>(token, services.instanceId, 'users', request.tenantId);
  if (!state || typeof state.p !== 'number' || state.p < 0) throw badRequest('Invalid $skiptoken value.', 'Request_BadRequest');

  const value: Record<string, unknown>[] = [];
  let next: number | undefined;
  const slots = world.userSlotCount(request.tenantId);
  if (orderBy) {
    // Sorted listings need every match first; the skiptoken is then an offset into them.
    const all: UserRecord[] = [];
    for (let slot = 0; slot < slots; slot++) {
      const user = world.userAt(request.tenantId, slot);
      if (user && matches(user)) all.push(user.record);
    }
    const key = orderBy.field;
    all.sort(
      (a, b) => String(a[key] ?? '').localeCompare(String(b[key] ?? ''), 'en', { sensitivity: 'base' }) * (orderBy.descending ? -1 : 1),
    );
    for (const record of all.slice(state.p, state.p + top)) value.push(project(record, select, DEFAULT_USER_FIELDS));
    if (state.p + top < all.length) next = state.p + top;
  } else {
    let slot = state.p;
    for (; slot < slots && value.length < top; slot++) {
      const user = world.userAt(request.tenantId, slot);
      if (user && matches(user)) value.push(project(user.record, select, DEFAULT_USER_FIELDS));
    }
    // Only promise a next page when there is one (no empty trailing page).
    for (; slot < slots; slot++) {
      const user = world.userAt(request.tenantId, slot);
      if (user && matches(user)) {
        next = slot;
        break;
      }
    }
  }

  const body: Record<string, unknown> = { '@odata.context': contextUrl(services, request, contextFragment(select)) };
  // $count=true without ConsistencyLevel is silently ignored (G:adv); the count only comes on page 1.
  if (token === undefined && isAdvancedQuery(request)) {
    let count = 0;
    for (let slot = 0; slot < slots; slot++) {
      const user = world.userAt(request.tenantId, slot);
      if (user && matches(user)) count++;
    }
    body['@odata.count'] = count;
  }
  if (next !== undefined)
    body['@odata.nextLink'] = linkWith(request, services, 'users', {
      $skiptoken: encodeToken(services.instanceId, 'users', request.tenantId, { p: next }),
    });
  body.value = value;
  return { status: 200, headers: { 'Content-Type': ODATA_JSON, 'x-ms-resource-unit': select ? '1' : '2' }, body };
}

function parseOrderBy(
  request: GraphRequest,
  filtered: boolean,
): { field: 'displayName' | 'userPrincipalName'; descending: boolean } | undefined {
  const raw = queryValue(request, '$orderby');
  if (raw === undefined) return undefined;
  const m = /^\s*(\w+)(\s+(asc|desc))?\s*$/i.exec(raw);
  if (!m || !ORDERABLE.has(m[1] as string)) throw unsupportedQuery(`Unsupported sort property '${raw}' for '$orderby'.`);
  if (filtered && !isAdvancedQuery(request)) throw unsupportedQuery();
  return { field: m[1] as 'displayName', descending: m[3]?.toLowerCase() === 'desc' };
}

function countUsers(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, PERMISSIONS.users);
  if (request.headers['consistencylevel']?.toLowerCase() !== 'eventual') throw unsupportedQuery('$count is not currently supported.');
  const filter = compileFilter({ ...request, query: withCountTrue(request.query) }, USER_FILTER, 'User');
  let count = 0;
  const slots = services.world.userSlotCount(request.tenantId);
  for (let slot = 0; slot < slots; slot++) {
    const user = services.world.userAt(request.tenantId, slot);
    if (user && (!filter || evaluate(filter.node, user.record))) count++;
  }
  return { status: 200, headers: { 'Content-Type': 'text/plain' }, body: String(count) };
}

function withCountTrue(query: URLSearchParams): URLSearchParams {
  const copy = new URLSearchParams(query);
  copy.set('$count', 'true');
  return copy;
}

function getUser(request: GraphRequest, services: GraphServices, idOrUpn: string): GraphResponse {
  authorize(request, services, PERMISSIONS.users);
  const select = parseSelect(request, SELECTABLE, 'microsoft.graph.user');
  if (select?.includes('signInActivity')) checkSignInActivity(request, services);
  const user = findUser(services, request.tenantId, idOrUpn);
  if (!user) throw objectNotFound(idOrUpn);
  const body = {
    '@odata.context': contextUrl(services, request, `${contextFragment(select)}/$entity`),
    ...project(
      user.record,
      select?.filter((f) => !SINGLE_USER_ONLY.has(f)),
      DEFAULT_USER_FIELDS,
    ),
  };
  return { status: 200, headers: { 'Content-Type': ODATA_JSON }, body };
}

export function findUser(services: GraphServices, tenantId: string, idOrUpn: string): WorldUser | undefined {
  const { world } = services;
  const byId = world.user(tenantId, idOrUpn);
  if (byId || !idOrUpn.includes('@')) return byId;
  const wanted = idOrUpn.toLowerCase();
  const slots = world.userSlotCount(tenantId);
  for (let slot = 0; slot < slots; slot++) {
    const user = world.userAt(tenantId, slot);
    if (user?.record.userPrincipalName.toLowerCase() === wanted) return user;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// users/delta

const DELTA_TOKEN_LIFETIME_MS = 7 * 24 * 3600 * 1000;

type DeltaPageState = { s: string[] | null; ph: 'full' | 'changes'; p: number; from: number; to: number };
type DeltaLinkState = { s: string[] | null; q: number; iat: number };

function resyncRequired(request: GraphRequest, services: GraphServices): GraphError {
  // 410 Gone + Location with an empty $deltatoken means "start over with a full sync" (G:delta).
  return new GraphError(
    410,
    'resyncRequired',
    'Resync required. Replace any local cached data with a full delta sync; the delta token is unknown or has expired.',
    {
      Location: `${services.graphBaseUrl()}/${request.version}/users/delta?$deltatoken=`,
    },
  );
}

function deltaPageSize(request: GraphRequest): number {
  const prefer = request.headers['prefer'];
  const m = prefer ? /odata\.maxpagesize=(\d+)/i.exec(prefer) : null;
  return m ? Math.min(999, Math.max(1, Number(m[1]))) : 100;
}

function usersDelta(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, PERMISSIONS.users);
  const { world, clock } = services;
  for (const unsupported of ['$top', '$orderby', '$expand', '$count', '$search']) {
    if (queryValue(request, unsupported) !== undefined)
      throw unsupportedQuery(`The query option '${unsupported}' is not supported with delta queries on users.`);
  }
  if (queryValue(request, '$filter') !== undefined)
    throw unsupportedQuery('Only "id eq" filters are supported with delta queries; the emulator supports none.');
  const size = deltaPageSize(request);
  const skip = skipTokenOf(request);
  const deltaToken = queryValue(request, '$deltatoken');
  let state: DeltaPageState;
  let firstPage = false;
  if (skip !== undefined) {
    const decoded = decodeToken<DeltaPageState>(skip, services.instanceId, 'users-delta-page', request.tenantId);
    if (!decoded) throw resyncRequired(request, services);
    state = decoded;
  } else if (deltaToken !== undefined) {
    const now = clock.now().getTime();
    if (deltaToken === 'latest') {
      // The $select of this first call is baked into the token, as for a full first round (G:delta).
      const select = parseSelect(request, USER_FIELDS, 'microsoft.graph.user') ?? null;
      return deltaResponse(request, services, select, [], undefined, world.changeSequence(), false);
    }
    const decoded = decodeToken<DeltaLinkState>(deltaToken, services.instanceId, 'users-delta', request.tenantId);
    if (!decoded || now - decoded.iat > DELTA_TOKEN_LIFETIME_MS) throw resyncRequired(request, services);
    state = { s: decoded.s, ph: 'changes', p: 0, from: decoded.q, to: world.changeSequence() };
  } else {
    const select = parseSelect(request, USER_FIELDS, 'microsoft.graph.user') ?? null;
    if (select?.includes('signInActivity')) throw unsupportedQuery('signInActivity is not supported with delta queries.');
    state = { s: select, ph: 'full', p: 0, from: 0, to: world.changeSequence() };
    firstPage = true;
  }

  const select = state.s ?? undefined;
  const value: Record<string, unknown>[] = [];
  let next: DeltaPageState | undefined;
  if (state.ph === 'full') {
    const slots = world.userSlotCount(request.tenantId);
    let slot = state.p;
    for (; slot < slots && value.length < size; slot++) {
      const user = world.userAt(request.tenantId, slot);
      if (user) value.push(withoutUnset(project(user.record, select, DEFAULT_USER_FIELDS), null));
    }
    if (slot < slots) next = { ...state, p: slot };
  } else {
    // The latest state of each user changed in (from, to], in order of their last change.
    const changes = world.userChangesSince(request.tenantId, state.from).filter((c) => c.seq <= state.to);
    const lastIndex = new Map<number, number>();
    // Which properties changed over the window, per slot (null: created, so all of them).
    const changedBySlot = new Map<number, Set<string> | null>();
    changes.forEach((c, i) => {
      lastIndex.set(c.slot, i);
      const known = changedBySlot.get(c.slot);
      if (known === null) return;
      if (!c.properties) changedBySlot.set(c.slot, null);
      else changedBySlot.set(c.slot, new Set([...(known ?? []), ...c.properties]));
    });
    const minimal = prefersMinimal(request);
    const slots = changes.filter((c, i) => lastIndex.get(c.slot) === i).map((c) => ({ slot: c.slot, userId: c.userId }));
    for (const { slot, userId } of slots.slice(state.p, state.p + size)) {
      const user = world.userAt(request.tenantId, slot);
      if (user) value.push(changedUser(user.record, select, changedBySlot.get(slot) ?? null, minimal));
      else value.push({ id: userId, '@removed': { reason: world.removalReason(request.tenantId, slot) ?? 'deleted' } });
    }
    if (state.p + size < slots.length) next = { ...state, p: state.p + size };
  }
  return deltaResponse(request, services, state.s, value, next, state.to, firstPage);
}

/** Prefer: return=minimal (G:delta): a deltaLink round returns only the properties that changed. */
function prefersMinimal(request: GraphRequest): boolean {
  return /(^|[,;\s])return=minimal($|[,;\s])/i.test(request.headers['prefer'] ?? '');
}

/**
 * A property never set is absent from delta items (Microsoft Learn, "user: delta"; "Conf Room
 * Adams" in examples/users-delta.json has no givenName or surname). A property cleared in this
 * round (in `changed`) is sent as null.
 */
function withoutUnset(item: Record<string, unknown>, changed: ReadonlySet<string> | null): Record<string, unknown> {
  for (const [key, value] of Object.entries(item)) if (value === null && !changed?.has(key)) delete item[key];
  return item;
}

/**
 * A user changed since the deltaLink: by default the selected properties it has (like
 * examples/users-delta.5-deltaLink-changes.json); with return=minimal its id and only the
 * properties that changed. A created user (`changed` null) comes with everything it has.
 */
function changedUser(
  record: UserRecord,
  select: readonly string[] | undefined,
  changed: ReadonlySet<string> | null,
  minimal: boolean,
): Record<string, unknown> {
  const projected = project(record, select, DEFAULT_USER_FIELDS);
  if (!minimal || changed === null) return withoutUnset(projected, changed);
  const item: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(projected)) if (key === 'id' || changed.has(key)) item[key] = value;
  return item;
}

function deltaResponse(
  request: GraphRequest,
  services: GraphServices,
  select: string[] | null,
  value: unknown[],
  next: DeltaPageState | undefined,
  seq: number,
  firstPage: boolean,
): GraphResponse {
  const body: Record<string, unknown> = {
    // page 1 names the $select list; later pages say "#users" (examples/users-delta*.json)
    '@odata.context': contextUrl(services, request, firstPage && select ? contextFragment(select) : 'users'),
  };
  const base = `${services.graphBaseUrl()}/${request.version}/users/delta`;
  if (next) {
    body['@odata.nextLink'] = `${base}?$skiptoken=${encodeToken(
      services.instanceId,
      'users-delta-page',
      request.tenantId,
      next as unknown as Record<string, unknown>,
    )}`;
  } else {
    body['@odata.deltaLink'] = `${base}?$deltatoken=${encodeToken(services.instanceId, 'users-delta', request.tenantId, {
      s: select,
      q: seq,
      iat: services.clock.now().getTime(),
    })}`;
  }
  body.value = value;
  return { status: 200, headers: { 'Content-Type': ODATA_JSON }, body };
}

export const userRoutes: GraphRoute[] = [
  { method: 'GET', pattern: /^users\/?$/, handler: (r, _m, s) => listUsers(r, s) },
  { method: 'GET', pattern: /^users\/\$count$/, handler: (r, _m, s) => countUsers(r, s) },
  { method: 'GET', pattern: /^users\/delta(\(\))?$/, handler: (r, _m, s) => usersDelta(r, s) },
  { method: 'GET', pattern: /^users\/([^/]+)$/, handler: (r, m, s) => getUser(r, s, m[1] as string) },
];
