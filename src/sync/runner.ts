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
import { sql, type Kysely } from 'kysely';
import type { Database, Integration, SyncRun, Tenant } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Clock } from '../time.ts';
import { isMicrosoftError, MicrosoftError } from '../microsoft/errors.ts';
import { syncTenant, type TenantSyncResult } from './tenant-sync.ts';
import type { GraphCounters, TenantSource } from './tenant-source.ts';
import { finishRun, zeroCounts } from './runs.ts';
import { writeSyncLog } from './sync-log.ts';
import type { DiscoveryForRuns } from './discovery-step.ts';
import { cancelQueuedSiblings, MAX_ATTEMPTS, renewLease, requeueLater, LEASE_SECONDS } from './queue.ts';

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
}

const TRANSIENT = new Set(['throttled_out', 'graph_unavailable', 'graph_request_failed', 'token_request_failed', 'identity_unavailable']);

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
  const tenant = await db.selectFrom('tenants').selectAll().where('id', '=', run.tenant_id!).executeTakeFirst();
  const integration = await db.selectFrom('integrations').selectAll().where('id', '=', run.integration_id).executeTakeFirst();
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
    // Stopped (budget, lease, cancel): whatever a Microsoft call said as it was cut off is the stop's
    // doing, not the tenant's — only a broken partner connection is news worth keeping.
    let error = budget.signal.aborted && !(isMicrosoftError(raw) && raw.scope === 'partner') ? budget.signal.reason : raw;
    const counts = { ...zeroCounts(), failed: 1, graphRequests: counters.graphRequests, throttled: counters.throttled };
    const now = clock.now();
    if (error instanceof LeaseLost) {
      deps.log.warn({ runId: run.id }, 'lease lost; another worker owns this tenant run now');
      return { status: 'lost' };
    }
    if (error instanceof RunCancelled) {
      await writeSyncLog(db, run.id, {
        tenantId: tenant.id,
        level: 'warning',
        code: 'cancelled',
        message:
          `${tenant.display_name}: ${error.message} before the sync finished; what was read so far is kept and the next sync ` +
          `continues`,
        action: error.action,
      });
      await finishRun(db, run.id, {
        status: 'cancelled',
        now,
        counts: { ...counts, failed: 0 },
        errorCode: 'cancelled',
        summary: error.message,
      });
      return { status: 'cancelled' };
    }
    if (isDatabaseUnavailable(raw)) {
      // Postgres restarted or failed over mid-sync: the open transaction rolled back, so nothing
      // half-written stays. Wait (bounded by the lease) for it to answer again, then put the
      // tenant back in the queue; if it does not come back, the lease expiry does the same.
      deps.log.warn({ runId: run.id, tenantId: tenant.id, err: raw }, 'the database went away during a tenant sync; waiting for it');
      if (!(await waitForDatabase(db, leaseSeconds * 1000))) return { status: 'lost' };
      return retryAfterDatabaseLoss(deps, run, workerId, tenant, counts);
    }
    if (isMicrosoftError(error)) {
      // A token failure can surface through the Graph client as a generic one; the broker has
      // then already marked the integration: treat it as the partner failure it is.
      const current = error.scope === 'partner' ? undefined : await integrationState(db, integration.id);
      const partnerBroken = error.scope === 'partner' || (current !== undefined && current.status !== 'connected');
      if (partnerBroken && error.scope !== 'partner' && current?.status_reason) {
        error = new MicrosoftError(
          'partner_connection_expired',
          'partner',
          current.status_reason,
          'open Integrations and reconnect the partner account',
        );
      }
      if (partnerBroken) {
        await writeSyncLog(db, run.id, {
          tenantId: tenant.id,
          level: 'error',
          code: error.code,
          message: error.message,
          action: error.action ?? null,
        });
        await finishRun(db, run.id, { status: 'failed', now, counts, errorCode: error.code, summary: error.message });
        if (run.parent_run_id) {
          const cancelled = await cancelQueuedSiblings(db, { parentRunId: run.parent_run_id, now, reason: `stopped: ${error.message}` });
          await writeSyncLog(db, run.parent_run_id, {
            level: 'error',
            code: 'run_stopped',
            message: `the partner connection failed (${error.message}); ${cancelled} tenant(s) not synced in this run`,
            action: error.action ?? 'open Integrations and reconnect the partner account',
          });
        }
        await deps.onPartnerFailure?.(integration.id, error);
        return { status: 'failed' };
      }
      if (TRANSIENT.has(error.code) && run.attempts < MAX_ATTEMPTS) {
        const at = await requeueLater(db, { runId: run.id, workerId, attempts: run.attempts, now });
        await writeSyncLog(db, run.id, {
          tenantId: tenant.id,
          level: 'warning',
          code: 'retrying',
          message:
            `${tenant.display_name}: ${error.message}; trying again at ${at.toISOString()} (attempt ${run.attempts + 1} of ` +
            `${MAX_ATTEMPTS})`,
          action: null,
        });
        return { status: 'retrying' };
      }
      // A technician's "sync now" of a tenant whose relationship ended: Microsoft's refusal is the
      // consequence, the ended relationship is the reason — keep it in the status and say it first.
      const endedReason = !tenant.active && tenant.inactive_reason ? tenant.inactive_reason : null;
      await markTenantFailing(db, tenant.id, endedReason ?? error.message);
      await writeSyncLog(db, run.id, {
        tenantId: tenant.id,
        level: 'error',
        code: error.code,
        message: endedReason
          ? `${tenant.display_name}: ${endedReason}; Microsoft refused the sync (${error.message})`
          : `${tenant.display_name}: ${error.message}`,
        action: endedReason ? INACTIVE_TENANT_ACTION : (error.action ?? null),
      });
      await finishRun(db, run.id, { status: 'failed', now, counts, errorCode: error.code, summary: endedReason ?? error.message });
      return { status: 'failed' };
    }
    if (error instanceof TimeBudgetExceeded) {
      await markTenantFailing(
        db,
        tenant.id,
        `the last sync took longer than ${error.seconds} s and was stopped; what was staged is kept and the next run continues`,
      );
      await writeSyncLog(db, run.id, {
        tenantId: tenant.id,
        level: 'error',
        code: 'time_budget_exceeded',
        message:
          `${tenant.display_name} took longer than ${error.seconds} s and was stopped; what was staged is kept and the next run ` +
          `continues`,
        action: 'if this repeats, raise sync.tenantTimeBudgetSeconds',
      });
      await finishRun(db, run.id, { status: 'failed', now, counts, errorCode: 'time_budget_exceeded', summary: 'time budget exceeded' });
      return { status: 'failed' };
    }
    // A bug or a constraint violation: the details (stack, SQL) belong in the server log, found by
    // the run id; the technician sees that the failure is ours, not the tenant's.
    deps.log.error({ err: error, runId: run.id, tenantId: tenant.id }, 'tenant sync failed');
    await markTenantFailing(db, tenant.id, `the last sync failed inside docsync; the error is in the server log with run id ${run.id}`);
    await writeSyncLog(db, run.id, {
      tenantId: tenant.id,
      level: 'error',
      code: 'internal_error',
      message: `${tenant.display_name} could not be synced because of an error inside docsync; nothing was deleted`,
      action: `find run id ${run.id} in the worker log for the error, then press "sync now"`,
    });
    await finishRun(db, run.id, { status: 'failed', now, counts, errorCode: 'internal_error', summary: 'internal error' });
    return { status: 'failed' };
  } finally {
    clearTimeout(budgetTimer);
    clearInterval(heartbeat);
    options.signal?.removeEventListener('abort', cancel);
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

// Connection-level failures (not SQL errors): refused/reset sockets, a server shutting down
// (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now) and SQLSTATE class 08
// (connection exception). https://www.postgresql.org/docs/current/errcodes-appendix.html
const DATABASE_GONE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03']);

export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (DATABASE_GONE_CODES.has(code) || code.startsWith('08')) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (
    /Connection terminated|Client has encountered a connection error|connection timeout|timeout exceeded when trying to connect/i.test(
      message,
    )
  )
    return true;
  // Node reports a refused dual-stack connect as an AggregateError of per-address errors.
  return Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner));
}

/** Polls the database until it answers (true) or the deadline passes (false). */
export async function waitForDatabase(db: Kysely<Database>, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await sql`select 1`.execute(db);
      return true;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function integrationState(db: Kysely<Database>, integrationId: string) {
  return db.selectFrom('integrations').select(['status', 'status_reason']).where('id', '=', integrationId).executeTakeFirst();
}

const INACTIVE_TENANT_ACTION =
  'create a new GDAP relationship in Partner Center if you still manage this customer; its documentation is kept';

async function markTenantFailing(db: Kysely<Database>, tenantRowId: string, reason: string): Promise<void> {
  await db.updateTable('tenants').set({ health: 'failing', health_reason: reason }).where('id', '=', tenantRowId).execute();
}

export class TimeBudgetExceeded extends Error {
  constructor(readonly seconds: number) {
    super(`time budget of ${seconds} s exceeded`);
    this.name = 'TimeBudgetExceeded';
  }
}

/** A person stopped the run (Ctrl-C on `docsync sync`); message and action go into the sync log. */
export class RunCancelled extends Error {
  constructor(
    reason = 'stopped',
    readonly action: string | null = null,
  ) {
    super(reason);
    this.name = 'RunCancelled';
  }
}

class LeaseLost extends Error {
  constructor() {
    super('lease lost');
    this.name = 'LeaseLost';
  }
}
