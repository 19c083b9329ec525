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

export function readGroup(graph: TenantGraph, groupId: string): Promise<{ id: string; displayName: string } | undefined> {
  return graph
    .get(`/groups/${encodeURIComponent(groupId)}?$select=id,displayName`, (raw) => {
      const g = raw as Record<string, unknown> | null;
      return g && typeof g.id === 'string'
        ? { ok: true, value: { id: g.id, displayName: String(g.displayName ?? g.id) } }
        : { ok: false, reason: 'a group without id' };
    })
    .catch((error: unknown) => {
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

export { isNotFound };
