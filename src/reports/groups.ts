// The groups of a tenant for its groups page and API (issue 17): kind, users (nested groups
// included), and whether its integration excludes the group's members from the documentation.
// Exclude / re-include change the integration's excludeGroupIds (audited like any settings edit),
// picked from this list rather than typed as raw object ids.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { syncSettingsOf } from '../sync/settings.ts';
import { tenantGroups, type GroupRow } from '../stores/groups.ts';

export interface TenantGroupRow extends GroupRow {
  excluded: boolean;
}

export async function tenantGroupsReport(
  db: Kysely<Database>,
  tenant: { id: string; integration_id: string },
): Promise<{ items: TenantGroupRow[]; excludedGroupIds: string[] }> {
  const integration = await db.selectFrom('integrations').select('settings').where('id', '=', tenant.integration_id).executeTakeFirst();
  const excluded = syncSettingsOf(integration?.settings).excludeGroupIds;
  const wanted = new Set(excluded.map((id) => id.toLowerCase()));
  const items = (await tenantGroups(db, tenant.id)).map((g) => ({ ...g, excluded: wanted.has(g.groupId.toLowerCase()) }));
  return { items, excludedGroupIds: excluded };
}

/** The integration's excluded group ids with `groupId` added or taken out (case-insensitive, order kept). */
export function withGroupExcluded(current: string[], groupId: string, excluded: boolean): string[] {
  const rest = current.filter((id) => id.toLowerCase() !== groupId.toLowerCase());
  return excluded ? [...rest, groupId] : rest;
}
