// The groups of a tenant for its groups page and API (issue 17): kind, users (nested groups
// included), and whether its integration excludes the group's members from the documentation.
// Exclude / re-include change the integration's excludeGroupIds (audited like any settings edit),
// picked from this list rather than typed as raw object ids.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { syncSettingsOf } from '../sync/settings.ts';
import { groupsOfIntegrationByIds, tenantGroups, type GroupRow } from '../stores/groups.ts';
import { integrationSettings } from '../stores/tenants.ts';

export interface TenantGroupRow extends GroupRow {
  excluded: boolean;
}

export async function tenantGroupsReport(
  db: Kysely<Database>,
  tenant: { id: string; integration_id: string },
): Promise<{ items: TenantGroupRow[]; excludedGroupIds: string[] }> {
  const excluded = syncSettingsOf(await integrationSettings(db, tenant.integration_id)).excludeGroupIds;
  const wanted = new Set(excluded.map((id) => id.toLowerCase()));
  const items = (await tenantGroups(db, tenant.id)).map((g) => ({ ...g, excluded: wanted.has(g.groupId.toLowerCase()) }));
  return { items, excludedGroupIds: excluded };
}

/** The integration's excluded group ids with `groupId` added or taken out (case-insensitive, order kept). */
export function withGroupExcluded(current: string[], groupId: string, excluded: boolean): string[] {
  const rest = current.filter((id) => id.toLowerCase() !== groupId.toLowerCase());
  return excluded ? [...rest, groupId] : rest;
}

export interface ExcludedGroup {
  groupId: string;
  /** null: no synced tenant of the integration has this group (deleted, or a typo from before). */
  displayName: string | null;
  tenantId: string | null;
  tenantName: string | null;
}

/** The integration's excluded groups by name, with the tenant whose groups page re-includes each. */
export async function excludedGroupsOfIntegration(
  db: Kysely<Database>,
  integrationId: string,
  groupIds: string[],
): Promise<ExcludedGroup[]> {
  if (groupIds.length === 0) return [];
  const rows = await groupsOfIntegrationByIds(db, integrationId, groupIds);
  const byId = new Map(rows.map((r) => [r.group_id.toLowerCase(), r]));
  return groupIds.map((groupId) => {
    const row = byId.get(groupId.toLowerCase());
    return {
      groupId,
      displayName: row?.display_name ?? null,
      tenantId: row?.tenant_row_id ?? null,
      tenantName: row?.tenant_name ?? null,
    };
  });
}
