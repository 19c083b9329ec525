// The write side of Graph for users, licences, group membership and mailbox settings, as
// Microsoft Learn documents each call (request shape, status, error code and message):
//   POST   /users                                   201 + user          (user-post-users)
//   PATCH  /users/{id}                              204                 (user-update)
//   DELETE /users/{id}                              204, soft delete    (user-delete)
//   GET    /directory/deletedItems/microsoft.graph.user, /{id};  POST /{id}/restore → 200 + user
//   POST   /users/{id}/revokeSignInSessions         200 {"value":true}  (user-revokesigninsessions)
//   POST   /users/{id}/assignLicense                200 + user          (user-assignlicense)
//   GET    /users/{id}/memberOf                     200 directoryObjects
//   POST   /groups/{id}/members/$ref                204                 (group-post-members)
//   DELETE /groups/{id}/members/{userId}/$ref       204                 (group-delete-members)
//   GET|PATCH /users/{id}/mailboxSettings           200 + settings      (user-update-mailboxsettings)
// Permission = a delegated scope ∩ the partner's GDAP roles (permissions.ts); an administrator's
// password, sign-in state or account may only be changed with Global Administrator or
// Privileged Authentication Administrator ("Who can reset passwords", Learn). Every user change
// goes through the world, so it shows in the next users/delta page.

import { PRIVILEGED_PASSWORD_ROLES, ROLES } from '../world/catalog.ts';
import type { UserRecord, World, WorldUser } from '../world.ts';
import { contextUrl, ODATA_JSON, type GraphRequest, type GraphResponse, type GraphRoute, type GraphServices } from './context.ts';
import { badRequest, GraphError, insufficientPrivileges, objectNotFound } from './errors.ts';
import { project } from './odata.ts';
import { authorize } from './permissions.ts';
import { DEFAULT_USER_FIELDS, findUser } from './users.ts';

const WRITE = {
  users: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
  password: ['User-PasswordProfile.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  revoke: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  licenses: ['LicenseAssignment.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  members: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  mailboxRead: ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'],
  mailboxWrite: ['MailboxSettings.ReadWrite'],
  read: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
} as const;

/** What the emulator keeps besides the user record: passwords (to check a reset) and mailbox settings. */
interface WriteState {
  passwords: Map<string, { password: string; forceChangePasswordNextSignIn: boolean }>;
  sessionsRevokedAt: Map<string, string>;
  mailboxSettings: Map<string, AutomaticReplies>;
}
interface AutomaticReplies {
  status: 'disabled' | 'alwaysEnabled' | 'scheduled';
  externalAudience: 'none' | 'contactsOnly' | 'all';
  internalReplyMessage: string;
  externalReplyMessage: string;
}
const writeStates = new WeakMap<World, WriteState>();
function writeState(world: World): WriteState {
  let state = writeStates.get(world);
  if (!state) writeStates.set(world, (state = { passwords: new Map(), sessionsRevokedAt: new Map(), mailboxSettings: new Map() }));
  return state;
}

/** For tests and the demo: what the emulator knows of a user's password and sessions. */
export function emulatedCredentials(
  world: World,
  tenantId: string,
  userId: string,
): { password?: string; forceChange?: boolean; sessionsRevokedAt?: string } {
  const state = writeState(world);
  const key = `${tenantId}|${userId.toLowerCase()}`;
  const password = state.passwords.get(key);
  return {
    password: password?.password,
    forceChange: password?.forceChangePasswordNextSignIn,
    sessionsRevokedAt: state.sessionsRevokedAt.get(key),
  };
}

const ALL_OPTIONAL_USER_PROPERTIES = new Set([
  'displayName',
  'givenName',
  'surname',
  'jobTitle',
  'department',
  'companyName',
  'officeLocation',
  'mobilePhone',
  'businessPhones',
  'usageLocation',
  'employeeId',
  'city',
  'country',
  'preferredLanguage',
  'mailNickname',
  'otherMails',
]);
const CREATE_ONLY = new Set(['userPrincipalName', 'passwordProfile', 'accountEnabled', 'mailNickname']);
const COUNTRY = /^[A-Z]{2}$/;

function bodyObject(request: GraphRequest): Record<string, unknown> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('Empty Payload. JSON content expected.');
  return body as Record<string, unknown>;
}

function needUser(request: GraphRequest, services: GraphServices, idOrUpn: string): WorldUser {
  const user = findUser(services, request.tenantId, idOrUpn);
  if (!user) throw objectNotFound(idOrUpn);
  return user;
}

/** The caller's GDAP roles in this customer tenant; undefined when no role check applies (app-only, own tenant). */
function gdapRoles(request: GraphRequest, services: GraphServices): string[] | undefined {
  const { caller } = request;
  if (caller.kind === 'app' || !caller.userId || services.world.isPartnerTenant(request.tenantId)) return undefined;
  if (services.world.user(request.tenantId, caller.userId)) return undefined;
  const access = services.world.gdapAccess(request.tenantId, caller.userId);
  return access.ok ? access.roleDefinitionIds : [];
}

/** Changing an administrator's password, sign-in or account needs a privileged role (Learn: "Who can reset passwords"). */
function authorizePrivilegedTarget(request: GraphRequest, services: GraphServices, target: WorldUser): void {
  if (target.kind !== 'admin') return;
  const roles = gdapRoles(request, services);
  if (roles && !roles.some((r) => PRIVILEGED_PASSWORD_ROLES.includes(r))) throw insufficientPrivileges();
}

/** Entra's default password policy: 8–256 characters, three of four character classes. */
function checkPasswordComplexity(password: unknown): string {
  const classes = typeof password === 'string' ? [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length : 0;
  if (typeof password !== 'string' || password.length < 8 || password.length > 256 || classes < 3) {
    throw badRequest(
      'The specified password does not comply with password complexity requirements. Please provide a different password.',
      'Request_BadRequest',
    );
  }
  return password;
}

function checkProperties(body: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(body)) {
    if (key.startsWith('@odata.')) continue;
    if (!allowed.has(key))
      throw badRequest(`Property '${key}' does not exist on type 'microsoft.graph.user' or cannot be changed.`, 'Request_BadRequest');
  }
  if (
    body.usageLocation !== undefined &&
    body.usageLocation !== null &&
    (typeof body.usageLocation !== 'string' || !COUNTRY.test(body.usageLocation))
  ) {
    throw badRequest("Invalid value specified for property 'usageLocation' of resource 'User'.", 'Request_BadRequest');
  }
  for (const key of ['displayName', 'givenName', 'surname', 'jobTitle', 'department']) {
    const value = body[key];
    if (value !== undefined && value !== null && typeof value !== 'string')
      throw badRequest(`Invalid value specified for property '${key}' of resource 'User'.`, 'Request_BadRequest');
  }
}

function userBody(request: GraphRequest, services: GraphServices, record: UserRecord): Record<string, unknown> {
  return { '@odata.context': contextUrl(services, request, 'users/$entity'), ...project(record, undefined, DEFAULT_USER_FIELDS) };
}

function createUser(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, WRITE.users);
  const body = bodyObject(request);
  checkProperties(body, new Set([...ALL_OPTIONAL_USER_PROPERTIES, ...CREATE_ONLY]));
  for (const required of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile']) {
    if (body[required] === undefined || body[required] === null || body[required] === '') {
      throw badRequest(`Invalid value specified for property '${required}' of resource 'User'.`, 'Request_BadRequest');
    }
  }
  const upn = String(body.userPrincipalName);
  const domain = upn.split('@')[1]?.toLowerCase();
  const verified = services.world
    .domains(request.tenantId)
    .filter((d) => d.isVerified)
    .map((d) => d.id.toLowerCase());
  if (!domain || !verified.includes(domain)) {
    throw badRequest(
      'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your ' +
        'organization.',
      'Request_BadRequest',
    );
  }
  if (findUser(services, request.tenantId, upn)) {
    throw badRequest('Another object with the same value for property userPrincipalName already exists.', 'Request_BadRequest');
  }
  const profile = body.passwordProfile as { password?: unknown; forceChangePasswordNextSignIn?: unknown };
  const password = checkPasswordComplexity(profile?.password);
  const { world, clock } = services;
  const created = world.addUser(request.tenantId, {
    displayName: String(body.displayName),
    givenName: (body.givenName as string | undefined) ?? null,
    surname: (body.surname as string | undefined) ?? null,
    userPrincipalName: upn,
    mail: null,
    kind: 'member',
    accountEnabled: body.accountEnabled === true,
    skuIds: [],
  });
  const record = world.updateUser(request.tenantId, created.id, {
    mailNickname: String(body.mailNickname),
    jobTitle: (body.jobTitle as string | undefined) ?? null,
    department: (body.department as string | undefined) ?? null,
    usageLocation: (body.usageLocation as string | undefined) ?? null,
    employeeId: (body.employeeId as string | undefined) ?? null,
    officeLocation: (body.officeLocation as string | undefined) ?? null,
    mobilePhone: (body.mobilePhone as string | undefined) ?? null,
    businessPhones: Array.isArray(body.businessPhones) ? (body.businessPhones as string[]) : [],
    companyName: null,
    city: null,
    country: null,
    lastPasswordChangeDateTime: clock.now().toISOString().slice(0, 19) + 'Z',
  });
  writeState(world).passwords.set(`${request.tenantId}|${record.id}`, {
    password,
    forceChangePasswordNextSignIn: profile.forceChangePasswordNextSignIn !== false,
  });
  return {
    status: 201,
    headers: { 'Content-Type': ODATA_JSON, Location: `${services.graphBaseUrl()}/v1.0/users/${record.id}` },
    body: userBody(request, services, record),
  };
}

function updateUser(request: GraphRequest, services: GraphServices, idOrUpn: string): GraphResponse {
  const body = bodyObject(request);
  checkProperties(body, new Set([...ALL_OPTIONAL_USER_PROPERTIES, 'accountEnabled', 'passwordProfile', 'userPrincipalName']));
  const changesPassword = body.passwordProfile !== undefined;
  const others = Object.keys(body).filter((k) => k !== 'passwordProfile' && !k.startsWith('@odata.'));
  if (changesPassword) authorize(request, services, WRITE.password);
  if (others.length > 0 || !changesPassword) authorize(request, services, WRITE.users);
  const user = needUser(request, services, idOrUpn);
  if (changesPassword || body.accountEnabled !== undefined || body.userPrincipalName !== undefined)
    authorizePrivilegedTarget(request, services, user);
  if (body.accountEnabled !== undefined && typeof body.accountEnabled !== 'boolean') {
    throw badRequest("Invalid value specified for property 'accountEnabled' of resource 'User'.", 'Request_BadRequest');
  }
  const { world, clock } = services;
  const patch: Partial<UserRecord> = {};
  for (const key of others) (patch as Record<string, unknown>)[key] = body[key];
  if (changesPassword) {
    const profile = body.passwordProfile as { password?: unknown; forceChangePasswordNextSignIn?: unknown } | null;
    const password = checkPasswordComplexity(profile?.password);
    writeState(world).passwords.set(`${request.tenantId}|${user.record.id}`, {
      password,
      forceChangePasswordNextSignIn: profile?.forceChangePasswordNextSignIn === true,
    });
    patch.lastPasswordChangeDateTime = clock.now().toISOString().slice(0, 19) + 'Z';
  }
  world.updateUser(request.tenantId, user.record.id, patch);
  return { status: 204 };
}

function deleteUser(request: GraphRequest, services: GraphServices, idOrUpn: string): GraphResponse {
  authorize(request, services, WRITE.users);
  const user = needUser(request, services, idOrUpn);
  authorizePrivilegedTarget(request, services, user);
  services.world.deleteUser(request.tenantId, user.record.id);
  return { status: 204 };
}

function deletedUsers(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, WRITE.read);
  const value = services.world
    .deletedUsers(request.tenantId)
    .map((u) => ({ '@odata.type': '#microsoft.graph.user', ...project(u.record, undefined, [...DEFAULT_USER_FIELDS, 'deletedDateTime']) }));
  return {
    status: 200,
    headers: { 'Content-Type': ODATA_JSON },
    body: { '@odata.context': contextUrl(services, request, 'directory/deletedItems/microsoft.graph.user'), value },
  };
}

function deletedUser(request: GraphRequest, services: GraphServices, id: string): GraphResponse {
  authorize(request, services, WRITE.read);
  const user = services.world.deletedUsers(request.tenantId).find((u) => u.record.id === id.toLowerCase());
  if (!user) throw objectNotFound(id);
  return {
    status: 200,
    headers: { 'Content-Type': ODATA_JSON },
    body: {
      '@odata.context': contextUrl(services, request, 'directory/deletedItems/$entity'),
      '@odata.type': '#microsoft.graph.user',
      ...project(user.record, undefined, [...DEFAULT_USER_FIELDS, 'deletedDateTime']),
    },
  };
}

function restoreUser(request: GraphRequest, services: GraphServices, id: string): GraphResponse {
  authorize(request, services, WRITE.users);
  if (!services.world.deletedUsers(request.tenantId).some((u) => u.record.id === id.toLowerCase())) throw objectNotFound(id);
  const record = services.world.restoreUser(request.tenantId, id);
  return {
    status: 200,
    headers: { 'Content-Type': ODATA_JSON },
    body: {
      '@odata.context': contextUrl(services, request, 'directoryObjects/$entity'),
      '@odata.type': '#microsoft.graph.user',
      ...project(record, undefined, DEFAULT_USER_FIELDS),
    },
  };
}

function revokeSessions(request: GraphRequest, services: GraphServices, idOrUpn: string): GraphResponse {
  authorize(request, services, WRITE.revoke);
  const user = needUser(request, services, idOrUpn);
  authorizePrivilegedTarget(request, services, user);
  writeState(services.world).sessionsRevokedAt.set(`${request.tenantId}|${user.record.id}`, services.clock.now().toISOString());
  return {
    status: 200,
    headers: { 'Content-Type': ODATA_JSON },
    body: { '@odata.context': contextUrl(services, request, 'Edm.Boolean'), value: true },
  };
}

function assignLicense(request: GraphRequest, services: GraphServices, idOrUpn: string): GraphResponse {
  authorize(request, services, WRITE.licenses);
  const body = bodyObject(request);
  const add = body.addLicenses;
  const remove = body.removeLicenses;
  if (!Array.isArray(add) || !Array.isArray(remove)) {
    throw badRequest(
      "Invalid value specified for property 'addLicenses' or 'removeLicenses'; both are required (send [] for none).",
      'Request_BadRequest',
    );
  }
  const user = needUser(request, services, idOrUpn);
  const { world } = services;
  const skus = world.subscribedSkus(request.tenantId);
  const current = user.record.assignedLicenses;
  let next = [...current];
  for (const skuId of remove) {
    const id = String(skuId).toLowerCase();
    if (!skus.some((s) => s.skuId === id))
      throw badRequest(`License ${skuId} does not correspond to a valid company License.`, 'Request_BadRequest');
    if (!next.some((l) => l.skuId === id)) throw badRequest(`User does not have a corresponding license ${skuId}.`, 'Request_BadRequest');
    next = next.filter((l) => l.skuId !== id);
  }
  for (const entry of add) {
    const id = String((entry as { skuId?: unknown })?.skuId ?? '').toLowerCase();
    const sku = skus.find((s) => s.skuId === id);
    if (!sku) throw badRequest(`License ${id || 'null'} does not correspond to a valid company License.`, 'Request_BadRequest');
    if (!user.record.usageLocation)
      throw badRequest('License assignment cannot be done for user with invalid usage location.', 'Request_BadRequest');
    if (next.some((l) => l.skuId === id)) continue;
    if (sku.consumedUnits >= sku.prepaidUnits.enabled)
      throw badRequest(`Subscription with SKU ${id} does not have any available licenses.`, 'Request_BadRequest');
    const disabledPlans = Array.isArray((entry as { disabledPlans?: unknown }).disabledPlans)
      ? (entry as { disabledPlans: string[] }).disabledPlans
      : [];
    next.push({ disabledPlans, skuId: id });
  }
  const hasExchange = (licenses: typeof next) =>
    licenses.some((l) =>
      skus
        .find((s) => s.skuId === l.skuId)
        ?.servicePlans.some((p) => p.servicePlanName.startsWith('EXCHANGE_S_') && p.servicePlanName !== 'EXCHANGE_S_FOUNDATION'),
    );
  const patch: Partial<UserRecord> = { assignedLicenses: next };
  // A mailbox comes with an Exchange licence: mail and the primary SMTP address appear then.
  if (!user.record.mail && hasExchange(next))
    Object.assign(patch, { mail: user.record.userPrincipalName, proxyAddresses: [`SMTP:${user.record.userPrincipalName}`] });
  const record = world.updateUser(request.tenantId, user.record.id, patch);
  return { status: 200, headers: { 'Content-Type': ODATA_JSON }, body: userBody(request, services, record) };
}

function memberOf(request: GraphRequest, services: GraphServices, idOrUpn: string): GraphResponse {
  authorize(request, services, WRITE.read);
  authorize(request, services, [
    'GroupMember.Read.All',
    'Group.Read.All',
    'Directory.Read.All',
    'GroupMember.ReadWrite.All',
    'Group.ReadWrite.All',
    'Directory.ReadWrite.All',
  ]);
  const user = needUser(request, services, idOrUpn);
  const { world } = services;
  const value = world
    .groups(request.tenantId)
    .filter((g) => world.groupMembers(request.tenantId, g.record.id).some((m) => m.kind === 'user' && m.user.record.id === user.record.id))
    .map((g): Record<string, unknown> => ({ '@odata.type': '#microsoft.graph.group', ...g.record }));
  // Role holders also list their directory roles (Learn: user-list-memberof, directoryRole items).
  if (user.kind === 'admin') {
    value.push({
      '@odata.type': '#microsoft.graph.directoryRole',
      id: `role-${ROLES.globalAdministrator}`,
      displayName: 'Global Administrator',
      roleTemplateId: ROLES.globalAdministrator,
    });
  }
  return {
    status: 200,
    headers: { 'Content-Type': ODATA_JSON },
    body: { '@odata.context': contextUrl(services, request, 'directoryObjects'), value },
  };
}

function addMember(request: GraphRequest, services: GraphServices, groupId: string): GraphResponse {
  authorize(request, services, WRITE.members);
  const { world } = services;
  const group = world.group(request.tenantId, groupId);
  if (!group) throw objectNotFound(groupId);
  const ref = bodyObject(request)['@odata.id'];
  const memberId = typeof ref === 'string' ? /directoryObjects\/([0-9a-f-]{36})$/i.exec(ref)?.[1] : undefined;
  if (!memberId) throw badRequest("Invalid object identifier ''.", 'Request_BadRequest');
  const user = world.user(request.tenantId, memberId);
  if (!user) throw objectNotFound(memberId);
  if (world.groupMembers(request.tenantId, group.record.id).some((m) => m.kind === 'user' && m.user.record.id === user.record.id)) {
    throw badRequest(
      "One or more added object references already exist for the following modified properties: 'members'.",
      'Request_BadRequest',
    );
  }
  world.setGroupMember(request.tenantId, group.record.id, user.record.id, true);
  return { status: 204 };
}

function removeMember(request: GraphRequest, services: GraphServices, groupId: string, memberId: string): GraphResponse {
  authorize(request, services, WRITE.members);
  const { world } = services;
  const group = world.group(request.tenantId, groupId);
  if (!group) throw objectNotFound(groupId);
  const isMember = world
    .groupMembers(request.tenantId, group.record.id)
    .some((m) => m.kind === 'user' && m.user.record.id === memberId.toLowerCase());
  if (!isMember) throw objectNotFound(memberId);
  world.setGroupMember(request.tenantId, group.record.id, memberId, false);
  return { status: 204 };
}

function mailboxOf(request: GraphRequest, services: GraphServices, idOrUpn: string): { user: WorldUser; key: string } {
  const user = needUser(request, services, idOrUpn);
  if (!user.record.mail) {
    // Learn: a user without an Exchange Online mailbox answers this code.
    throw new GraphError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');
  }
  return { user, key: `${request.tenantId}|${user.record.id}` };
}

const DEFAULT_REPLIES: AutomaticReplies = {
  status: 'disabled',
  externalAudience: 'all',
  internalReplyMessage: '',
  externalReplyMessage: '',
};

function mailboxBody(request: GraphRequest, services: GraphServices, replies: AutomaticReplies): Record<string, unknown> {
  return {
    '@odata.context': contextUrl(services, request, `users('${request.path.split('/')[1]}')/mailboxSettings`),
    automaticRepliesSetting: { ...replies, scheduledStartDateTime: null, scheduledEndDateTime: null },
    timeZone: 'UTC',
  };
}

function getMailboxSettings(request: GraphRequest, services: GraphServices, idOrUpn: string): GraphResponse {
  authorize(request, services, WRITE.mailboxRead);
  const { key } = mailboxOf(request, services, idOrUpn);
  return {
    status: 200,
    headers: { 'Content-Type': ODATA_JSON },
    body: mailboxBody(request, services, writeState(services.world).mailboxSettings.get(key) ?? DEFAULT_REPLIES),
  };
}

function updateMailboxSettings(request: GraphRequest, services: GraphServices, idOrUpn: string): GraphResponse {
  authorize(request, services, WRITE.mailboxWrite);
  const body = bodyObject(request);
  const { key } = mailboxOf(request, services, idOrUpn);
  const state = writeState(services.world);
  const current = state.mailboxSettings.get(key) ?? DEFAULT_REPLIES;
  const given = body.automaticRepliesSetting as Partial<AutomaticReplies> | undefined;
  if (given === undefined) return { status: 200, headers: { 'Content-Type': ODATA_JSON }, body: mailboxBody(request, services, current) };
  if (typeof given !== 'object' || given === null) throw badRequest("Invalid value for 'automaticRepliesSetting'.", 'ErrorInvalidRequest');
  if (given.status !== undefined && !['disabled', 'alwaysEnabled', 'scheduled'].includes(given.status)) {
    throw badRequest(`Requested value '${String(given.status)}' was not found.`, 'RequestBodyRead');
  }
  const next: AutomaticReplies = {
    status: given.status ?? current.status,
    externalAudience: given.externalAudience ?? current.externalAudience,
    internalReplyMessage: typeof given.internalReplyMessage === 'string' ? given.internalReplyMessage : current.internalReplyMessage,
    externalReplyMessage: typeof given.externalReplyMessage === 'string' ? given.externalReplyMessage : current.externalReplyMessage,
  };
  state.mailboxSettings.set(key, next);
  return { status: 200, headers: { 'Content-Type': ODATA_JSON }, body: mailboxBody(request, services, next) };
}

export const userWriteRoutes: GraphRoute[] = [
  { method: 'POST', pattern: /^users\/?$/, handler: (r, _m, s) => createUser(r, s) },
  { method: 'PATCH', pattern: /^users\/([^/]+)$/, handler: (r, m, s) => updateUser(r, s, m[1] as string) },
  { method: 'DELETE', pattern: /^users\/([^/]+)$/, handler: (r, m, s) => deleteUser(r, s, m[1] as string) },
  { method: 'POST', pattern: /^users\/([^/]+)\/revokeSignInSessions$/, handler: (r, m, s) => revokeSessions(r, s, m[1] as string) },
  { method: 'POST', pattern: /^users\/([^/]+)\/assignLicense$/, handler: (r, m, s) => assignLicense(r, s, m[1] as string) },
  { method: 'GET', pattern: /^users\/([^/]+)\/memberOf$/, handler: (r, m, s) => memberOf(r, s, m[1] as string) },
  { method: 'GET', pattern: /^users\/([^/]+)\/mailboxSettings$/, handler: (r, m, s) => getMailboxSettings(r, s, m[1] as string) },
  { method: 'PATCH', pattern: /^users\/([^/]+)\/mailboxSettings$/, handler: (r, m, s) => updateMailboxSettings(r, s, m[1] as string) },
  { method: 'GET', pattern: /^directory\/deletedItems\/microsoft\.graph\.user$/, handler: (r, _m, s) => deletedUsers(r, s) },
  { method: 'GET', pattern: /^directory\/deletedItems\/([0-9a-fA-F-]{36})$/, handler: (r, m, s) => deletedUser(r, s, m[1] as string) },
  {
    method: 'POST',
    pattern: /^directory\/deletedItems\/([0-9a-fA-F-]{36})\/restore$/,
    handler: (r, m, s) => restoreUser(r, s, m[1] as string),
  },
  { method: 'POST', pattern: /^groups\/([^/]+)\/members\/\$ref$/, handler: (r, m, s) => addMember(r, s, m[1] as string) },
  {
    method: 'DELETE',
    pattern: /^groups\/([^/]+)\/members\/([^/]+)\/\$ref$/,
    handler: (r, m, s) => removeMember(r, s, m[1] as string, m[2] as string),
  },
];
