// One tenant's sync, in two phases: fetch-and-stage (fetch-and-stage.ts: every Microsoft resource
// read and staged on its own) and derive-documentation (derive-documentation.ts: match the staged
// records against the organization's documentation and write what follows), then the run's
// outcome: the tenant's health and the sync log lines.
//
// A resource whose fetch fails keeps its previous staged records and changes nothing downstream;
// the run ends "partial" and the log says which resource and why. The documentation is derived
// from the staged records every run, so an interrupted run is repaired by the next one, and
// compare-before-write makes a no-change run write zero rows.
import type { Kysely } from 'kysely';
import type { Database, Integration, Tenant } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Clock } from '../time.ts';
import type { WriteCounts } from '../stores/contacts.ts';
import type { DecisionCounts } from './fingerprint.ts';
import { writeSyncLog, type SyncLogEntry } from './sync-log.ts';
import { reportProgress } from './runs.ts';
import { syncSettingsOf } from './settings.ts';
import type { TenantSource } from '../microsoft/tenant-reader.ts';
import { fetchAndStage } from './fetch-and-stage.ts';
import { deriveTenantDocumentation, type DeriveOutcome } from './derive-documentation.ts';
import { recordTenantReport } from '../reports/snapshots.ts';
import { markTenantSynced } from '../stores/tenants.ts';

export { REPORT_INTERVAL_HOURS } from './fetch-and-stage.ts';
export type { DecisionCounts } from './fingerprint.ts';

export interface TenantSyncDeps {
  db: Kysely<Database>;
  log: Logger;
  clock: Clock;
  config: { sync: { inactiveDays: number; fullResyncIntervalHours: number } };
}

export interface TenantSyncInput {
  runId: string;
  tenant: Tenant;
  integration: Integration;
  source: TenantSource;
  signal?: AbortSignal;
  /** Force a full user listing (the demo's --once, a technician's "full sync"). */
  fullListing?: boolean;
  /** Match and compare everything even when nothing it reads changed since the last run. */
  rederive?: boolean;
}

export interface TenantSyncResult {
  status: 'succeeded' | 'partial';
  writes: WriteCounts;
  flagged: number;
  failedResources: string[];
  decisions: DecisionCounts;
  /** False: nothing the documentation is derived from changed, matching and writing were skipped. */
  derived: boolean;
  users: number;
  devices: number;
  mailboxes: number;
  licenses: number;
}

const PHASES = ['organization', 'users', 'mailboxes', 'devices', 'licenses', 'matching', 'writing'] as const;

export async function syncTenant(deps: TenantSyncDeps, input: TenantSyncInput): Promise<TenantSyncResult> {
  const { db } = deps;
  const { tenant, source, signal } = input;
  const settings = syncSettingsOf(input.integration.settings);
  const logLines: SyncLogEntry[] = [];
  const progress = async (phase: (typeof PHASES)[number]) => {
    signal?.throwIfAborted();
    await reportProgress(db, input.runId, {
      phase,
      done: PHASES.indexOf(phase),
      total: PHASES.length,
      // Writes happen at the end, in one transaction: until then there are none to report.
      counts: { created: 0, updated: 0, unchanged: 0, graphRequests: source.counters.graphRequests, throttled: source.counters.throttled },
    });
  };

  const fetched = await fetchAndStage(deps, { tenant, source, settings, signal, fullListing: input.fullListing, progress, logLines });
  const derived = await deriveTenantDocumentation(deps, {
    tenant,
    settings,
    organization: fetched.organization,
    excludedByGroup: fetched.excludedByGroup,
    exclusionsKnown: fetched.exclusionsKnown,
    rederive: input.rederive,
    writingStarts: () => progress('writing'),
    logLines,
  });
  const failedResources = [...new Set(fetched.failedResources)];
  logLines.push(...outcomeLogLines(tenant, derived, { usersListed: fetched.usersListed }));

  // Report figures and the day's snapshot (src/reports/snapshots.ts): written only when they change.
  await recordTenantReport(db, {
    tenantId: tenant.id,
    integrationId: tenant.integration_id,
    now: deps.clock.now(),
    inactiveDays: settings.inactiveDays ?? deps.config.sync.inactiveDays,
  });

  await markTenantSynced(db, tenant.id, { now: deps.clock.now(), failedResources });
  await writeSyncLog(db, input.runId, logLines);

  const { summary } = derived;
  return {
    status: failedResources.length > 0 ? 'partial' : 'succeeded',
    writes: derived.writes,
    flagged: derived.flagged,
    failedResources,
    decisions: derived.decisions,
    derived: !derived.upToDate,
    users: summary.users,
    devices: summary.devices,
    mailboxes: summary.mailboxes,
    licenses: summary.licenses,
  };
}

/** What the run says about the tenant's documentation: waiting organization, reviews, the figures. */
function outcomeLogLines(tenant: Tenant, derived: DeriveOutcome, fetched: { usersListed: boolean }): SyncLogEntry[] {
  const name = tenant.display_name;
  const { organizationDecision, writes } = derived;
  const lines: SyncLogEntry[] = [];
  if (organizationDecision.state !== 'matched' && !derived.ignored) {
    lines.push({
      tenantId: tenant.id,
      level: 'info',
      code: organizationDecision.state === 'suggested' ? 'organization_suggested' : 'organization_unmatched',
      message:
        organizationDecision.state === 'suggested'
          ? `${name} is not matched to an organization yet; ${organizationDecision.suggestions.length} suggestion(s) wait for review`
          : `${name} matches no organization; its users wait until it is matched`,
      action: 'open Organizations and accept a suggestion, choose an organization or create one from the tenant',
    });
  }
  const reviews = derived.decisions.review;
  if (reviews > 0) {
    lines.push({
      tenantId: tenant.id,
      level: 'info',
      code: 'reviews_waiting',
      message: `${reviews} match(es) in ${name} need a technician's review`,
      action: "open the tenant's contacts and configurations and resolve the reviews",
    });
  }
  lines.push({
    tenantId: tenant.id,
    level: 'info',
    code: 'tenant_synced',
    message:
      `${name}: ${writes.created} created, ${writes.updated} updated, ${writes.unchanged} ` +
      `unchanged${fetched.usersListed ? '' : ' (users not refreshed)'}${derived.upToDate ? ' (nothing changed since the last sync)' : ''}`,
    action: null,
  });
  return lines;
}
