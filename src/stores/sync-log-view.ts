// The log of a sync run as a technician reads it: filtered by level and tenant, grouped per
// tenant, and repeated identical lines collapsed into one with a count ("×12").
import type { Kysely } from 'kysely';
import type { Database, LogLevel } from '../db/schema.ts';

export const LOG_LEVELS: readonly LogLevel[] = ['info', 'warning', 'error'];

export interface SyncLogFilter {
  /** Only lines of this level. */
  level?: LogLevel;
  /** Only lines about this tenant (tenants.id). */
  tenantId?: string;
}

export interface LogLineView {
  id: string;
  tenantId: string | null;
  tenantName: string | null;
  level: string;
  code: string;
  message: string;
  action: string | null;
  at: string;
}

/**
 * Log lines of the given runs (a run and its per-tenant runs), oldest first, filtered; paged by
 * line id (keyset: after the last line shown, or before the first), never by offset.
 */
export async function readRunLogLines(
  db: Kysely<Database>,
  runIds: string[],
  page: SyncLogFilter & { afterId: string | null; beforeId?: string | null; limit: number },
): Promise<LogLineView[]> {
  let query = db
    .selectFrom('sync_log as l')
    .leftJoin('tenants as t', 't.id', 'l.tenant_id')
    .select(['l.id', 'l.tenant_id', 't.display_name as tenant_name', 'l.level', 'l.code', 'l.message', 'l.action', 'l.created_at'])
    .where('l.run_id', 'in', runIds);
  if (page.afterId !== null) query = query.where('l.id', '>', page.afterId);
  if (page.level) query = query.where('l.level', '=', page.level);
  if (page.tenantId) query = query.where('l.tenant_id', '=', page.tenantId);
  const backwards = page.beforeId !== undefined && page.beforeId !== null && page.afterId === null;
  if (backwards) query = query.where('l.id', '<', page.beforeId!);
  const rows = await query
    .orderBy('l.id', backwards ? 'desc' : 'asc')
    .limit(page.limit)
    .execute();
  if (backwards) rows.reverse();
  return rows.map((l) => ({
    id: String(l.id),
    tenantId: l.tenant_id,
    tenantName: l.tenant_name ?? null,
    level: l.level,
    code: l.code,
    message: l.message,
    action: l.action,
    at: (l.created_at instanceof Date ? l.created_at : new Date(l.created_at)).toISOString(),
  }));
}

export interface CollapsedLine extends LogLineView {
  /** How many identical lines (level, code, message, action) this one stands for; the time is the first one's. */
  repeats: number;
}

export interface TenantLogGroup {
  tenantId: string | null;
  tenantName: string | null;
  lines: CollapsedLine[];
}

/**
 * Groups lines per tenant (the integration's own lines first, then tenants by name) and collapses
 * identical lines within a tenant into the first of them with a count, so a throttled tenant's
 * forty "retrying" lines read as one.
 */
export function groupLogLines(lines: LogLineView[]): TenantLogGroup[] {
  const groups = new Map<string, TenantLogGroup & { seen: Map<string, CollapsedLine> }>();
  for (const line of lines) {
    const key = line.tenantId ?? '';
    let group = groups.get(key);
    if (!group) {
      group = { tenantId: line.tenantId, tenantName: line.tenantName, lines: [], seen: new Map() };
      groups.set(key, group);
    }
    const identity = JSON.stringify([line.level, line.code, line.message, line.action]);
    const earlier = group.seen.get(identity);
    if (earlier) earlier.repeats++;
    else {
      const collapsed = { ...line, repeats: 1 };
      group.seen.set(identity, collapsed);
      group.lines.push(collapsed);
    }
  }
  return [...groups.values()]
    .map(({ tenantId, tenantName, lines: grouped }) => ({ tenantId, tenantName, lines: grouped }))
    .sort((a, b) => {
      if (a.tenantId === null) return -1;
      if (b.tenantId === null) return 1;
      return (a.tenantName ?? '').localeCompare(b.tenantName ?? '', undefined, { sensitivity: 'base' });
    });
}
