// Sync runs for the technician: the list, one run with its per-tenant runs and log lines, and
// "sync now", which queues a sync_runs row that the workers pick up (src/sync/queue.ts).
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../time.ts';
import type { Database, SyncRun, SyncRunStatus } from '../db/schema.ts';
import { BadInput, NotFound } from '../errors.ts';
import { recordAudit, type ActionContext } from './audit.ts';
import { enqueueIntegrationRun, enqueueTenantRun, type RunCounts } from './run-lifecycle.ts';
import { readRunLogLines, type LogLineView, type SyncLogFilter } from './sync-log-view.ts';

type Db = Kysely<Database>;

export interface RunView {
  id: string;
  integrationId: string;
  integrationName: string | null;
  tenantId: string | null;
  tenantName: string | null;
  parentRunId: string | null;
  trigger: string;
  requestedBy: string | null;
  status: SyncRunStatus;
  phase: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  counts: RunCounts;
  progress: { done: number; total: number };
  summary: string | null;
}

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

function runView(r: SyncRun & { integration_name?: string | null; tenant_name?: string | null }): RunView {
  return {
    id: r.id,
    integrationId: r.integration_id,
    integrationName: r.integration_name ?? null,
    tenantId: r.tenant_id,
    tenantName: r.tenant_name ?? null,
    parentRunId: r.parent_run_id,
    trigger: r.trigger,
    requestedBy: r.requested_by,
    status: r.status,
    phase: r.phase,
    createdAt: iso(r.created_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    counts: {
      created: r.created,
      updated: r.updated,
      unchanged: r.unchanged,
      flagged: r.flagged,
      failed: r.failed,
      graphRequests: r.graph_requests,
      throttled: r.throttled,
    },
    progress: { done: r.progress_done, total: r.progress_total },
    summary: r.summary,
  };
}

function runsQuery(db: Db) {
  return db
    .selectFrom('sync_runs as r')
    .innerJoin('integrations as i', 'i.id', 'r.integration_id')
    .leftJoin('tenants as t', 't.id', 'r.tenant_id')
    .selectAll('r')
    .select(['i.name as integration_name', 't.display_name as tenant_name']);
}

export interface RunListFilter {
  integrationId?: string;
  tenantId?: string;
  status?: SyncRunStatus;
  pageSize: number;
  /** Offset paging (kept for links and scripts that use it); ignored when a cursor is given. */
  page?: number;
  /** Keyset paging: the runs older than this run (the last one of the page before). */
  after?: string;
  /** Keyset paging: the runs newer than this run (the first one of the page after). */
  before?: string;
  /** Count every matching run (the list's "N in all"); CSV export pages skip it. */
  withTotal?: boolean;
}

export interface RunListPage {
  items: RunView[];
  total: number;
  /** The `after` cursor of the next (older) page, null on the last page. */
  nextAfter: string | null;
  /** The `before` cursor of the previous (newer) page, null on the first page. */
  previousBefore: string | null;
}

/**
 * Top-level runs (integration runs and single-tenant "sync now" runs), newest first. With a cursor
 * it pages by (created_at, id) from the cursor run's own values, read through the
 * sync_runs_top_level_keyset index, so the 1,500th page costs what the first does.
 */
export async function listRuns(db: Db, filter: RunListFilter): Promise<RunListPage> {
  let query = runsQuery(db).where('r.parent_run_id', 'is', null);
  let count = db.selectFrom('sync_runs as r').where('r.parent_run_id', 'is', null);
  if (filter.integrationId) {
    query = query.where('r.integration_id', '=', filter.integrationId);
    count = count.where('r.integration_id', '=', filter.integrationId);
  }
  if (filter.tenantId) {
    query = query.where('r.tenant_id', '=', filter.tenantId);
    count = count.where('r.tenant_id', '=', filter.tenantId);
  }
  if (filter.status) {
    query = query.where('r.status', '=', filter.status);
    count = count.where('r.status', '=', filter.status);
  }
  const cursorId = filter.after ?? filter.before;
  if (cursorId !== undefined) {
    const cursor = await db
      .selectFrom('sync_runs')
      .select('id')
      .where('id', '=', cursorId)
      .where('parent_run_id', 'is', null)
      .executeTakeFirst();
    if (!cursor) throw new BadInput('That page of the run list no longer exists (its run was removed); start again from the first page.');
    // The cursor row's own created_at, compared in SQL: its microseconds never pass through a JavaScript Date.
    const key = sql`(select c.created_at from sync_runs c where c.id = ${cursorId})`;
    query =
      filter.after !== undefined
        ? query.where(sql<boolean>`(r.created_at, r.id) < (${key}, ${cursorId}::uuid)`)
        : query.where(sql<boolean>`(r.created_at, r.id) > (${key}, ${cursorId}::uuid)`);
  }
  const forward = filter.before === undefined;
  const direction = forward ? 'desc' : 'asc';
  let paged = query
    .orderBy('r.created_at', direction)
    .orderBy('r.id', direction)
    .limit(filter.pageSize + 1);
  const offsetPaging = cursorId === undefined && (filter.page ?? 1) > 1;
  if (offsetPaging) paged = paged.offset(((filter.page ?? 1) - 1) * filter.pageSize);
  const rows = await paged.execute();
  const more = rows.length > filter.pageSize;
  const page = rows.slice(0, filter.pageSize);
  if (!forward) page.reverse();
  const items = page.map(runView);
  const total =
    filter.withTotal === false
      ? 0
      : Number((await count.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow()).total);
  // Going forward, there is a newer page when a cursor or an offset brought us here; going back,
  // there is an older one (the cursor's own page).
  const hasNewer = forward ? cursorId !== undefined || offsetPaging : more;
  const hasOlder = forward ? more : true;
  return {
    items,
    total,
    nextAfter: hasOlder && items.length ? items.at(-1)!.id : null,
    previousBefore: hasNewer && items.length ? items[0]!.id : null,
  };
}

export type { LogLineView };

export async function runDetail(
  db: Db,
  runId: string,
  logAfter: number | null,
  logLimit: number,
  filter: SyncLogFilter = {},
  logBefore: number | null = null,
): Promise<{ run: RunView; tenants: RunView[]; log: LogLineView[] }> {
  const run = await runsQuery(db).where('r.id', '=', runId).executeTakeFirst();
  if (!run) throw new NotFound('No such sync run.');
  const tenants = await runsQuery(db)
    .where('r.parent_run_id', '=', runId)
    .orderBy(sql`lower(t.display_name)`)
    .orderBy('r.id')
    .execute();
  const runIds = [runId, ...tenants.map((t) => t.id)];
  const log = await readRunLogLines(db, runIds, {
    ...filter,
    afterId: logAfter === null ? null : String(logAfter),
    beforeId: logBefore === null ? null : String(logBefore),
    limit: logLimit,
  });
  return { run: runView(run), tenants: tenants.map(runView), log };
}

/** "Sync now" for an integration or one tenant. A run already waiting is reused, not doubled. */
export async function requestSync(
  deps: { db: Db; clock: Clock },
  target: { integrationId: string } | { tenantId: string },
  context: ActionContext,
): Promise<{ runId: string; alreadyQueued: boolean }> {
  const { db, clock } = deps;
  let integrationId: string;
  let tenantId: string | null = null;
  if ('tenantId' in target) {
    const tenant = await db.selectFrom('tenants').select(['id', 'integration_id']).where('id', '=', target.tenantId).executeTakeFirst();
    if (!tenant) throw new NotFound('No such tenant.');
    integrationId = tenant.integration_id;
    tenantId = tenant.id;
  } else {
    const integration = await db.selectFrom('integrations').select('id').where('id', '=', target.integrationId).executeTakeFirst();
    if (!integration) throw new NotFound('No such integration.');
    integrationId = integration.id;
  }
  const waiting = await db
    .selectFrom('sync_runs')
    .select('id')
    .where('integration_id', '=', integrationId)
    .where('status', '=', 'queued')
    .where('parent_run_id', 'is', null)
    .where((eb) => (tenantId ? eb('tenant_id', '=', tenantId) : eb('tenant_id', 'is', null)))
    .executeTakeFirst();
  if (waiting) return { runId: waiting.id, alreadyQueued: true };
  const now = clock.now();
  const requestedBy = context.actor.label;
  const runId = tenantId
    ? await enqueueTenantRun(db, { integrationId, tenantId, trigger: 'manual', requestedBy, now })
    : await enqueueIntegrationRun(db, { integrationId, trigger: 'manual', requestedBy, now });
  await recordAudit(db, {
    actor: context.actor,
    action: 'sync.request',
    subjectType: tenantId ? 'tenant' : 'integration',
    subjectId: tenantId ?? integrationId,
    before: null,
    after: { runId },
    requestId: context.requestId,
    at: now,
  });
  return { runId, alreadyQueued: false };
}

/** The last finished run of each of these tenants (succeeded, partial or failed), newest by finish time. */
export async function lastFinishedRunOfTenants(
  db: Db,
  tenantIds: string[],
): Promise<Array<{ id: string; tenant_id: string | null; status: SyncRunStatus; finished_at: Date | null }>> {
  if (tenantIds.length === 0) return [];
  return (
    db
      .selectFrom('sync_runs')
      .select(['id', 'tenant_id', 'status', 'finished_at'])
      .distinctOn('tenant_id')
      .where('tenant_id', 'in', tenantIds)
      .where('status', 'in', ['succeeded', 'partial', 'failed'])
      // A licence refresh is no sync: it says nothing about whether the tenant was synced.
      .where('kind', '=', 'sync')
      .orderBy('tenant_id')
      .orderBy(sql`coalesce(finished_at, created_at)`, 'desc')
      .execute()
  );
}

/** The warning and error lines of these runs, oldest first. */
export async function problemLinesOfRuns(
  db: Db,
  runIds: string[],
): Promise<Array<{ run_id: string; level: string; code: string; message: string; action: string | null }>> {
  if (runIds.length === 0) return [];
  return db
    .selectFrom('sync_log')
    .select(['run_id', 'level', 'code', 'message', 'action'])
    .where('run_id', 'in', runIds)
    .where('level', 'in', ['warning', 'error'])
    .orderBy('id')
    .execute();
}
