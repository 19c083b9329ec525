// Directory reads besides users: groups and members, subscribedSkus, organization, domains,
// contracts (partner tenant), the GDAP lists (partner tenant) and Intune managedDevices.

import type { GroupRecord } from '../world.ts';
import { contextUrl, ODATA_JSON, type GraphRequest, type GraphResponse, type GraphRoute, type GraphServices } from './context.ts';
import { badRequest, GraphError, intuneForbidden, objectNotFound, unsupportedQuery } from './errors.ts';
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
import { pageByOffset } from './paging.ts';
import { allowed, authorize, PERMISSIONS } from './permissions.ts';
import { DEFAULT_USER_FIELDS } from './users.ts';

const json = (body: unknown, resourceUnits?: string): GraphResponse => ({
  status: 200,
  headers: { 'Content-Type': ODATA_JSON, ...(resourceUnits ? { 'x-ms-resource-unit': resourceUnits } : {}) },
  body,
});

function fieldsOf(example: object): ReadonlySet<string> {
  return new Set(Object.keys(example));
}

function listBody(
  request: GraphRequest,
  services: GraphServices,
  fragment: string,
  page: { page: unknown[]; nextLink: string | undefined; first: boolean },
  count?: number,
): Record<string, unknown> {
  const body: Record<string, unknown> = { '@odata.context': contextUrl(services, request, fragment) };
  if (count !== undefined && page.first && isAdvancedQuery(request)) body['@odata.count'] = count;
  if (page.nextLink) body['@odata.nextLink'] = page.nextLink;
  body.value = page.page;
  return body;
}

// --- groups ----------------------------------------------------------------------------------

const GROUP_FILTER: Readonly<Record<string, FilterProperty>> = {
  id: { ops: ['eq', 'in'], advanced: ['ne'] },
  displayName: { ops: ['eq', 'startswith', 'in'], advanced: ['ne', 'endswith'] },
  mail: { ops: ['eq', 'startswith', 'in'], advanced: ['ne', 'endswith'] },
  mailNickname: { ops: ['eq', 'startswith', 'in'], advanced: ['ne'] },
  mailEnabled: { ops: ['eq'], advanced: ['ne'] },
  securityEnabled: { ops: ['eq'], advanced: ['ne'] },
  groupTypes: { collection: 'string', ops: ['eq'], advanced: ['ne'] },
};

function listGroups(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, PERMISSIONS.groups);
  const groups = services.world.groups(request.tenantId).map((g) => g.record);
  const select = parseSelect(request, fieldsOf(groups[0] ?? {}), 'microsoft.graph.group');
  const filter = compileFilter(request, GROUP_FILTER, 'Group');
  const search = compileSearch(request, ['displayName', 'description']);
  const matching = groups.filter(
    (g) => (!filter || evaluate(filter.node, g)) && (!search || search(g as unknown as Record<string, unknown>)),
  );
  const top = parseTop(request, { default: 100, max: 999 });
  const page = pageByOffset(request, services, 'groups', matching, top);
  const fields = select ?? Object.keys(groups[0] ?? {});
  return json(
    listBody(
      request,
      services,
      select ? `groups(${select.join(',')})` : 'groups',
      { ...page, page: page.page.map((g) => project(g, fields, fields)) },
      matching.length,
    ),
    '1',
  );
}

function getGroup(request: GraphRequest, services: GraphServices, id: string): GraphResponse {
  authorize(request, services, PERMISSIONS.groups);
  const group = services.world.group(request.tenantId, id);
  if (!group) throw objectNotFound(id);
  return json({ '@odata.context': contextUrl(services, request, 'groups/$entity'), ...group.record });
}

function listMembers(request: GraphRequest, services: GraphServices, groupId: string, usersOnly: boolean): GraphResponse {
  authorize(request, services, PERMISSIONS.groups);
  authorize(request, services, PERMISSIONS.users);
  const { world } = services;
  if (!world.group(request.tenantId, groupId)) throw objectNotFound(groupId);
  const select = queryValue(request, '$select')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const search = compileSearch(request, ['displayName', 'mail', 'userPrincipalName']);
  if (
    usersOnly &&
    (queryValue(request, '$search') !== undefined || queryValue(request, '$filter') !== undefined) &&
    !isAdvancedQuery(request)
  )
    throw unsupportedQuery();
  if (queryValue(request, '$filter') !== undefined && !usersOnly) throw unsupportedQuery();
  const members = world
    .groupMembers(request.tenantId, groupId)
    .filter((m) => !usersOnly || m.kind === 'user')
    .map((m): Record<string, unknown> => {
      // Members are directoryObjects: the live service marks each with its derived type.
      if (m.kind === 'user') return { '@odata.type': '#microsoft.graph.user', ...project(m.user.record, select, DEFAULT_USER_FIELDS) };
      const g = m.group.record as GroupRecord;
      return { '@odata.type': '#microsoft.graph.group', ...project(g, select, Object.keys(g)) };
    })
    .filter((m) => !search || search(m));
  const top = parseTop(request, { default: 100, max: 999 });
  const page = pageByOffset(request, services, 'members', members, top);
  const fragment = usersOnly ? (select ? `users(${select.join(',')})` : 'users') : 'directoryObjects';
  return json(listBody(request, services, fragment, page, members.length), '3');
}

// --- subscribedSkus, organization, domains -----------------------------------------------------

function subscribedSkus(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, PERMISSIONS.organization);
  if (queryValue(request, '$filter') !== undefined) throw unsupportedQuery('$filter is not supported on subscribedSkus.');
  const skus = services.world.subscribedSkus(request.tenantId);
  const select = parseSelect(request, fieldsOf(skus[0] ?? { id: '' }), 'microsoft.graph.subscribedSku');
  const fields = select ?? Object.keys(skus[0] ?? {});
  return json(
    { '@odata.context': contextUrl(services, request, 'subscribedSkus'), value: skus.map((s) => project(s, fields, fields)) },
    '3',
  );
}

function organization(request: GraphRequest, services: GraphServices, id: string | undefined): GraphResponse {
  const delegatedBasic = request.caller.kind === 'delegated' && request.caller.scopes.includes('User.Read');
  if (!delegatedBasic) authorize(request, services, PERMISSIONS.organization);
  const org = services.world.organization(request.tenantId);
  if (!org) throw objectNotFound(request.tenantId);
  if (id !== undefined && id.toLowerCase() !== org.id) throw objectNotFound(id);
  const select = parseSelect(request, fieldsOf(org), 'microsoft.graph.organization');
  const fields = select ?? Object.keys(org);
  const entity = project(org, fields, fields);
  if (id !== undefined) return json({ '@odata.context': contextUrl(services, request, 'organization/$entity'), ...entity });
  return json(
    { '@odata.context': contextUrl(services, request, select ? `organization(${select.join(',')})` : 'organization'), value: [entity] },
    '1',
  );
}

function domains(request: GraphRequest, services: GraphServices, id: string | undefined): GraphResponse {
  authorize(request, services, PERMISSIONS.domains);
  const list = services.world.domains(request.tenantId);
  if (id !== undefined) {
    const domain = list.find((d) => d.id === id.toLowerCase());
    if (!domain) throw objectNotFound(id);
    return json({ '@odata.context': contextUrl(services, request, 'domains/$entity'), ...domain });
  }
  const select = parseSelect(request, fieldsOf(list[0] ?? { id: '' }), 'microsoft.graph.domain');
  const fields = select ?? Object.keys(list[0] ?? {});
  return json({ '@odata.context': contextUrl(services, request, 'domains'), value: list.map((d) => project(d, fields, fields)) }, '1');
}

// --- partner-tenant lists ------------------------------------------------------------------------

const CONTRACT_FILTER: Readonly<Record<string, FilterProperty>> = {
  customerId: { ops: ['eq'] },
  defaultDomainName: { ops: ['eq', 'startswith'] },
  displayName: { ops: ['eq', 'startswith'] },
};

function contracts(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, PERMISSIONS.contracts);
  // Contracts exist only in a partner tenant; a customer tenant has none.
  const all = services.world.isPartnerTenant(request.tenantId) ? services.world.contracts() : [];
  const filter = compileFilter(request, CONTRACT_FILTER, 'Contract');
  const matching = filter ? all.filter((c) => evaluate(filter.node, c)) : all;
  const top = parseTop(request, { default: 100, max: 999 });
  const page = pageByOffset(request, services, 'contracts', matching, top);
  return json(listBody(request, services, 'contracts', page), '3');
}

const GDAP_FILTER: Readonly<Record<string, FilterProperty>> = {
  id: { ops: ['eq'] },
  status: { ops: ['eq', 'ne', 'in'] },
  displayName: { ops: ['eq', 'startswith'] },
  'customer/tenantId': { ops: ['eq'] },
  'customer/displayName': { ops: ['eq', 'startswith'] },
  tenantId: { ops: ['eq'] },
};

function gdapContext(services: GraphServices, request: GraphRequest, name: string): string {
  // GDAP lists use their own metadata path (examples/delegatedAdmin*.json).
  return `${services.graphBaseUrl()}/${request.version}/tenantRelationships/$metadata#${name}`;
}

function gdapList<T extends object>(request: GraphRequest, services: GraphServices, kind: string, items: T[]): GraphResponse {
  authorize(request, services, PERMISSIONS.gdap);
  const filter = compileFilter(
    { ...request, headers: { ...request.headers, consistencylevel: 'eventual' }, query: withCount(request.query) },
    GDAP_FILTER,
    kind,
  );
  const matching = filter ? items.filter((i) => evaluate(filter.node, i)) : items;
  const top = parseTop(request, { default: 300, max: 300 });
  const select = parseSelect(request, fieldsOf(items[0] ?? { id: '' }), `microsoft.graph.${kind}`);
  const page = pageByOffset(request, services, kind, matching, top);
  const body: Record<string, unknown> = { '@odata.context': gdapContext(services, request, `${kind}s`) };
  if (queryValue(request, '$count')?.toLowerCase() === 'true' && page.first) body['@odata.count'] = matching.length;
  if (page.nextLink) body['@odata.nextLink'] = page.nextLink;
  body.value = select
    ? page.page.map((i) => ({ '@odata.type': (i as Record<string, unknown>)['@odata.type'], ...project(i, select, select) }))
    : page.page;
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body };
}

function withCount(query: URLSearchParams): URLSearchParams {
  const copy = new URLSearchParams(query);
  copy.set('$count', 'true');
  return copy;
}

function relationships(request: GraphRequest, services: GraphServices): GraphResponse {
  const items = services.world.isPartnerTenant(request.tenantId) ? services.world.relationships() : [];
  return gdapList(request, services, 'delegatedAdminRelationship', items);
}

function relationship(request: GraphRequest, services: GraphServices, id: string): GraphResponse {
  authorize(request, services, PERMISSIONS.gdap);
  const rel = services.world.isPartnerTenant(request.tenantId) ? services.world.relationship(id) : undefined;
  if (!rel) throw new GraphError(404, 'NotFound', `The delegated admin relationship '${id}' was not found.`);
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: { '@odata.context': gdapContext(services, request, 'delegatedAdminRelationships/$entity'), ...rel },
  };
}

function accessAssignments(request: GraphRequest, services: GraphServices, id: string): GraphResponse {
  authorize(request, services, PERMISSIONS.gdap);
  const assignments = services.world.isPartnerTenant(request.tenantId) ? services.world.accessAssignments(id) : undefined;
  if (!assignments) throw new GraphError(404, 'NotFound', `The delegated admin relationship '${id}' was not found.`);
  const response = gdapList(request, services, 'accessAssignment', assignments);
  (response.body as Record<string, unknown>)['@odata.context'] = gdapContext(services, request, 'accessAssignments');
  return response;
}

function customers(request: GraphRequest, services: GraphServices): GraphResponse {
  const items = services.world.isPartnerTenant(request.tenantId) ? services.world.delegatedAdminCustomers() : [];
  return gdapList(request, services, 'delegatedAdminCustomer', items);
}

// --- Intune ----------------------------------------------------------------------------------

const DEVICE_FILTER: Readonly<Record<string, FilterProperty>> = {
  operatingSystem: { ops: ['eq', 'ne', 'startswith'] },
  deviceName: { ops: ['eq', 'ne', 'startswith'] },
  serialNumber: { ops: ['eq'] },
  userId: { ops: ['eq'] },
  userPrincipalName: { ops: ['eq', 'startswith'] },
  complianceState: { ops: ['eq', 'ne'] },
  managedDeviceOwnerType: { ops: ['eq'] },
  lastSyncDateTime: { ops: ['ge', 'le', 'gt', 'lt'] },
};

function requireIntune(request: GraphRequest, services: GraphServices): void {
  if (!services.world.hasIntune(request.tenantId)) {
    // Intune's Graph API needs an active Intune license (https://learn.microsoft.com/en-us/graph/api/resources/intune-graph-overview);
    // the error's shape is not documented. The live
    // service answers 400 with this message (general knowledge, unverified here).
    throw badRequest('Request not applicable to target tenant.');
  }
}

/** Intune's own permission check: its refusal is a 401 UnknownError around "Forbidden". */
function authorizeIntune(request: GraphRequest, services: GraphServices): void {
  if (!allowed(request, services, PERMISSIONS.devices)) throw intuneForbidden();
}

function managedDevices(request: GraphRequest, services: GraphServices): GraphResponse {
  authorizeIntune(request, services);
  requireIntune(request, services);
  const { world } = services;
  const devices = [];
  const slots = world.deviceSlotCount(request.tenantId);
  for (let slot = 0; slot < slots; slot++) {
    const d = world.deviceAt(request.tenantId, slot);
    if (d) devices.push(d);
  }
  const filter = compileFilter(
    { ...request, headers: { ...request.headers, consistencylevel: 'eventual' }, query: withCount(request.query) },
    DEVICE_FILTER,
    'managedDevice',
  );
  const matching = filter ? devices.filter((d) => evaluate(filter.node, d)) : devices;
  const select = parseSelect(request, fieldsOf(matching[0] ?? devices[0] ?? { id: '' }), 'microsoft.graph.managedDevice');
  // Intune pages at 1,000 (general knowledge; not documented on
  // https://learn.microsoft.com/en-us/graph/api/intune-devices-manageddevice-list).
  const top = parseTop(request, { default: 1000, max: 1000 });
  const page = pageByOffset(request, services, 'managedDevices', matching, top);
  const body: Record<string, unknown> = { '@odata.context': contextUrl(services, request, 'deviceManagement/managedDevices') };
  if (queryValue(request, '$count')?.toLowerCase() === 'true' && page.first) body['@odata.count'] = matching.length;
  if (page.nextLink) body['@odata.nextLink'] = page.nextLink;
  body.value = select ? page.page.map((d) => ({ '@odata.type': d['@odata.type'], ...project(d, select, select) })) : page.page;
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body };
}

function managedDevice(request: GraphRequest, services: GraphServices, id: string): GraphResponse {
  authorizeIntune(request, services);
  requireIntune(request, services);
  const device = services.world.device(request.tenantId, id);
  if (!device) throw new GraphError(404, 'ResourceNotFound', `{"_version": 3, "Message": "Resource not found: managedDevice ${id}"}`);
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: { '@odata.context': contextUrl(services, request, 'deviceManagement/managedDevices/$entity'), ...device },
  };
}

// --- /me/transitiveMemberOf ---------------------------------------------------------------------

/**
 * The signed-in user's groups, nested ones included (GET /me/transitiveMemberOf, cast to groups).
 * Delegated only: /me means nothing to an app-only token (Graph answers 400).
 */
function myGroups(request: GraphRequest, services: GraphServices): GraphResponse {
  const userId = request.caller.kind === 'app' ? null : request.caller.userId;
  if (!userId) throw badRequest('/me request is only valid with delegated authentication flow.');
  authorize(request, services, PERMISSIONS.groups);
  const { world } = services;
  const groups = world.groups(request.tenantId);
  const isMember = (groupId: string) =>
    world.groupMembers(request.tenantId, groupId).some((m) => m.kind === 'user' && m.user.record.id === userId);
  const direct = new Set(groups.filter((g) => isMember(g.record.id)).map((g) => g.record.id));
  // Groups holding one of the user's groups count too (transitive), to any depth.
  for (let grew = true; grew;) {
    grew = false;
    for (const g of groups) {
      if (!direct.has(g.record.id) && g.nestedGroupIds.some((id) => direct.has(id))) {
        direct.add(g.record.id);
        grew = true;
      }
    }
  }
  const select = queryValue(request, '$select')
    ?.split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const value = groups
    .filter((g) => direct.has(g.record.id))
    .map((g) => ({ '@odata.type': '#microsoft.graph.group', ...project(g.record, select, Object.keys(g.record)) }));
  const top = parseTop(request, { default: 100, max: 999 });
  const page = pageByOffset(request, services, 'memberOf', value, top);
  return json(listBody(request, services, 'groups', page), '3');
}

export const directoryRoutes: GraphRoute[] = [
  { method: 'GET', pattern: /^me\/transitiveMemberOf\/microsoft\.graph\.group$/, handler: (r, _m, s) => myGroups(r, s) },
  { method: 'GET', pattern: /^groups\/?$/, handler: (r, _m, s) => listGroups(r, s) },
  { method: 'GET', pattern: /^groups\/([^/]+)$/, handler: (r, m, s) => getGroup(r, s, m[1] as string) },
  { method: 'GET', pattern: /^groups\/([^/]+)\/members$/, handler: (r, m, s) => listMembers(r, s, m[1] as string, false) },
  {
    method: 'GET',
    pattern: /^groups\/([^/]+)\/members\/microsoft\.graph\.user$/,
    handler: (r, m, s) => listMembers(r, s, m[1] as string, true),
  },
  { method: 'GET', pattern: /^subscribedSkus\/?$/, handler: (r, _m, s) => subscribedSkus(r, s) },
  { method: 'GET', pattern: /^organization\/?$/, handler: (r, _m, s) => organization(r, s, undefined) },
  { method: 'GET', pattern: /^organization\/([^/]+)$/, handler: (r, m, s) => organization(r, s, m[1]) },
  { method: 'GET', pattern: /^domains\/?$/, handler: (r, _m, s) => domains(r, s, undefined) },
  { method: 'GET', pattern: /^domains\/([^/]+)$/, handler: (r, m, s) => domains(r, s, m[1]) },
  { method: 'GET', pattern: /^contracts\/?$/, handler: (r, _m, s) => contracts(r, s) },
  { method: 'GET', pattern: /^tenantRelationships\/delegatedAdminRelationships\/?$/, handler: (r, _m, s) => relationships(r, s) },
  {
    method: 'GET',
    pattern: /^tenantRelationships\/delegatedAdminRelationships\/([^/]+)$/,
    handler: (r, m, s) => relationship(r, s, m[1] as string),
  },
  {
    method: 'GET',
    pattern: /^tenantRelationships\/delegatedAdminRelationships\/([^/]+)\/accessAssignments$/,
    handler: (r, m, s) => accessAssignments(r, s, m[1] as string),
  },
  { method: 'GET', pattern: /^tenantRelationships\/delegatedAdminCustomers\/?$/, handler: (r, _m, s) => customers(r, s) },
  { method: 'GET', pattern: /^deviceManagement\/managedDevices\/?$/, handler: (r, _m, s) => managedDevices(r, s) },
  { method: 'GET', pattern: /^deviceManagement\/managedDevices\/([^/]+)$/, handler: (r, m, s) => managedDevice(r, s, m[1] as string) },
];
