// Sync log lines: what happened in a run, per tenant, in words a technician can act on.
// `code` is stable (the UI filters and tests assert on it); `action` says what to do, or null
// when there is nothing to do.
import type { Kysely } from 'kysely';
import type { Database, LogLevel, SyncLogLine } from '../db/schema.ts';

export interface SyncLogEntry {
  level: LogLevel;
  code: string;
  message: string;
  action?: string | null;
  /** tenants.id (internal uuid) of the tenant the line is about; null for the integration. */
  tenantId?: string | null;
}

export async function writeSyncLog(db: Kysely<Database>, runId: string, entries: SyncLogEntry | SyncLogEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await db
    .insertInto('sync_log')
    .values(
      list.map((e) => ({
        run_id: runId,
        tenant_id: e.tenantId ?? null,
        level: e.level,
        code: e.code,
        message: e.message,
        action: e.action ?? null,
      })),
    )
    .execute();
}

/** Log lines of a run and of its per-tenant runs, oldest first; `afterId` pages a live view. */
export async function readSyncLog(db: Kysely<Database>, runId: string, options: { afterId?: string; limit?: number } = {}): Promise<SyncLogLine[]> {
  let query = db
    .selectFrom('sync_log')
    .selectAll()
    .where((eb) => eb.or([eb('run_id', '=', runId), eb('run_id', 'in', eb.selectFrom('sync_runs').select('id').where('parent_run_id', '=', runId))]))
    .orderBy('id')
    .limit(options.limit ?? 1000);
  if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
  return query.execute();
}
