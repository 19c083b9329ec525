// Runs one claimed tenant run to its end: builds the tenant's Microsoft source, syncs within the
// time budget while renewing the lease, and turns every failure into a run status and a log line
// a technician can act on. Partner-scope failures (the connection itself broke) stop the rest of
// the integration run and mark the integration "needs reconnect"; tenant-scope failures affect
// only this tenant; transient ones are retried with backoff.
//
// Tenant health follows one rule: a run that ends "failed" for a reason of this tenant (Microsoft
// refused it, it ran out of time, the database stayed away, a bug inside docsync) marks the tenant
// "failing" with that reason; the next run that gets through (syncTenant) sets it back to "ok" or
// "warning". Partner-scope failures mark the integration instead: the tenant itself is not at fault.
// A run cancelled by a person (RunCancelled through the caller's signal) ends "cancelled" and
// leaves the tenant's health alone.
import type { Kysely } from 'kysely';
import { pingDatabase } from '../db/database.ts';
import { findIntegration } from '../stores/integrations.ts';
import { findTenant, markTenantFailing } from '../stores/tenants.ts';
import type { Database, Integration, SyncRun, Tenant } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Clock } from '../time.ts';
import { isMicrosoftError, type MicrosoftError } from '../microsoft/errors.ts';
import {
  classifyFailure,
  effectiveError,
  isDatabaseUnavailable,
  LeaseLost,
  RunCancelled,
  TimeBudgetExceeded,
  type FailureOutcome,
} from './failure-table.ts';
import { syncTenant, type TenantSyncResult } from './tenant-sync.ts';
import type { GraphCounters, TenantSource } from '../microsoft/tenant-reader.ts';
import { finishRun, zeroCounts } from './runs.ts';
import { writeSyncLog } from './sync-log.ts';
import type { DiscoveryForRuns } from './discovery-step.ts';
import type { AdaptiveConcurrency } from './concurrency.ts';
import { cancelQueuedSiblings, MAX_ATTEMPTS, renewLease, requeueLater, LEASE_SECONDS } from './queue.ts';

export { isDatabaseUnavailable, RunCancelled, TimeBudgetExceeded } from './failure-table.ts';

/**
 * `signal` aborts with the run's stop reason (time budget, lost lease, cancel): the source's Microsoft calls in flight and its waits end
 * with it.
 */
export type TenantSourceFactory = (input: {
  integration: Integration;
  tenant: Tenant;
  counters: GraphCounters;
  signal: AbortSignal;
}) => TenantSource;

export interface RunnerDeps {
  db: Kysely<Database>;
  log: Logger;
  clock: Clock;
  config: { sync: { inactiveDays: number; fullResyncIntervalHours: number; tenantTimeBudgetSeconds: number; leaseSeconds?: number } };
  sources: TenantSourceFactory;
  /** Called once when Microsoft says the partner connection is broken (D: integrations.markNeedsReconnect). */
  onPartnerFailure?: (integrationId: string, error: MicrosoftError) => Promise<void>;
  /** Tenant discovery before an integration run fans out (discovery-step.ts); none: known tenants only. */
  discover?: DiscoveryForRuns;
  /** How many tenants at once, adjusted to Microsoft's answers (concurrency.ts); none: the worker's fixed number. */
  concurrency?: AdaptiveConcurrency;
}

export interface TenantRunOutcome {
  status: 'succeeded' | 'partial' | 'failed' | 'cancelled' | 'retrying' | 'lost';
  result?: TenantSyncResult;
}

export interface TenantRunOptions {
  fullListing?: boolean;
  /** Aborted (with a RunCancelled as its reason): stop this tenant run and end it "cancelled". */
  signal?: AbortSignal;
}

export async function runTenantRun(
  deps: RunnerDeps,
  run: SyncRun,
  workerId: string,
  options: TenantRunOptions = {},
): Promise<TenantRunOutcome> {
  const { db, clock } = deps;
  const tenant = await findTenant(db, run.tenant_id!);
  const integration = await findIntegration(db, run.integration_id);
  if (!tenant || !integration) {
    await finishRun(db, run.id, {
      status: 'failed',
      now: clock.now(),
      errorCode: 'tenant_not_found',
      summary: 'tenant or integration no longer exists',
    });
    return { status: 'failed' };
  }
  if (integration.status !== 'connected') {
    await writeSyncLog(db, run.id, {
      tenantId: tenant.id,
      level: 'error',
      code: 'integration_not_connected',
      message:
        `integration ${integration.name} is ` +
        `${integration.status.replace('_', ' ')}${integration.status_reason ? `: ${integration.status_reason}` : ''}`,
      action: 'open Integrations and reconnect the partner account',
    });
    await finishRun(db, run.id, {
      status: 'failed',
      now: clock.now(),
      errorCode: 'integration_not_connected',
      summary: 'integration not connected',
    });
    if (run.parent_run_id)
      await cancelQueuedSiblings(db, {
        parentRunId: run.parent_run_id,
        now: clock.now(),
        reason: 'stopped: the integration is not connected',
      });
    return { status: 'failed' };
  }

  const counters: GraphCounters = { graphRequests: 0, throttled: 0 };
  const budget = new AbortController();
  const budgetTimer = setTimeout(
    () => budget.abort(new TimeBudgetExceeded(deps.config.sync.tenantTimeBudgetSeconds)),
    deps.config.sync.tenantTimeBudgetSeconds * 1000,
  );
  budgetTimer.unref();
  // The lease is renewed at a third of its length; losing it (reclaimed after a long stall,
  // cancelled) stops this sync before it writes anything more.
  const leaseSeconds = deps.config.sync.leaseSeconds ?? LEASE_SECONDS;
  const heartbeat = setInterval(
    () => {
      renewLease(db, { runId: run.id, workerId, now: clock.now(), leaseSeconds })
        .then((ours) => {
          if (!ours) budget.abort(new LeaseLost());
        })
        .catch((error) => deps.log.warn({ err: error, runId: run.id }, 'lease renewal failed'));
    },
    (leaseSeconds * 1000) / 3,
  );
  heartbeat.unref();
  // A cancel takes the budget's path: Graph calls and waits in flight stop at once, and syncTenant
  // checks the signal between its steps, so its documentation transaction is not begun or commits whole.
  const cancel = () => budget.abort(options.signal?.reason instanceof RunCancelled ? options.signal.reason : new RunCancelled());
  if (options.signal?.aborted) cancel();
  else options.signal?.addEventListener('abort', cancel, { once: true });

  try {
    const source = deps.sources({ integration, tenant, counters, signal: budget.signal });
    const result = await syncTenant(deps, {
      runId: run.id,
      tenant,
      integration,
      source,
      signal: budget.signal,
      fullListing: options.fullListing,
    });
    await finishRun(db, run.id, {
      status: result.status,
      now: clock.now(),
      counts: {
        ...result.writes,
        flagged: result.flagged,
        failed: result.failedResources.length,
        graphRequests: counters.graphRequests,
        throttled: counters.throttled,
      },
      summary: `${result.users} users, ${result.devices} devices, ${result.mailboxes} mailboxes, ${result.licenses} licenses`,
    });
    return { status: result.status, result };
  } catch (raw) {
    const counts = { ...zeroCounts(), failed: 1, graphRequests: counters.graphRequests, throttled: counters.throttled };
    const stopReason = budget.signal.aborted ? budget.signal.reason : undefined;
    const judged = effectiveError({ error: raw, stopReason });
    const outcome = classifyFailure({
      error: raw,
      stopReason,
      integration:
        isMicrosoftError(judged) && judged.scope !== 'partner' && !isDatabaseUnavailable(raw)
          ? await integrationState(db, integration.id)
          : undefined,
      attempts: run.attempts,
      maxAttempts: MAX_ATTEMPTS,
      tenantName: tenant.display_name,
      runId: run.id,
      endedReason: !tenant.active && tenant.inactive_reason ? tenant.inactive_reason : null,
    });
    return await carryOut(deps, { run, workerId, tenant, integration, counts, leaseSeconds, raw }, outcome);
  } finally {
    clearTimeout(budgetTimer);
    clearInterval(heartbeat);
    options.signal?.removeEventListener('abort', cancel);
  }
}

/** Does what the failure table (failure-table.ts) decided for a run that threw. */
async function carryOut(
  deps: RunnerDeps,
  failed: {
    run: SyncRun;
    workerId: string;
    tenant: Tenant;
    integration: Integration;
    counts: ReturnType<typeof zeroCounts>;
    leaseSeconds: number;
    raw: unknown;
  },
  outcome: FailureOutcome,
): Promise<TenantRunOutcome> {
  const { db } = deps;
  const { run, tenant, counts } = failed;
  const now = deps.clock.now();
  switch (outcome.run) {
    case 'lost':
      deps.log.warn({ runId: run.id }, 'lease lost; another worker owns this tenant run now');
      return { status: 'lost' };
    case 'cancelled':
      await writeSyncLog(db, run.id, { tenantId: tenant.id, ...outcome.log });
      await finishRun(db, run.id, {
        status: 'cancelled',
        now,
        counts: { ...counts, failed: 0 },
        errorCode: outcome.errorCode,
        summary: outcome.summary,
      });
      return { status: 'cancelled' };
    case 'database_unavailable':
      // Wait (bounded by the lease) for the database to answer again, then put the tenant back in
      // the queue; if it does not come back, the lease expiry does the same.
      deps.log.warn({ runId: run.id, tenantId: tenant.id, err: failed.raw }, 'the database went away during a tenant sync; waiting for it');
      if (!(await waitForDatabase(db, failed.leaseSeconds * 1000))) return { status: 'lost' };
      return retryAfterDatabaseLoss(deps, run, failed.workerId, tenant, counts);
    case 'retrying': {
      const at = await requeueLater(db, { runId: run.id, workerId: failed.workerId, attempts: run.attempts, now });
      const retry = `trying again at ${at.toISOString()} (attempt ${run.attempts + 1} of ${MAX_ATTEMPTS})`;
      await writeSyncLog(db, run.id, { tenantId: tenant.id, ...outcome.log, message: `${outcome.log.message}; ${retry}` });
      return { status: 'retrying' };
    }
    case 'failed':
      if (outcome.internal) deps.log.error({ err: failed.raw, runId: run.id, tenantId: tenant.id }, 'tenant sync failed');
      if (outcome.tenantFailing !== null) await markTenantFailing(db, tenant.id, outcome.tenantFailing);
      await writeSyncLog(db, run.id, { tenantId: tenant.id, ...outcome.log });
      await finishRun(db, run.id, { status: 'failed', now, counts, errorCode: outcome.errorCode, summary: outcome.summary });
      if (outcome.partner) {
        const error = outcome.partner;
        if (run.parent_run_id) {
          const cancelled = await cancelQueuedSiblings(db, { parentRunId: run.parent_run_id, now, reason: `stopped: ${error.message}` });
          await writeSyncLog(db, run.parent_run_id, {
            level: 'error',
            code: 'run_stopped',
            message: `the partner connection failed (${error.message}); ${cancelled} tenant(s) not synced in this run`,
            action: error.action ?? 'open Integrations and reconnect the partner account',
          });
        }
        await deps.onPartnerFailure?.(failed.integration.id, error);
      }
      return { status: 'failed' };
  }
}

async function retryAfterDatabaseLoss(
  deps: RunnerDeps,
  run: SyncRun,
  workerId: string,
  tenant: Tenant,
  counts: ReturnType<typeof zeroCounts>,
): Promise<TenantRunOutcome> {
  const { db } = deps;
  const now = deps.clock.now();
  const lost =
    `${tenant.display_name}: the connection to the database was lost during the sync (database restart or failover); nothing ` +
    `was deleted`;
  try {
    if (run.attempts < MAX_ATTEMPTS) {
      const at = await requeueLater(db, { runId: run.id, workerId, attempts: run.attempts, now });
      await writeSyncLog(db, run.id, {
        tenantId: tenant.id,
        level: 'warning',
        code: 'database_unavailable',
        message: `${lost}; trying again at ${at.toISOString()} (attempt ${run.attempts + 1} of ${MAX_ATTEMPTS})`,
        action: null,
      });
      return { status: 'retrying' };
    }
    await markTenantFailing(
      db,
      tenant.id,
      `the last sync lost its connection to the database ${run.attempts} times and gave up; nothing was deleted`,
    );
    await writeSyncLog(db, run.id, {
      tenantId: tenant.id,
      level: 'error',
      code: 'database_unavailable',
      message: `${lost}; given up after ${run.attempts} attempts`,
      action: 'check the database server (restarts, failovers, connection limits), then press "sync now"',
    });
    await finishRun(db, run.id, { status: 'failed', now, counts, errorCode: 'database_unavailable', summary: 'database connection lost' });
    return { status: 'failed' };
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    // Gone again: the lease expiry puts the tenant back in the queue.
    return { status: 'lost' };
  }
}

/** Polls the database until it answers (true) or the deadline passes (false). */
export async function waitForDatabase(db: Kysely<Database>, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await pingDatabase(db);
      return true;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function integrationState(db: Kysely<Database>, integrationId: string) {
  return findIntegration(db, integrationId);
}
