// Sync runs' lifecycle: one row per integration run (tenant_id null) and one per tenant (parent_run_id
// set, or null for a single-tenant "sync now"). Counters and progress are written while the run
// goes, so the UI's live view reads them from the row. The queue columns (lease, attempts) are
// handled in src/sync/queue.ts; the technician's views of runs are in ./runs.ts.
import { sql, type Kysely } from 'kysely';
import type { Database, SyncRun, SyncRunStatus, SyncTrigger } from '../db/schema.ts';
import { DAY_MS } from '../time.ts';
import { integrationRunSummary } from '../sync/run-summary.ts';

type Db = Kysely<Database>;

export interface RunCounts {
  created: number;
  updated: number;
  unchanged: number;
  flagged: number;
  failed: number;
  graphRequests: number;
  throttled: number;
}

export const zeroCounts = (): RunCounts => ({
  created: 0,
  updated: 0,
  unchanged: 0,
  flagged: 0,
  failed: 0,
  graphRequests: 0,
  throttled: 0,
});

export async function enqueueIntegrationRun(
  db: Db,
  input: { integrationId: string; trigger: SyncTrigger; requestedBy?: string | null; now: Date },
): Promise<string> {
  const row = await db
    .insertInto('sync_runs')
    .values({
      integration_id: input.integrationId,
      tenant_id: null,
      trigger: input.trigger,
      requested_by: input.requestedBy ?? null,
      created_at: input.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A single-tenant run: what the UI's per-tenant "sync now" inserts (parent null). */
export async function enqueueTenantRun(
  db: Db,
  input: {
    integrationId: string;
    tenantId: string;
    trigger: SyncTrigger;
    parentRunId?: string | null;
    requestedBy?: string | null;
    now: Date;
  },
): Promise<string> {
  const row = await db
    .insertInto('sync_runs')
    .values({
      integration_id: input.integrationId,
      tenant_id: input.tenantId,
      parent_run_id: input.parentRunId ?? null,
      trigger: input.trigger,
      requested_by: input.requestedBy ?? null,
      created_at: input.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function getRun(db: Db, runId: string): Promise<SyncRun | undefined> {
  return db.selectFrom('sync_runs').selectAll().where('id', '=', runId).executeTakeFirst();
}

export async function childRuns(db: Db, parentRunId: string): Promise<SyncRun[]> {
  return db.selectFrom('sync_runs').selectAll().where('parent_run_id', '=', parentRunId).orderBy('created_at').orderBy('id').execute();
}

/** Live progress of a running tenant run: phase, steps done of total, and the counters so far. */
export async function reportProgress(
  db: Db,
  runId: string,
  progress: { phase?: string; done?: number; total?: number; counts?: Partial<RunCounts> },
): Promise<void> {
  const c = progress.counts ?? {};
  await db
    .updateTable('sync_runs')
    .set({
      ...(progress.phase !== undefined ? { phase: progress.phase } : {}),
      ...(progress.done !== undefined ? { progress_done: progress.done } : {}),
      ...(progress.total !== undefined ? { progress_total: progress.total } : {}),
      ...(c.created !== undefined ? { created: c.created } : {}),
      ...(c.updated !== undefined ? { updated: c.updated } : {}),
      ...(c.unchanged !== undefined ? { unchanged: c.unchanged } : {}),
      ...(c.flagged !== undefined ? { flagged: c.flagged } : {}),
      ...(c.failed !== undefined ? { failed: c.failed } : {}),
      ...(c.graphRequests !== undefined ? { graph_requests: c.graphRequests } : {}),
      ...(c.throttled !== undefined ? { throttled: c.throttled } : {}),
    })
    .where('id', '=', runId)
    .execute();
}

export type FinishedStatus = Extract<SyncRunStatus, 'succeeded' | 'partial' | 'failed' | 'cancelled'>;

/** Ends a tenant run (or a parent that could not start) and rolls the totals up to its parent. */
export async function finishRun(
  db: Db,
  runId: string,
  outcome: { status: FinishedStatus; counts?: RunCounts; summary?: string | null; errorCode?: string | null; now: Date },
): Promise<void> {
  const c = outcome.counts;
  const run = await db
    .updateTable('sync_runs')
    .set({
      status: outcome.status,
      finished_at: outcome.now,
      phase: null,
      lease_owner: null,
      lease_expires_at: null,
      summary: outcome.summary ?? null,
      error_code: outcome.errorCode ?? null,
      ...(c
        ? {
            created: c.created,
            updated: c.updated,
            unchanged: c.unchanged,
            flagged: c.flagged,
            failed: c.failed,
            graph_requests: c.graphRequests,
            throttled: c.throttled,
          }
        : {}),
      progress_done: sql<number>`progress_total`,
    })
    .where('id', '=', runId)
    .returning(['parent_run_id'])
    .executeTakeFirst();
  if (run?.parent_run_id) await rollUpParent(db, run.parent_run_id, outcome.now);
}

/**
 * Recomputes a parent run from its children: sums, tenants done of total, and — once no child is
 * queued or running — its final status: "cancelled" when a person stopped it (a child cancelled
 * with error code 'cancelled'; children cancelled because the partner connection broke are not),
 * else by how many tenants were synced. Recomputing (not incrementing) keeps it right when two
 * workers finish children at the same moment or a child is retried.
 */
export async function rollUpParent(db: Db, parentRunId: string, now: Date): Promise<void> {
  const totals = await db
    .selectFrom('sync_runs')
    .where('parent_run_id', '=', parentRunId)
    .select((eb) => [
      eb.fn.countAll<string>().as('children'),
      sql<string>`count(*) filter (where status in ('succeeded', 'partial', 'failed', 'cancelled'))`.as('done'),
      sql<string>`count(*) filter (where status = 'failed')`.as('failed_children'),
      sql<string>`count(*) filter (where status = 'partial')`.as('partial_children'),
      sql<string>`count(*) filter (where status = 'succeeded')`.as('succeeded_children'),
      sql<string>`count(*) filter (where status = 'cancelled')`.as('cancelled_children'),
      sql<string>`count(*) filter (where status = 'cancelled' and error_code = 'cancelled')`.as('stopped_children'),
      sql<string>`coalesce(sum(created), 0)`.as('created'),
      sql<string>`coalesce(sum(updated), 0)`.as('updated'),
      sql<string>`coalesce(sum(unchanged), 0)`.as('unchanged'),
      sql<string>`coalesce(sum(flagged), 0)`.as('flagged'),
      sql<string>`coalesce(sum(graph_requests), 0)`.as('graph_requests'),
      sql<string>`coalesce(sum(throttled), 0)`.as('throttled'),
    ])
    .executeTakeFirstOrThrow();
  const children = Number(totals.children);
  const done = Number(totals.done);
  const failedChildren = Number(totals.failed_children);
  const finished = children > 0 && done === children;
  const succeeded = Number(totals.succeeded_children);
  const synced = succeeded + Number(totals.partial_children);
  const cancelled = Number(totals.cancelled_children);
  const stopped = Number(totals.stopped_children) > 0;
  const status: SyncRunStatus | undefined = finished
    ? stopped
      ? 'cancelled'
      : synced === 0
        ? 'failed'
        : succeeded === children
          ? 'succeeded'
          : 'partial'
    : undefined;
  await db
    .updateTable('sync_runs')
    .set({
      created: Number(totals.created),
      updated: Number(totals.updated),
      unchanged: Number(totals.unchanged),
      flagged: Number(totals.flagged),
      // On the integration run, `failed` counts tenants that failed.
      failed: failedChildren,
      graph_requests: Number(totals.graph_requests),
      throttled: Number(totals.throttled),
      progress_done: done,
      progress_total: children,
      ...(status
        ? {
            status,
            finished_at: now,
            phase: null,
            lease_owner: null,
            lease_expires_at: null,
            summary: integrationRunSummary({
              succeeded,
              partial: Number(totals.partial_children),
              failed: failedChildren,
              cancelled,
              skipped: await skippedTenants(db, parentRunId),
            }),
          }
        : {}),
    })
    .where('id', '=', parentRunId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

/** The integration's inactive tenants (an integration run fans out to active tenants only), by reason. */
async function skippedTenants(db: Db, parentRunId: string): Promise<Array<{ reason: string | null; count: number }>> {
  const rows = await db
    .selectFrom('tenants as t')
    .innerJoin('sync_runs as r', 'r.integration_id', 't.integration_id')
    .where('r.id', '=', parentRunId)
    .where('t.active', '=', false)
    .select(['t.inactive_reason', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('t.inactive_reason')
    .execute();
  return rows.map((r) => ({ reason: r.inactive_reason, count: Number(r.n) }));
}

/**
 * Deletes finished runs older than the retention (their per-tenant runs and log lines go with
 * them: foreign keys cascade) and schedule slots of the same age. Running and queued runs stay.
 */
export async function pruneRuns(db: Db, input: { now: Date; retentionDays: number }): Promise<number> {
  const cutoff = new Date(input.now.getTime() - input.retentionDays * DAY_MS);
  const deleted = await db
    .deleteFrom('sync_runs')
    .where('parent_run_id', 'is', null)
    .where('status', 'not in', ['queued', 'running'])
    .where('finished_at', '<', cutoff)
    .executeTakeFirst();
  await db.deleteFrom('sync_schedule_slots').where('slot_at', '<', cutoff).execute();
  return Number(deleted.numDeletedRows);
}

/**
 * A running manual run of one tenant, inserted inside a transaction as a guard: the unique index on
 * a tenant's running run makes it fail when a sync of the tenant is already running.
 */
export async function insertRunningTenantRun(db: Db, input: { integrationId: string; tenantId: string; now: Date }): Promise<string> {
  const row = await db
    .insertInto('sync_runs')
    .values({ integration_id: input.integrationId, tenant_id: input.tenantId, trigger: 'manual', status: 'running', started_at: input.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function deleteRun(db: Db, runId: string): Promise<void> {
  await db.deleteFrom('sync_runs').where('id', '=', runId).execute();
}
