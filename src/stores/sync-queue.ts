// The sync queue's SQL: sync_runs rows claimed with row locks, leased, put back, expanded into
// tenant runs and cancelled; and the schedule's slots. The rules (when to retry, what to log, how
// a parent run ends) are src/sync/queue.ts's and src/sync/schedule.ts's; why row locks and not a
// queue library is said there too.
import { sql, type Kysely } from 'kysely';
import type { Database, SyncRun } from '../db/schema.ts';

type Db = Kysely<Database>;

export interface ClaimInput {
  workerId: string;
  now: Date;
  leaseEnd: Date;
}

/** Running runs whose lease ran out (their worker stopped renewing it). */
export async function runsWithExpiredLease(
  db: Db,
  now: Date,
): Promise<Array<Pick<SyncRun, 'id' | 'tenant_id' | 'attempts' | 'lease_owner' | 'parent_run_id' | 'kind'>>> {
  return db
    .selectFrom('sync_runs')
    .select(['id', 'tenant_id', 'attempts', 'lease_owner', 'parent_run_id', 'kind'])
    .where('status', '=', 'running')
    .where('lease_expires_at', '<', now)
    .execute();
}

/** How many tenant runs an integration run was expanded into. */
export async function countChildRuns(db: Db, parentRunId: string): Promise<number> {
  const row = await db
    .selectFrom('sync_runs')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('parent_run_id', '=', parentRunId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** How many of an integration run's tenant runs a person stopped. */
export async function countCancelledChildRuns(db: Db, parentRunId: string): Promise<number> {
  const row = await db
    .selectFrom('sync_runs')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('parent_run_id', '=', parentRunId)
    .where('status', '=', 'cancelled')
    .where('error_code', '=', 'cancelled')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A running integration run that never expanded goes back to the queue as it was. */
export async function requeueUnexpandedIntegrationRun(db: Db, runId: string): Promise<void> {
  await db
    .updateTable('sync_runs')
    .set({ status: 'queued', lease_owner: null, lease_expires_at: null })
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .execute();
}

/** Drops a run's lease (its children carry their own, or it is about to be finished). */
export async function releaseRunLease(db: Db, runId: string): Promise<void> {
  await db.updateTable('sync_runs').set({ lease_owner: null, lease_expires_at: null }).where('id', '=', runId).execute();
}

/**
 * A tenant run whose lease expired: queued again at once (`retry`), or only its lease dropped.
 * False when another worker got there first (the run is no longer running with an expired lease).
 */
export async function reclaimTenantRun(db: Db, runId: string, now: Date, retry: boolean): Promise<boolean> {
  const updated = await db
    .updateTable('sync_runs')
    .set(
      retry
        ? { status: 'queued', lease_owner: null, lease_expires_at: null, phase: null, not_before: now }
        : { lease_owner: null, lease_expires_at: null },
    )
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .where('lease_expires_at', '<', now)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Claims the oldest due queued integration run and marks it running. */
export async function claimQueuedIntegrationRun(db: Db, input: ClaimInput): Promise<SyncRun | undefined> {
  const result = await sql<SyncRun>`
    update sync_runs set status = 'running', started_at = coalesce(started_at, ${input.now}), lease_owner = ${input.workerId},
      lease_expires_at = ${input.leaseEnd}, attempts = attempts + 1
    where id = (
      select id from sync_runs
      where status = 'queued' and tenant_id is null and (not_before is null or not_before <= ${input.now})
      order by created_at, id
      for update skip locked
      limit 1)
    returning *`.execute(db);
  return result.rows[0];
}

/**
 * Claims the oldest due queued tenant run whose tenant no one is syncing. Throws Postgres's
 * unique violation when another worker started the same tenant between the check and the update.
 */
export async function claimQueuedTenantRun(db: Db, input: ClaimInput): Promise<SyncRun | undefined> {
  const result = await sql<SyncRun>`
    update sync_runs set status = 'running', started_at = coalesce(started_at, ${input.now}), lease_owner = ${input.workerId},
      lease_expires_at = ${input.leaseEnd}, attempts = attempts + 1, phase = 'starting'
    where id = (
      select r.id from sync_runs r
      where r.status = 'queued' and r.tenant_id is not null and (r.not_before is null or r.not_before <= ${input.now})
        and not exists (select 1 from sync_runs x where x.tenant_id = r.tenant_id and x.status = 'running')
      order by r.created_at, r.id
      for update skip locked
      limit 1)
    returning *`.execute(db);
  return result.rows[0];
}

/** Extends this worker's lease on a running run; false when the run is no longer this worker's. */
export async function renewRunLease(db: Db, input: { runId: string; workerId: string; leaseEnd: Date }): Promise<boolean> {
  const result = await db
    .updateTable('sync_runs')
    .set({ lease_expires_at: input.leaseEnd })
    .where('id', '=', input.runId)
    .where('lease_owner', '=', input.workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** This worker's run back in the queue, to start no sooner than `notBefore`. */
export async function requeueRunAt(db: Db, input: { runId: string; workerId: string; notBefore: Date }): Promise<void> {
  await db
    .updateTable('sync_runs')
    .set({ status: 'queued', lease_owner: null, lease_expires_at: null, phase: null, not_before: input.notBefore })
    .where('id', '=', input.runId)
    .where('lease_owner', '=', input.workerId)
    .execute();
}

/** One queued tenant run per tenant under an integration run; the integration run then waits for them. */
export async function expandIntoTenantRuns(db: Db, run: SyncRun, tenantIds: string[], now: Date): Promise<void> {
  for (let i = 0; i < tenantIds.length; i += 500) {
    await db
      .insertInto('sync_runs')
      .values(
        tenantIds.slice(i, i + 500).map((tenantId) => ({
          integration_id: run.integration_id,
          tenant_id: tenantId,
          parent_run_id: run.id,
          trigger: run.trigger,
          requested_by: run.requested_by,
          created_at: now,
        })),
      )
      .execute();
  }
  // The integration run's lease is not needed any more: its children carry their own.
  await db
    .updateTable('sync_runs')
    .set({ progress_total: tenantIds.length, progress_done: 0, lease_owner: null, lease_expires_at: null, phase: 'tenants' })
    .where('id', '=', run.id)
    .execute();
}

/** Cancels an integration run's queued tenant runs; returns how many. */
export async function cancelQueuedChildRuns(
  db: Db,
  input: { parentRunId: string; now: Date; reason: string; errorCode?: string },
): Promise<number> {
  const result = await db
    .updateTable('sync_runs')
    .set({
      status: 'cancelled',
      finished_at: input.now,
      summary: input.reason,
      ...(input.errorCode ? { error_code: input.errorCode } : {}),
    })
    .where('parent_run_id', '=', input.parentRunId)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A run's kind (tenant or integration) and status, or undefined. */
export async function findRunState(db: Db, runId: string): Promise<{ id: string; tenant_id: string | null; status: string } | undefined> {
  return db.selectFrom('sync_runs').select(['id', 'tenant_id', 'status']).where('id', '=', runId).executeTakeFirst();
}

/** A person stopped a queued tenant run; undefined when it was no longer queued. */
export async function cancelQueuedTenantRun(
  db: Db,
  input: { runId: string; now: Date; reason: string },
): Promise<{ parent_run_id: string | null } | undefined> {
  return db
    .updateTable('sync_runs')
    .set({
      status: 'cancelled',
      finished_at: input.now,
      phase: null,
      lease_owner: null,
      lease_expires_at: null,
      summary: input.reason,
      error_code: 'cancelled',
    })
    .where('id', '=', input.runId)
    .where('status', '=', 'queued')
    .returning(['parent_run_id'])
    .executeTakeFirst();
}

/** The minute slot of the schedule, claimed by one process only: true when this one won it. */
export async function claimScheduleSlot(db: Db, input: { slotAt: Date; owner: string }): Promise<boolean> {
  const inserted = await db
    .insertInto('sync_schedule_slots')
    .values({ slot_at: input.slotAt, claimed_by: input.owner })
    .onConflict((oc) => oc.column('slot_at').doNothing())
    .returning('slot_at')
    .execute();
  return inserted.length === 1;
}

/** Connected integrations (or those of `onlyIds`) with no integration run queued or running. */
export async function connectedIntegrationsWithoutActiveRun(db: Db, onlyIds?: string[]): Promise<string[]> {
  let query = db.selectFrom('integrations').select('id').where('status', '=', 'connected');
  if (onlyIds) query = query.where('id', 'in', onlyIds);
  const rows = await query
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('sync_runs')
            .select('sync_runs.id')
            .whereRef('sync_runs.integration_id', '=', 'integrations.id')
            .where('sync_runs.tenant_id', 'is', null)
            .where('sync_runs.status', 'in', ['queued', 'running']),
        ),
      ),
    )
    .execute();
  return rows.map((r) => r.id);
}

/** Connected integrations with their settings (each may carry its own schedule). */
export async function connectedIntegrationSettings(db: Db): Promise<Array<{ id: string; settings: unknown }>> {
  return db.selectFrom('integrations').select(['id', 'settings']).where('status', '=', 'connected').execute();
}

/** The integration's newest run of its own (not a tenant's), or undefined. */
export async function newestIntegrationRunId(db: Db, integrationId: string): Promise<string | undefined> {
  const run = await db
    .selectFrom('sync_runs')
    .select('id')
    .where('integration_id', '=', integrationId)
    .where('tenant_id', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return run?.id;
}
