// "Refresh licences now" for one tenant (issue 17): a small sync of the subscribed SKUs and the
// users' assignedLicenses only, run in the request that asked for it (two Graph listings, a few
// seconds), so the page shows the new figures when it reloads.
//
// Rules it keeps, as the full sync does:
//  - both listings are read to their end before anything is written: a failed or cut-short read
//    writes nothing and loses nothing (the run ends 'failed' with the reason in its log);
//  - only what changed is written (staging compares content hashes): nothing changed, 0 rows;
//  - a user is never added or removed here (the full sync owns who exists): only the licences of
//    users already staged change, every other field of theirs is kept;
//  - the run is a sync_runs row holding the tenant's "running" slot, so it never overlaps a sync
//    of the same tenant; it leaves a log line in words.
// The contacts' licence overlay follows at the next sync, which sees the staged users changed.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../time.ts';
import { Conflict } from '../errors.ts';
import { isMicrosoftError, type MicrosoftError } from '../microsoft/errors.ts';
import type { GraphUser, GraphUserLicenses } from '../microsoft/tenant-reader.ts';
import { loadStaged, stageRecords } from '../stores/staging.ts';
import { licenseRefreshTarget, startLicenseRefreshRun } from '../stores/license-refresh.ts';
import { recordTenantReport } from '../reports/snapshots.ts';
import { skuRecord } from './documentation-mapping.ts';
import { finishRun, zeroCounts } from './runs.ts';
import { writeSyncLog } from './sync-log.ts';
import { syncSettingsOf } from './settings.ts';
import type { TenantSourceFactory } from './runner.ts';

export interface LicenseRefreshDeps {
  db: Kysely<Database>;
  clock: Clock;
  config: { sync: { inactiveDays: number; tenantTimeBudgetSeconds: number } };
  sources: TenantSourceFactory;
  onPartnerFailure?: (integrationId: string, error: MicrosoftError) => Promise<void>;
}

export interface LicenseRefreshResult {
  runId: string;
  status: 'succeeded';
  skus: { added: number; changed: number; removed: number; unchanged: number };
  users: { changed: number; unchanged: number };
  /** Rows written: staged SKUs and users, and the tenant's report figures. */
  rowsWritten: number;
  summary: string;
}

export async function refreshTenantLicenses(
  deps: LicenseRefreshDeps,
  input: { tenantId: string; requestedBy: string | null; leaseOwner: string },
): Promise<LicenseRefreshResult> {
  const { db, clock } = deps;
  const { tenant, integration } = await licenseRefreshTarget(db, input.tenantId);
  const runId = await startLicenseRefreshRun(db, {
    integrationId: integration.id,
    tenantId: tenant.id,
    requestedBy: input.requestedBy,
    leaseOwner: input.leaseOwner,
    now: clock.now(),
    leaseSeconds: deps.config.sync.tenantTimeBudgetSeconds,
  });
  if (!runId) {
    throw new Conflict(
      `${tenant.display_name} is being synced right now; that sync reads its licences too.`,
      'wait for the running sync to finish, then look again',
    );
  }
  const name = tenant.display_name;
  const counters = { graphRequests: 0, throttled: 0 };
  const signal = AbortSignal.timeout(deps.config.sync.tenantTimeBudgetSeconds * 1000);
  const source = deps.sources({ integration, tenant, counters, signal });
  const counts = () => ({ ...zeroCounts(), graphRequests: counters.graphRequests, throttled: counters.throttled });

  let skus;
  let assignments: GraphUserLicenses[];
  try {
    if (!source.userLicenses) throw new Error('this source cannot read licences on their own');
    skus = await source.subscribedSkus();
    assignments = await source.userLicenses();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (isMicrosoftError(error) && error.scope === 'partner') await deps.onPartnerFailure?.(integration.id, error);
    await writeSyncLog(db, runId, {
      tenantId: tenant.id,
      level: 'warning',
      code: 'licenses_not_refreshed',
      message: `licences of ${name} were not refreshed: ${reason}; the previous data is kept`,
      action: (isMicrosoftError(error) ? error.action : null) ?? 'try again later, or look at the sync log of the last sync',
    });
    await finishRun(db, runId, {
      status: 'failed',
      now: clock.now(),
      counts: { ...counts(), failed: 1 },
      summary: 'licences not refreshed',
      errorCode: isMicrosoftError(error) ? error.code : 'licenses_not_refreshed',
    });
    throw error;
  }

  const now = clock.now();
  // Read in full: a SKU missing from the listing is gone (marked removed, never deleted).
  const skuOutcome = await stageRecords(db, 'ms_subscribed_skus', tenant.id, skus.map(skuRecord), { complete: true, now });
  const staged = await loadStaged<GraphUser>(db, 'ms_users', tenant.id);
  const licensesOf = new Map(assignments.map((u) => [u.id, u.assignedLicenses]));
  // Staging compares content hashes: a user whose licences are as staged is not written.
  const listed = staged.filter((u) => licensesOf.has(u.key));
  const userOutcome = await stageRecords(
    db,
    'ms_users',
    tenant.id,
    listed.map((u) => ({ key: u.key, data: { ...u.data, assignedLicenses: licensesOf.get(u.key)! } })),
    { complete: false, now },
  );
  const settings = syncSettingsOf(integration.settings);
  const report = await recordTenantReport(db, {
    tenantId: tenant.id,
    integrationId: integration.id,
    now,
    inactiveDays: settings.inactiveDays ?? deps.config.sync.inactiveDays,
  });

  const skuChanges = {
    added: skuOutcome.inserted + skuOutcome.restored.length,
    changed: skuOutcome.changed,
    removed: skuOutcome.removed.length,
  };
  const rowsWritten =
    skuChanges.added +
    skuChanges.changed +
    skuChanges.removed +
    userOutcome.changed +
    (report.figuresWritten ? 1 : 0) +
    (report.snapshotTaken ? 1 : 0);
  const summary =
    rowsWritten === 0
      ? `licences of ${name} refreshed: nothing changed (${skus.length} subscriptions, ${assignments.length} users read)`
      : `licences of ${name} refreshed: ${skuChanges.added} subscription(s) added, ${skuChanges.changed} changed, ` +
        `${skuChanges.removed} gone; licences of ${userOutcome.changed} user(s) changed`;
  await writeSyncLog(db, runId, { tenantId: tenant.id, level: 'info', code: 'licenses_refreshed', message: summary, action: null });
  await finishRun(db, runId, {
    status: 'succeeded',
    now: clock.now(),
    counts: { ...counts(), updated: skuChanges.changed + skuChanges.removed + userOutcome.changed, created: skuChanges.added },
    summary,
  });
  return {
    runId,
    status: 'succeeded',
    skus: { ...skuChanges, unchanged: skuOutcome.unchanged },
    users: { changed: userOutcome.changed, unchanged: userOutcome.unchanged },
    rowsWritten,
    summary,
  };
}
