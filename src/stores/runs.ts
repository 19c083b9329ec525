// Sync runs for the technician: the list, one run with its per-tenant runs and log lines, and
// "sync now", which queues a sync_runs row that the workers pick up (src/sync/queue.ts).
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../time.ts';
import type { Database, SyncRun, SyncRunStatus } from '../db/schema.ts';
import { NotFound } from '../errors.ts';
import { recordAudit, type ActionContext } from './audit.ts';
import { enqueueIntegrationRun, enqueueTenantRun } from '../sync/runs.ts';
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
  counts: {
    created: number;
    updated: number;
    unchanged: number;
    flagged: number;
    failed: number;
    graphRequests: number;
    throttled: number;
  };
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

/** Top-level runs (integration runs and single-tenant "sync now" runs), newest first. */
export async function listRuns(
  db: Db,
  filter: { integrationId?: string; tenantId?: string; status?: SyncRunStatus; page: number; pageSize: number },
): Promise<{ items: RunView[]; total: number }> {
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
  const rows = await query
    .orderBy('r.created_at', 'desc')
    .orderBy('r.id', 'desc')
    .limit(filter.pageSize)
    .offset((filter.page - 1) * filter.pageSize)
    .execute();
  const { total } = await count.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
  return { items: rows.map(runView), total: Number(total) };
}

export type { LogLineView };

export async function runDetail(
  db: Db,
  runId: string,
  logAfter: number | null,
  logLimit: number,
  filter: SyncLogFilter = {},
): Promise<{ run: RunView; tenants: RunView[]; log: LogLineView[] }> {
  const run = await runsQuery(db).where('r.id', '=', runId).executeTakeFirst();
  if (!run) throw new NotFound('No such sync run.');
  const tenants = await runsQuery(db)
    .where('r.parent_run_id', '=', runId)
    .orderBy(sql`lower(t.display_name)`)
    .orderBy('r.id')
    .execute();
  const runIds = [runId, ...tenants.map((t) => t.id)];
  const log = await readRunLogLines(db, runIds, { ...filter, afterId: logAfter === null ? null : String(logAfter), limit: logLimit });
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
