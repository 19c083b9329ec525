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

/** One page of the log lines of a run and of its per-tenant runs, oldest first; `afterId` continues. */
export async function readSyncLogPage(
  db: Kysely<Database>,
  runId: string,
  page: { afterId?: string; limit: number },
): Promise<SyncLogLine[]> {
  let query = db
    .selectFrom('sync_log')
    .selectAll()
    .where((eb) =>
      eb.or([eb('run_id', '=', runId), eb('run_id', 'in', eb.selectFrom('sync_runs').select('id').where('parent_run_id', '=', runId))]),
    )
    .orderBy('id')
    .limit(page.limit);
  if (page.afterId !== undefined) query = query.where('id', '>', page.afterId);
  return query.execute();
}

/** Every log line of a run and of its per-tenant runs, oldest first (read a page at a time). */
export async function readSyncLog(db: Kysely<Database>, runId: string): Promise<SyncLogLine[]> {
  const lines: SyncLogLine[] = [];
  for (;;) {
    const page = await readSyncLogPage(db, runId, { afterId: lines.at(-1)?.id, limit: 1000 });
    lines.push(...page);
    if (page.length < 1000) return lines;
  }
}
