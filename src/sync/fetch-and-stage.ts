// The fetch-and-stage phase of a tenant sync: each Microsoft resource is read and staged on its
// own. A resource whose read fails (permission missing, throttled out, Graph down) keeps its
// previous staged records; the failure goes into the run's log lines and failedResources, and the
// run ends "partial". Only a complete listing (or delta's explicit @removed) marks anything
// removed (staging.ts), so a failed or partial read never deletes.
import type { Kysely } from 'kysely';
import type { Database, Tenant } from '../db/schema.ts';
import type { Clock } from '../time.ts';
import { isMicrosoftError } from '../microsoft/errors.ts';
import { loadStaged, stageRecords } from '../stores/staging.ts';
import { recordFullUserListing, recordReportsFetched, recordUserChanges } from '../stores/tenants.ts';
import type { SyncLogEntry } from './sync-log.ts';
import type { SyncSettings } from './settings.ts';
import type { GraphDomain, GraphUser, TenantSource } from '../microsoft/tenant-reader.ts';
import { mailboxRecord, mergeUserChanges, skuRecord, userRecord } from './documentation-mapping.ts';
import { syncMfaRegistration } from './mfa-phase.ts';
import { syncAppActivity } from './app-activity.ts';
import { groupsDeltaLinkOf, syncGroups } from './groups-phase.ts';

/** Usage reports are daily data; reading them hourly only spends the report rate limit. */
export const REPORT_INTERVAL_HOURS = 6;

export type FetchPhase = 'organization' | 'users' | 'mailboxes' | 'devices' | 'licenses' | 'matching';

export interface FetchAndStageInput {
  tenant: Tenant;
  source: TenantSource;
  settings: SyncSettings;
  signal?: AbortSignal;
  /** Force a full user listing (the demo's --once, a technician's "full sync"). */
  fullListing?: boolean;
  /** Called as each phase starts (the run's progress; it also checks the signal). */
  progress(phase: FetchPhase): Promise<void>;
  /** The run's log lines: this phase appends what a technician should know. */
  logLines: SyncLogEntry[];
}

export interface FetchAndStageOutcome {
  /** The tenant's name and domains as Microsoft says them now. */
  organization: { displayName: string | null; domains: GraphDomain[] };
  /** Labels of the resources not read this run (their staged records were kept). */
  failedResources: string[];
  /** The users were read this run (in full or through the change feed). */
  usersListed: boolean;
  /** Members of the integration's excluded groups; exclusionsKnown false: some group could not be read. */
  excludedByGroup: Set<string>;
  exclusionsKnown: boolean;
}

export async function fetchAndStage(
  deps: { db: Kysely<Database>; clock: Clock; config: { sync: { fullResyncIntervalHours: number } } },
  input: FetchAndStageInput,
): Promise<FetchAndStageOutcome> {
  const { db, clock } = deps;
  const { tenant, source, signal, settings, progress, logLines } = input;
  const failedResources: string[] = [];
  const name = tenant.display_name;

  /** Runs one resource's fetch; a tenant-scope failure is logged and the resource left as it was. */
  async function resource<T>(label: string, fetch: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fetch();
    } catch (error) {
      if (!isMicrosoftError(error) || error.scope === 'partner' || signal?.aborted) throw error;
      // The customer does not have the service (no Intune): nothing is missing, nothing to fix.
      if (error.code === 'service_not_enabled') {
        logLines.push({
          tenantId: tenant.id,
          level: 'info',
          code: `${label}_not_available`,
          message: `${label} of ${name}: ${error.message}`,
          action: error.action ?? null,
        });
        return undefined;
      }
      failedResources.push(label);
      logLines.push({
        tenantId: tenant.id,
        level: 'warning',
        code: `${label}_not_synced`,
        message: `${label} of ${name} were not synced: ${error.message}; the previous data is kept`,
        action: error.action ?? null,
      });
      return undefined;
    }
  }

  // Organization and domains first: if even this fails the tenant is unreachable, and the
  // error goes up to the runner (the tenant run fails, nothing was changed).
  await progress('organization');
  const now = () => clock.now();
  // Users: the change feed when we have a link and the daily full listing is not due.
  const fullDue =
    input.fullListing === true ||
    !tenant.delta_link ||
    !tenant.last_full_sync_at ||
    now().getTime() - new Date(tenant.last_full_sync_at).getTime() >= deps.config.sync.fullResyncIntervalHours * 3_600_000;
  // Microsoft refreshes usage reports once a day and allows 14 report requests per 10 minutes:
  // read them at most every REPORT_INTERVAL_HOURS; the staged rows stay in between.
  const reportsDue =
    !tenant.reports_fetched_at || now().getTime() - new Date(tenant.reports_fetched_at).getTime() >= REPORT_INTERVAL_HOURS * 3_600_000;
  // Groups and members (issue 17): the change feed every run, its first page in the batch.
  const groupsLink = await groupsDeltaLinkOf(db, tenant.id);
  await source.prepare?.({
    users: fullDue ? 'full' : { deltaLink: tenant.delta_link! },
    reports: reportsDue,
    groups: { deltaLink: groupsLink },
  });
  const organization = await source.organization();
  if (organization.domainsFallback) {
    logLines.push({
      tenantId: tenant.id,
      level: 'warning',
      code: 'domains_from_organization',
      message: `the domains of ${name} could not be read (${organization.domainsFallback}); the verified domains of /organization are used`,
      action: "consent docsync's Domain.Read.All permission in that tenant (re-run admin consent) so all its domains are known",
    });
  }

  await progress('users');
  let usersListed = false;
  const fullListing = async () => {
    const listing = await resource('users', () => source.listUsers());
    if (!listing) return;
    const staged = await stageRecords(db, 'ms_users', tenant.id, listing.users.map(userRecord), { complete: true, now: now() });
    await recordFullUserListing(db, tenant.id, { deltaLink: listing.deltaLink, at: now() });
    usersListed = true;
    if (!listing.signInActivityAvailable) {
      logLines.push({
        tenantId: tenant.id,
        level: 'info',
        code: 'sign_in_activity_unavailable',
        message:
          `last sign-in dates are not available for ${name} (needs Entra ID P1 or P2 and AuditLog.Read.All); inactive users ` +
          `cannot be flagged`,
        action: 'grant AuditLog.Read.All to the docsync app, or ignore this if the tenant has no Entra ID P1 licence',
      });
    }
    return staged;
  };
  if (fullDue) {
    await fullListing();
  } else {
    try {
      const changes = await source.userChanges(tenant.delta_link!);
      // Delta does not carry signInActivity: keep what the last full listing said.
      const previousUsers = await loadStaged<GraphUser>(db, 'ms_users', tenant.id, {
        includeRemoved: true,
        keys: changes.changed.map((u) => u.id),
      });
      const previous = new Map(previousUsers.map((u) => [u.key, u.data]));
      // Delta items are partial: only the keys Microsoft sent change; everything else is kept.
      const { merged, incomplete } = mergeUserChanges(changes.changed, previous);
      const staging = { complete: false, removedKeys: changes.removedIds, now: now() };
      await stageRecords(db, 'ms_users', tenant.id, merged.map(userRecord), staging);
      // A user the feed names without enough to document it (first seen, no user principal name):
      // the next run lists users in full, so its change is not lost when the deltaLink moves on.
      await recordUserChanges(db, tenant.id, { deltaLink: changes.deltaLink, listInFullNext: incomplete.length > 0 });
      if (incomplete.length > 0) {
        logLines.push({
          tenantId: tenant.id,
          level: 'info',
          code: 'users_incomplete_change',
          message:
            `the change feed of ${name} named ${incomplete.length} new user(s) without a user principal name ` +
            `(${incomplete.slice(0, 5).join(', ')}); the next run lists users in full`,
          action: null,
        });
      }
      usersListed = true;
    } catch (error) {
      if (isMicrosoftError(error) && error.code === 'resync_required') {
        // Microsoft's 410, or a stored link under another Graph base: either way a full listing now.
        const message = `${error.message}; users of ${name} were listed in full`;
        logLines.push({ tenantId: tenant.id, level: 'info', code: 'users_full_resync', message, action: null });
        await fullListing();
      } else {
        await resource('users', () => Promise.reject(error));
      }
    }
  }

  await progress('mailboxes');
  const concealed = reportsDue ? await resource('mailboxes', () => source.reportNamesConcealed()) : undefined;
  if (concealed === true) {
    failedResources.push('mailboxes', 'activity');
    logLines.push({
      tenantId: tenant.id,
      level: 'warning',
      code: 'reports_concealed',
      message:
        `reports are anonymised in tenant ${name}: mailbox sizes and app activity cannot be matched to users; ` +
        `the previous data is kept`,
      action:
        "turn off 'Display concealed user, group and site names' in the Microsoft 365 admin center (Settings › Org settings › Reports)",
    });
  } else if (concealed === false) {
    const rows = await resource('mailboxes', () => source.mailboxUsage());
    if (rows) {
      await stageRecords(db, 'ms_mailboxes', tenant.id, rows.filter((r) => r.userPrincipalName).map(mailboxRecord), {
        complete: true,
        now: now(),
      });
      await recordReportsFetched(db, tenant.id, now());
    }
    await syncAppActivity(db, { tenantId: tenant.id, source, now: now(), resource });
  }

  await progress('devices');
  const devices = await resource('devices', () => source.managedDevices());
  if (devices)
    await stageRecords(
      db,
      'ms_managed_devices',
      tenant.id,
      devices.map((d) => ({ key: d.id, data: { ...d } })),
      { complete: true, now: now() },
    );

  await progress('licenses');
  const skus = await resource('licenses', () => source.subscribedSkus());
  if (skus) await stageRecords(db, 'ms_subscribed_skus', tenant.id, skus.map(skuRecord), { complete: true, now: now() });

  const groups = await syncGroups({ db, now, signal }, { tenant, source, deltaLink: groupsLink });
  logLines.push(...groups.log);
  if (groups.failed) failedResources.push('groups');

  // MFA registration (issue 17), read with the reports (Microsoft refreshes it, it is not live):
  // its own module; a failure there leaves the rest of the run alone.
  if (reportsDue) {
    const mfa = await syncMfaRegistration({ db, now, signal }, { tenant, source });
    logLines.push(...mfa.log);
    if (mfa.failed) failedResources.push('mfa');
  }

  // Exclusions by group need this run's membership; without it we cannot tell who is excluded,
  // so no contact is written this run (decisions and documentation stay as they were).
  await progress('matching');
  const excludedByGroup = new Set<string>();
  let exclusionsKnown = true;
  for (const groupId of settings.excludeGroupIds) {
    const members = await resource('group_members', () => source.groupMemberIds(groupId));
    if (!members) exclusionsKnown = false;
    else for (const id of members) excludedByGroup.add(id);
  }

  return {
    organization: { displayName: organization.displayName, domains: organization.domains },
    failedResources,
    usersListed,
    excludedByGroup,
    exclusionsKnown,
  };
}
