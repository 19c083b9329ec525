// What the actions read and write in Microsoft, through docsync's one Graph client (token,
// pacing, Retry-After, error translation): a user's state, memberships, licences, domains.
// Every step reads the current state with these before it writes, which makes it idempotent.
import type { TenantGraph } from '../microsoft/graph-client.ts';
import { MicrosoftError } from '../microsoft/errors.ts';
import type { Parsed } from '../microsoft/resources.ts';

export interface MicrosoftUserState {
  id: string;
  displayName: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  userType: string;
  usageLocation: string | null;
  mail: string | null;
  skuIds: string[];
  lastPasswordChangeDateTime: string | null;
}

export interface SkuState {
  skuId: string;
  skuPartNumber: string;
  enabled: number;
  consumed: number;
}

const USER_SELECT =
  'id,displayName,userPrincipalName,accountEnabled,userType,usageLocation,mail,assignedLicenses,lastPasswordChangeDateTime';

function parseUser(raw: unknown): Parsed<MicrosoftUserState> {
  const u = raw as Record<string, unknown> | null;
  if (!u || typeof u.id !== 'string' || typeof u.userPrincipalName !== 'string')
    return { ok: false, reason: 'a user without id or userPrincipalName' };
  const licenses = Array.isArray(u.assignedLicenses) ? (u.assignedLicenses as Array<{ skuId?: unknown }>) : [];
  return {
    ok: true,
    value: {
      id: u.id,
      displayName: typeof u.displayName === 'string' ? u.displayName : u.userPrincipalName,
      userPrincipalName: u.userPrincipalName,
      accountEnabled: u.accountEnabled !== false,
      userType: typeof u.userType === 'string' ? u.userType : 'Member',
      usageLocation: typeof u.usageLocation === 'string' ? u.usageLocation : null,
      mail: typeof u.mail === 'string' ? u.mail : null,
      skuIds: licenses.map((l) => String(l.skuId ?? '').toLowerCase()).filter(Boolean),
      lastPasswordChangeDateTime: typeof u.lastPasswordChangeDateTime === 'string' ? u.lastPasswordChangeDateTime : null,
    },
  };
}

function list<T>(parse: (raw: unknown) => T | undefined) {
  return (raw: unknown): Parsed<T[]> => {
    const value = (raw as { value?: unknown } | null)?.value;
    if (!Array.isArray(value)) return { ok: false, reason: 'a list without value' };
    return { ok: true, value: value.map(parse).filter((v): v is T => v !== undefined) };
  };
}

const isNotFound = (error: unknown): boolean => error instanceof MicrosoftError && error.details.httpStatus === 404;

/** The user, or undefined when Microsoft says it does not exist (deleted). */
export async function readUser(graph: TenantGraph, idOrUpn: string): Promise<MicrosoftUserState | undefined> {
  try {
    return await graph.get(`/users/${encodeURIComponent(idOrUpn)}?$select=${USER_SELECT}`, parseUser);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function readDeletedUser(graph: TenantGraph, id: string): Promise<boolean> {
  try {
    await graph.get(`/directory/deletedItems/${encodeURIComponent(id)}`, (raw) => ({ ok: true, value: raw }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export interface Memberships {
  groups: Array<{ id: string; displayName: string }>;
  /** Entra roles the user holds (directoryRole items of memberOf): an administrator is protected. */
  directoryRoles: string[];
}

export async function readMemberships(graph: TenantGraph, userId: string): Promise<Memberships> {
  const items = await graph.get(
    `/users/${encodeURIComponent(userId)}/memberOf`,
    list((item) => {
      const o = item as Record<string, unknown>;
      if (typeof o?.id !== 'string') return undefined;
      return { type: String(o['@odata.type'] ?? ''), id: o.id, displayName: typeof o.displayName === 'string' ? o.displayName : o.id };
    }),
  );
  return {
    groups: items.filter((i) => i.type === '#microsoft.graph.group').map(({ id, displayName }) => ({ id, displayName })),
    directoryRoles: items.filter((i) => i.type === '#microsoft.graph.directoryRole').map((i) => i.displayName),
  };
}

export function readSkus(graph: TenantGraph): Promise<SkuState[]> {
  return graph.get(
    '/subscribedSkus',
    list((s) => {
      const sku = s as { skuId?: unknown; skuPartNumber?: unknown; prepaidUnits?: { enabled?: unknown }; consumedUnits?: unknown };
      if (typeof sku?.skuId !== 'string') return undefined;
      return {
        skuId: sku.skuId.toLowerCase(),
        skuPartNumber: String(sku.skuPartNumber ?? sku.skuId),
        enabled: Number(sku.prepaidUnits?.enabled ?? 0),
        consumed: Number(sku.consumedUnits ?? 0),
      };
    }),
  );
}

export function readVerifiedDomains(graph: TenantGraph): Promise<string[]> {
  return graph.get(
    '/domains',
    list((d) => {
      const domain = d as Record<string, unknown>;
      return domain?.isVerified === true && typeof domain.id === 'string' ? domain.id.toLowerCase() : undefined;
    }),
  );
}

/** A group as the onboarding picker and plan see it: what kind it is, and why docsync cannot add members (null: it can). */
export interface GroupChoice {
  id: string;
  displayName: string;
  description: string | null;
  kind: 'Microsoft 365' | 'Security' | 'Mail-enabled security' | 'Distribution list';
  notManageable: string | null;
}

const GROUP_SELECT = [
  'id',
  'displayName',
  'description',
  'groupTypes',
  'mailEnabled',
  'securityEnabled',
  'membershipRule',
  'onPremisesSyncEnabled',
];

function parseGroupChoice(raw: unknown): Parsed<GroupChoice> {
  const g = raw as Record<string, unknown> | null;
  if (!g || typeof g.id !== 'string') return { ok: false, reason: 'a group without id' };
  const types = Array.isArray(g.groupTypes) ? (g.groupTypes as unknown[]) : [];
  const unified = types.includes('Unified');
  const kind: GroupChoice['kind'] = unified
    ? 'Microsoft 365'
    : g.mailEnabled === true
      ? g.securityEnabled === true
        ? 'Mail-enabled security'
        : 'Distribution list'
      : 'Security';
  // Learn, "Overview of groups": only Microsoft 365 and security groups are managed through Graph;
  // mail-enabled security groups and distribution lists are Exchange's. A dynamic group's members
  // come from its rule, and a group synced from on-premises AD is changed there.
  let notManageable: string | null = null;
  if (types.includes('DynamicMembership') || (typeof g.membershipRule === 'string' && g.membershipRule))
    notManageable = 'a dynamic group (its rule decides who is in it)';
  else if (g.onPremisesSyncEnabled === true) notManageable = 'synced from on-premises Active Directory (change it there)';
  else if (kind === 'Mail-enabled security' || kind === 'Distribution list')
    notManageable =
      `a ${kind === 'Distribution list' ? 'distribution list' : 'mail-enabled security group'} ` +
      '(managed in Exchange, not through Microsoft Graph)';
  return {
    ok: true,
    value: {
      id: g.id,
      displayName: typeof g.displayName === 'string' && g.displayName ? g.displayName : g.id,
      description: typeof g.description === 'string' ? g.description : null,
      kind,
      notManageable,
    },
  };
}

/** Every group of the tenant, read now from Microsoft (paged), sorted by name. */
export async function listGroupChoices(graph: TenantGraph): Promise<GroupChoice[]> {
  const all: GroupChoice[] = [];
  for await (const page of graph.listAll({
    name: 'groups (picker)',
    path: '/groups',
    select: GROUP_SELECT,
    pageSize: 999,
    family: 'identity',
    parse: parseGroupChoice,
  }))
    all.push(...page);
  return all.sort((a, b) => a.displayName.localeCompare(b.displayName));
}

export function readGroup(graph: TenantGraph, groupId: string): Promise<GroupChoice | undefined> {
  return graph.get(`/groups/${encodeURIComponent(groupId)}?$select=${GROUP_SELECT.join(',')}`, parseGroupChoice).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
}

export function readAutoReplyStatus(graph: TenantGraph, userId: string): Promise<{ status: string; internalReplyMessage: string }> {
  return graph.get(`/users/${encodeURIComponent(userId)}/mailboxSettings`, (raw) => {
    const setting = (raw as { automaticRepliesSetting?: Record<string, unknown> } | null)?.automaticRepliesSetting;
    return {
      ok: true,
      value: { status: String(setting?.status ?? 'disabled'), internalReplyMessage: String(setting?.internalReplyMessage ?? '') },
    };
  });
}

/** A licensed user as the reclaim criteria read it from Microsoft at preview time. */
export interface LicensedUser {
  id: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  skuIds: string[];
  createdDateTime: string | null;
  /** The latest interactive or non-interactive sign-in; null when never (or not readable). */
  lastSignIn: string | null;
}

function parseLicensedUser(raw: unknown): Parsed<LicensedUser> {
  const u = raw as Record<string, unknown> | null;
  if (!u || typeof u.id !== 'string' || typeof u.userPrincipalName !== 'string') return { ok: false, reason: 'a user without id' };
  const licenses = Array.isArray(u.assignedLicenses) ? (u.assignedLicenses as Array<{ skuId?: unknown }>) : [];
  const activity = (u.signInActivity ?? null) as Record<string, unknown> | null;
  const times = [activity?.lastSignInDateTime, activity?.lastNonInteractiveSignInDateTime].filter(
    (t): t is string => typeof t === 'string' && Number.isFinite(Date.parse(t)),
  );
  return {
    ok: true,
    value: {
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      accountEnabled: u.accountEnabled !== false,
      skuIds: licenses.map((l) => String(l.skuId ?? '').toLowerCase()).filter(Boolean),
      createdDateTime: typeof u.createdDateTime === 'string' ? u.createdDateTime : null,
      lastSignIn: times.length ? times.reduce((a, b) => (Date.parse(a) > Date.parse(b) ? a : b)) : null,
    },
  };
}

/**
 * Every licensed user of the tenant, read now. With signIn, their sign-in activity too, which needs
 * AuditLog.Read.All and Entra ID P1/P2 (Graph pages it by 500 and answers 403 without them):
 * `signInReadable` says whether it came.
 */
export async function readLicensedUsers(graph: TenantGraph, signIn: boolean): Promise<{ users: LicensedUser[]; signInReadable: boolean }> {
  const select = ['id', 'userPrincipalName', 'accountEnabled', 'assignedLicenses', 'createdDateTime'];
  const read = async (withSignIn: boolean) => {
    const users: LicensedUser[] = [];
    for await (const page of graph.listAll({
      name: 'users (licence reclaim)',
      path: '/users',
      select: withSignIn ? [...select, 'signInActivity'] : select,
      pageSize: withSignIn ? 500 : 999,
      family: 'identity',
      parse: parseLicensedUser,
    }))
      users.push(...page.filter((u) => u.skuIds.length > 0));
    return users;
  };
  if (!signIn) return { users: await read(false), signInReadable: false };
  try {
    return { users: await read(true), signInReadable: true };
  } catch (error) {
    if (!(error instanceof MicrosoftError) || error.code !== 'permission_missing') throw error;
    return { users: await read(false), signInReadable: false };
  }
}

export { isNotFound };
