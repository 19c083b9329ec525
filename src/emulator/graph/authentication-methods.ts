// GET /reports/authenticationMethods/userRegistrationDetails: each user's MFA registration
// (Microsoft Learn, "List userRegistrationDetails" and "userRegistrationDetails resource type").
// Permission: AuditLog.Read.All only, delegated or application ("Not available" higher), and in a
// delegated call a supported role (Reports Reader, Security Reader, Security Administrator, Global
// Reader): without them Graph answers 403 Authorization_RequestDenied. The report is an Entra ID
// P1/P2 feature ("Authentication Methods Activity: Permissions and licenses"); a tenant without it
// gets 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant, as for signInActivity (the code
// Microsoft's users report in microsoftgraph/microsoft-graph-docs-contrib issue 8777).
// Supports $filter (eq on the flags, userType, userPrincipalName) and nothing for paging besides
// the nextLink: the page size is not documented; 999 here, the directory lists' largest page.
//
// The registration of each user is derived from the world (stable for a seed): admins and
// members mostly registered, guests, shared mailboxes and rooms not. Tests change one user's
// registration with setRegistrationDetails (in process), as a user registering a method would.
import { createHash } from 'node:crypto';
import type { World, WorldUser } from '../world.ts';
import { contextUrl, type GraphRequest, type GraphResponse, type GraphRoute, type GraphServices } from './context.ts';
import { GraphError } from './errors.ts';
import { compileFilter, evaluate, parseTop, type FilterProperty } from './odata.ts';
import { pageByOffset } from './paging.ts';
import { authorize, PERMISSIONS } from './permissions.ts';

export interface UserRegistrationDetails {
  id: string;
  userPrincipalName: string;
  userDisplayName: string | null;
  isAdmin: boolean;
  isSsprRegistered: boolean;
  isSsprEnabled: boolean;
  isSsprCapable: boolean;
  isMfaRegistered: boolean;
  isMfaCapable: boolean;
  isPasswordlessCapable: boolean;
  lastUpdatedDateTime: string;
  methodsRegistered: string[];
  isSystemPreferredAuthenticationMethodEnabled: boolean;
  systemPreferredAuthenticationMethods: string[];
  userPreferredMethodForSecondaryAuthentication: string;
  userType: 'member' | 'guest';
}

const overrides = new WeakMap<World, Map<string, Partial<UserRegistrationDetails>>>();

/** Changes what the report says about one user (as if they registered or removed a method). */
export function setRegistrationDetails(world: World, tenantId: string, userId: string, change: Partial<UserRegistrationDetails>): void {
  let map = overrides.get(world);
  if (!map) overrides.set(world, (map = new Map()));
  const key = `${tenantId.toLowerCase()}|${userId.toLowerCase()}`;
  map.set(key, { ...map.get(key), ...change });
}

/** A number 0..99 that stays the same for a user across runs of one seed. */
function dice(id: string, salt: string): number {
  return createHash('sha256').update(`${salt}:${id}`).digest().readUInt16BE(0) % 100;
}

export function registrationDetailsOf(world: World, tenantId: string, user: WorldUser): UserRegistrationDetails {
  const { record, kind } = user;
  const guest = kind === 'guest';
  const isAdmin = kind === 'admin';
  // Shared mailboxes and rooms never sign in; half the admins and 70 % of the others registered.
  const registered =
    kind === 'shared' || kind === 'room'
      ? false
      : guest
        ? dice(record.id, 'guest') < 10
        : dice(record.id, isAdmin ? 'admin' : 'mfa') < (isAdmin ? 50 : 70);
  const methods = registered
    ? dice(record.id, 'methods') < 60
      ? ['microsoftAuthenticatorPush', 'softwareOneTimePasscode']
      : dice(record.id, 'methods') < 85
        ? ['mobilePhone']
        : ['fido2', 'microsoftAuthenticatorPush']
    : [];
  const preferred = methods.includes('microsoftAuthenticatorPush') ? 'push' : methods.includes('mobilePhone') ? 'sms' : '';
  const base: UserRegistrationDetails = {
    id: record.id,
    userPrincipalName: record.userPrincipalName,
    userDisplayName: record.displayName ?? null,
    isAdmin,
    isSsprRegistered: registered,
    isSsprEnabled: false,
    isSsprCapable: false,
    isMfaRegistered: registered,
    isMfaCapable: registered,
    isPasswordlessCapable: methods.includes('fido2'),
    lastUpdatedDateTime: new Date(world.anchor.getTime() - 86_400_000).toISOString(),
    methodsRegistered: methods,
    isSystemPreferredAuthenticationMethodEnabled: dice(record.id, 'system') < 50,
    systemPreferredAuthenticationMethods: preferred ? [preferred] : [],
    userPreferredMethodForSecondaryAuthentication: preferred,
    userType: guest ? 'guest' : 'member',
  };
  const change = overrides.get(world)?.get(`${tenantId.toLowerCase()}|${record.id.toLowerCase()}`);
  return change ? { ...base, ...change } : base;
}

const FLAG: FilterProperty = { ops: ['eq'] };
const REGISTRATION_FILTER: Readonly<Record<string, FilterProperty>> = {
  isAdmin: FLAG,
  isMfaRegistered: FLAG,
  isMfaCapable: FLAG,
  isPasswordlessCapable: FLAG,
  isSsprCapable: FLAG,
  isSsprEnabled: FLAG,
  isSsprRegistered: FLAG,
  userType: FLAG,
  userPrincipalName: { ops: ['eq', 'startswith'] },
  userDisplayName: { ops: ['eq', 'startswith'] },
};

function listUserRegistrationDetails(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, PERMISSIONS.auditLog);
  const { world } = services;
  if (!world.hasPremium(request.tenantId)) {
    throw new GraphError(
      403,
      'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
      "Neither tenant is B2C or tenant doesn't have premium license",
    );
  }
  // The filter needs no ConsistencyLevel here (not a directory advanced query).
  const filter = compileFilter(
    { ...request, headers: { ...request.headers, consistencylevel: 'eventual' }, query: withCount(request.query) },
    REGISTRATION_FILTER,
    'userRegistrationDetails',
  );
  const rows: UserRegistrationDetails[] = [];
  const slots = world.userSlotCount(request.tenantId);
  for (let slot = 0; slot < slots; slot++) {
    const user = world.userAt(request.tenantId, slot);
    if (!user) continue;
    const row = registrationDetailsOf(world, request.tenantId, user);
    if (!filter || evaluate(filter.node, row)) rows.push(row);
  }
  const top = parseTop(request, { default: 999, max: 999 });
  const page = pageByOffset(request, services, 'userRegistrationDetails', rows, top);
  const body: Record<string, unknown> = {
    '@odata.context': contextUrl(services, request, 'reports/authenticationMethods/userRegistrationDetails'),
  };
  if (page.nextLink) body['@odata.nextLink'] = page.nextLink;
  body.value = page.page;
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body };
}

function withCount(query: URLSearchParams): URLSearchParams {
  const copy = new URLSearchParams(query);
  copy.set('$count', 'true');
  return copy;
}

export const authenticationMethodsRoutes: GraphRoute[] = [
  {
    method: 'GET',
    pattern: /^reports\/authenticationMethods\/userRegistrationDetails\/?$/,
    handler: (r, _m, s) => listUserRegistrationDetails(r, s),
  },
];
