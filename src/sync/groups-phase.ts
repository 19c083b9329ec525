// The groups step of a tenant sync (issue 17): groups/delta with members@delta, the first page
// in the sync's $batch. A new round lists every group and its direct members; later rounds bring
// only what changed (nothing changed: an empty page and no row written). The round is applied
// only once read to its end; a failure changes nothing and ends the run partial; Microsoft's 410
// (the feed expired) starts a new round at once.
import type { Kysely } from 'kysely';
import type { Database, Tenant } from '../db/schema.ts';
import { isMicrosoftError } from '../microsoft/errors.ts';
import { applyGroupChanges, resetGroupsDeltaLink, type GroupWrites } from '../stores/groups.ts';
import type { SyncLogEntry } from './sync-log.ts';
import type { TenantSource } from '../microsoft/tenant-reader.ts';

export { groupsDeltaLinkOf } from '../stores/groups.ts';

export async function syncGroups(
  deps: { db: Kysely<Database>; now: () => Date; signal?: AbortSignal },
  input: { tenant: Tenant; source: TenantSource; deltaLink: string | null },
): Promise<{ failed: boolean; log: SyncLogEntry[]; writes: GroupWrites | null }> {
  const { db, now } = deps;
  const { tenant, source } = input;
  if (!source.groupChanges) return { failed: false, log: [], writes: null };
  const read = async (link: string | null) => applyGroupChanges(db, tenant.id, await source.groupChanges!(link), now());
  try {
    try {
      return { failed: false, log: [], writes: await read(input.deltaLink) };
    } catch (error) {
      if (!isMicrosoftError(error) || error.code !== 'resync_required' || input.deltaLink === null) throw error;
      await resetGroupsDeltaLink(db, tenant.id);
      const message = `the groups change feed of ${tenant.display_name} expired; groups were listed in full`;
      return {
        failed: false,
        log: [{ tenantId: tenant.id, level: 'info', code: 'groups_full_resync', message, action: null }],
        writes: await read(null),
      };
    }
  } catch (error) {
    if (!isMicrosoftError(error) || error.scope === 'partner' || deps.signal?.aborted) throw error;
    return {
      failed: true,
      log: [
        {
          tenantId: tenant.id,
          level: 'warning',
          code: 'groups_not_synced',
          message: `groups of ${tenant.display_name} were not synced: ${error.message}; the previous data is kept`,
          action: error.action ?? null,
        },
      ],
      writes: null,
    };
  }
}
