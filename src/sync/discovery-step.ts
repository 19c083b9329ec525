// Before an integration run fans out to its tenants, it asks Microsoft again which customers
// there are (new customers appear, ended relationships become inactive) — always when a person
// or the CLI asked for the run, and on the schedule once the last discovery is older than the
// full-listing interval (discovery costs a permission probe per tenant; a daily pass matches the
// daily full listing that catches drift). Discovery's warnings (relationship ending, role missing,
// DAP only) go into the run's sync log with their actions.
import type { Kysely } from 'kysely';
import type { Clock } from '../time.ts';
import type { Database, SyncRun } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import { isMicrosoftError, type MicrosoftError } from '../microsoft/errors.ts';
import { renewLease } from './queue.ts';
import { writeSyncLog, type SyncLogEntry } from './sync-log.ts';
import { lastDiscoveryOfIntegration, tenantIdsByMicrosoftTenantId } from '../stores/tenants.ts';

export interface DiscoveryForRuns {
  (integrationId: string): Promise<{ warnings: Array<{ tenantId: string | null; code: string; message: string; action: string }> }>;
}

/** The slice of the runner's dependencies that discovery before a run uses (runner.ts passes its own). */
export interface DiscoveryStepDeps {
  db: Kysely<Database>;
  log: Logger;
  clock: Clock;
  config: { sync: { fullResyncIntervalHours: number; leaseSeconds?: number } };
  onPartnerFailure?: (integrationId: string, error: MicrosoftError) => Promise<void>;
  discover?: DiscoveryForRuns;
}

export async function discoverBeforeExpanding(deps: DiscoveryStepDeps, run: SyncRun, workerId: string): Promise<void> {
  if (!deps.discover || run.trigger === 'demo') return;
  if (
    run.trigger === 'schedule' &&
    !(await discoveryDue(deps.db, run.integration_id, deps.clock.now(), deps.config.sync.fullResyncIntervalHours))
  )
    return;

  const leaseSeconds = deps.config.sync.leaseSeconds;
  // Discovery of many customers can outlast a lease: keep the integration run ours meanwhile.
  const heartbeat = setInterval(
    () => {
      renewLease(deps.db, { runId: run.id, workerId, now: deps.clock.now(), leaseSeconds }).catch(() => {});
    },
    ((leaseSeconds ?? 60) * 1000) / 3,
  );
  heartbeat.unref();
  try {
    const report = await deps.discover(run.integration_id);
    const tenantIdOf = await tenantIdsByMicrosoftTenantId(deps.db, run.integration_id);
    // Discovery speaks Microsoft's tenant ids; the sync log keys lines by docsync's tenant id.
    const lines: SyncLogEntry[] = report.warnings.map((w) => ({
      tenantId: w.tenantId ? (tenantIdOf.get(w.tenantId.toLowerCase()) ?? null) : null,
      level: 'warning',
      code: w.code,
      message: w.message,
      action: w.action,
    }));
    await writeSyncLog(deps.db, run.id, lines);
  } catch (error) {
    if (isMicrosoftError(error) && error.scope === 'partner') await deps.onPartnerFailure?.(run.integration_id, error);
    await writeSyncLog(deps.db, run.id, {
      tenantId: null,
      level: isMicrosoftError(error) && error.scope === 'partner' ? 'error' : 'warning',
      code: 'discovery_failed',
      message:
        `customer tenants could not be discovered (${isMicrosoftError(error) ? error.message : 'an error inside docsync'}); the ` +
        `tenants already known are synced`,
      action: isMicrosoftError(error) ? (error.action ?? null) : 'see the server log for this run',
    });
    if (!isMicrosoftError(error)) deps.log.error({ err: error, runId: run.id }, 'discovery before the run failed');
  } finally {
    clearInterval(heartbeat);
  }
}

async function discoveryDue(db: Kysely<Database>, integrationId: string, now: Date, intervalHours: number): Promise<boolean> {
  const last = await lastDiscoveryOfIntegration(db, integrationId);
  return last === null || now.getTime() - last.getTime() >= intervalHours * 3_600_000;
}
