// groups/delta with members@delta (https://learn.microsoft.com/en-us/graph/api/group-delta and
// "Get incremental changes for groups"): the groups of a tenant and their direct members, then
// only what changed. `$select=…,members` asks for membership changes; each member comes as
// {"@odata.type","id"} (added, or present in a first round) or with "@removed" (no longer a
// member). A big group may come on several pages, each with more of its members.
import type { GraphResource, Parsed } from './resources.ts';

export const GROUP_DELTA_SELECT = ['id', 'displayName', 'description', 'groupTypes', 'mail', 'mailEnabled', 'securityEnabled', 'members'];

export interface GraphGroupMemberChange {
  id: string;
  /** "user", "group", "device", "orgContact", "servicePrincipal"… from @odata.type. */
  type: string;
  removed: boolean;
}

export interface GraphGroupChange {
  id: string;
  displayName: string | null;
  description: string | null;
  groupTypes: string[];
  mail: string | null;
  mailEnabled: boolean | null;
  securityEnabled: boolean | null;
  members: GraphGroupMemberChange[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown) => (typeof v === 'string' ? v : null);
const flag = (v: unknown) => (typeof v === 'boolean' ? v : null);

export function parseGroupChange(raw: unknown): Parsed<GraphGroupChange> {
  if (!isObject(raw) || typeof raw.id !== 'string' || raw.id === '') return { ok: false, reason: 'group change: id is missing' };
  const members: GraphGroupMemberChange[] = [];
  const delta = raw['members@delta'];
  if (delta !== undefined && !Array.isArray(delta)) return { ok: false, reason: `group ${raw.id}: members@delta is not a list` };
  for (const m of Array.isArray(delta) ? delta : []) {
    if (!isObject(m) || typeof m.id !== 'string') continue;
    const type = (text(m['@odata.type']) ?? '#microsoft.graph.directoryObject').replace(/^#microsoft\.graph\./, '');
    members.push({ id: m.id, type, removed: '@removed' in m });
  }
  return {
    ok: true,
    value: {
      id: raw.id,
      displayName: text(raw.displayName),
      description: text(raw.description),
      groupTypes: Array.isArray(raw.groupTypes) ? raw.groupTypes.filter((t): t is string => typeof t === 'string') : [],
      mail: text(raw.mail),
      mailEnabled: flag(raw.mailEnabled),
      securityEnabled: flag(raw.securityEnabled),
      members,
    },
  };
}

export const groupsDeltaResource: GraphResource<GraphGroupChange> = {
  name: 'groups (delta)',
  path: '/groups/delta',
  select: GROUP_DELTA_SELECT,
  family: 'identity',
  parse: parseGroupChange,
};

/**
 * The kind of group, from Microsoft Learn "Working with groups in Microsoft Graph": Unified =
 * Microsoft 365; otherwise security-enabled without mail = security, with mail = mail-enabled
 * security; mail-enabled without security = distribution.
 */
export function groupTypeOf(g: { groupTypes: string[]; mailEnabled: boolean | null; securityEnabled: boolean | null }) {
  if (g.groupTypes.some((t) => t.toLowerCase() === 'unified')) return 'microsoft365' as const;
  if (g.securityEnabled && g.mailEnabled) return 'mail_security' as const;
  if (g.securityEnabled) return 'security' as const;
  if (g.mailEnabled) return 'distribution' as const;
  return 'other' as const;
}
