// The job queue is sync_runs itself, claimed with Postgres row locks.
//
// Why not pg-boss: the web UI's "sync now" is already a queued sync_runs row (the run row the UI
// shows is the job), so a second queue would need a bridge and two sources of truth for "is this
// tenant being synced". pg-boss on the embedded PGlite also needs its multi-statement SQL pushed
// through the single kysely connection and runs its own maintenance timers. Row locks give the
// same guarantees on both databases in one table:
//  - claim:      UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1): two workers never
//                claim the same row;
//  - exclusive:  a unique index on tenant_id WHERE status = 'running': a tenant is never synced by
//                two workers at once, whatever raced (schedule, manual trigger, CLI);
//  - leases:     a claimed row carries lease_owner + lease_expires_at, renewed by heartbeat; a
//                worker killed with -9 stops renewing, and the row goes back to the queue;
//  - retries:    a transient failure re-queues with not_before = now + backoff.
import type { Kysely } from 'kysely';
import type { Database, SyncRun } from '../db/schema.ts';
import { writeSyncLog } from './sync-log.ts';
import { finishRun, rollUpParent } from './runs.ts';
import {
  cancelQueuedChildRuns,
  cancelQueuedTenantRun,
  claimQueuedIntegrationRun,
  claimQueuedTenantRun,
  countCancelledChildRuns,
  countChildRuns,
  expandIntoTenantRuns,
  findRunState,
  reclaimTenantRun,
  releaseRunLease,
  renewRunLease,
  requeueRunAt,
  requeueUnexpandedIntegrationRun,
  runsWithExpiredLease,
} from '../stores/sync-queue.ts';
import { activeTenantsOfIntegration } from '../stores/tenants.ts';

type Db = Kysely<Database>;

/** The default lease (config sync.leaseSeconds overrides it). */
export const LEASE_SECONDS = 60;
export const MAX_ATTEMPTS = 3;

const UNIQUE_VIOLATION = '23505';

function leaseEnd(input: { now: Date; leaseSeconds?: number }): Date {
  return new Date(input.now.getTime() + (input.leaseSeconds ?? LEASE_SECONDS) * 1000);
}

/** Backoff before attempt n+1: 30 s, 2 min, 8 min … capped at 30 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30 * 60_000, 30_000 * 4 ** Math.max(0, attempts - 1));
}

/**
 * Puts runs whose worker stopped renewing its lease back in the queue (or fails them after
 * MAX_ATTEMPTS), with a log line saying so. Safe to call from every worker.
 */
export async function reclaimExpiredLeases(db: Db, now: Date): Promise<number> {
  const expired = await runsWithExpiredLease(db, now);
  let reclaimed = 0;
  for (const run of expired) {
    if (run.tenant_id === null) {
      // An integration run is finished by its children; one that died before expanding is
      // simply claimed again.
      if ((await countChildRuns(db, run.id)) === 0) {
        await requeueUnexpandedIntegrationRun(db, run.id);
      } else {
        await releaseRunLease(db, run.id);
        await rollUpParent(db, run.id, now);
      }
      reclaimed++;
      continue;
    }
    // A licence refresh runs in the web request that asked for it (src/sync/license-refresh.ts):
    // nothing can resume it, so it ends failed instead of going back to the queue.
    const retry = run.attempts < MAX_ATTEMPTS && run.kind === 'sync';
    if (!(await reclaimTenantRun(db, run.id, now, retry))) continue;
    reclaimed++;
    const refresh = run.kind === 'license_refresh';
    await writeSyncLog(db, run.id, {
      tenantId: run.tenant_id,
      level: 'warning',
      code: 'worker_lost',
      message: refresh
        ? 'the licence refresh of this tenant did not finish: the process serving it stopped; nothing was deleted'
        : retry
          ? `the worker syncing this tenant (${run.lease_owner ?? 'unknown'}) stopped responding; the tenant was queued again`
          : `the worker syncing this tenant stopped responding ${run.attempts} times; the tenant was given up for this run`,
      action: refresh
        ? 'press "Refresh licenses now" again'
        : retry
          ? null
          : 'check the worker processes (memory, crashes), then press "sync now"',
    });
    if (!retry) await finishRun(db, run.id, { status: 'failed', now, errorCode: 'worker_lost', summary: 'worker stopped responding' });
  }
  return reclaimed;
}

/** Claims the oldest queued integration run and marks it running. */
export async function claimIntegrationRun(
  db: Db,
  input: { workerId: string; now: Date; leaseSeconds?: number },
): Promise<SyncRun | undefined> {
  return claimQueuedIntegrationRun(db, { workerId: input.workerId, now: input.now, leaseEnd: leaseEnd(input) });
}

/**
 * Claims the oldest queued tenant run whose tenant no one is syncing, marks it running and
 * leases it. Returns undefined when nothing is claimable now.
 */
export async function claimTenantRun(db: Db, input: { workerId: string; now: Date; leaseSeconds?: number }): Promise<SyncRun | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await claimQueuedTenantRun(db, { workerId: input.workerId, now: input.now, leaseEnd: leaseEnd(input) });
    } catch (error) {
      // Another worker started the same tenant between our check and our update: the unique
      // index said no. Try the next candidate.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) continue;
      throw error;
    }
  }
  return undefined;
}

/** Renews a lease; false when the run is no longer ours (reclaimed, cancelled): stop working on it. */
export async function renewLease(db: Db, input: { runId: string; workerId: string; now: Date; leaseSeconds?: number }): Promise<boolean> {
  return renewRunLease(db, { runId: input.runId, workerId: input.workerId, leaseEnd: leaseEnd(input) });
}

/** Puts a run back in the queue after a transient failure, to start no sooner than the backoff. */
export async function requeueLater(db: Db, input: { runId: string; workerId: string; attempts: number; now: Date }): Promise<Date> {
  const notBefore = new Date(input.now.getTime() + retryDelayMs(input.attempts));
  await requeueRunAt(db, { runId: input.runId, workerId: input.workerId, notBefore });
  return notBefore;
}

/** Expands a claimed integration run into one queued run per active tenant. */
export async function expandIntegrationRun(db: Db, run: SyncRun, now: Date): Promise<number> {
  const tenants = await activeTenantsOfIntegration(db, run.integration_id);
  if (tenants.length === 0) {
    await writeSyncLog(db, run.id, {
      level: 'warning',
      code: 'no_tenants',
      message: 'this integration has no active customer tenants to sync',
      action:
        'press "Sync now" on the integration (it discovers customer tenants first), or check the GDAP relationships in Partner Center',
    });
    await finishRun(db, run.id, { status: 'succeeded', now, summary: 'no tenants to sync' });
    return 0;
  }
  await expandIntoTenantRuns(
    db,
    run,
    tenants.map((t) => t.id),
    now,
  );
  return tenants.length;
}

/**
 * Cancels the queued tenant runs of an integration run (the partner connection broke, or a person
 * stopped the run: errorCode 'cancelled', which makes the integration run end "cancelled").
 */
export async function cancelQueuedSiblings(
  db: Db,
  input: { parentRunId: string; now: Date; reason: string; errorCode?: string },
): Promise<number> {
  const cancelled = await cancelQueuedChildRuns(db, input);
  await rollUpParent(db, input.parentRunId, input.now);
  return cancelled;
}

/**
 * A person stopped a run (Ctrl-C on `docsync sync`): cancels what of it has not started — the run
 * itself while queued, or an integration run's queued tenant runs — and says so in its log. Tenant
 * runs in flight are not touched here: their worker stops them (runner.ts, RunCancelled), and they
 * end "cancelled" themselves. The integration run ends "cancelled" once its last child has ended
 * (rollUpParent). Returns how many runs this cancelled.
 */
export async function cancelRun(db: Db, input: { runId: string; now: Date; reason: string; action: string | null }): Promise<number> {
  const run = await findRunState(db, input.runId);
  if (!run || (run.status !== 'queued' && run.status !== 'running')) return 0;
  if (run.tenant_id !== null) {
    const updated = await cancelQueuedTenantRun(db, { runId: run.id, now: input.now, reason: input.reason });
    if (!updated) return 0;
    await writeSyncLog(db, run.id, {
      tenantId: run.tenant_id,
      level: 'warning',
      code: 'cancelled',
      message: `${input.reason} before the tenant was synced`,
      action: input.action,
    });
    if (updated.parent_run_id) await rollUpParent(db, updated.parent_run_id, input.now);
    return 1;
  }
  const children = await countChildRuns(db, run.id);
  if (children === 0) {
    // Not expanded into tenant runs yet: nothing was synced.
    await writeSyncLog(db, run.id, {
      level: 'warning',
      code: 'cancelled',
      message: `${input.reason} before any tenant was synced`,
      action: input.action,
    });
    await finishRun(db, run.id, { status: 'cancelled', now: input.now, summary: input.reason, errorCode: 'cancelled' });
    return 1;
  }
  const cancelled = await cancelQueuedSiblings(db, { parentRunId: run.id, now: input.now, reason: input.reason, errorCode: 'cancelled' });
  const stopped = await countCancelledChildRuns(db, run.id);
  await writeSyncLog(db, run.id, {
    level: 'warning',
    code: 'cancelled',
    message: `${input.reason}; ${stopped} of ${children} tenant(s) not synced in this run`,
    action: input.action,
  });
  return cancelled;
}
