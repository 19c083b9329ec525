// One tenant's sync: fetch → stage → match (pure engine) → write documentation → log.
//
// Each Microsoft resource is fetched and staged on its own: a resource whose fetch fails
// (permission missing, throttled out, Graph down) keeps its previous staged records and changes
// nothing downstream; the run ends "partial" and the log says which resource and why. The
// documentation is derived from the staged records every run, so an interrupted run is repaired
// by the next one, and compare-before-write makes a no-change run write zero rows.
import { sql, type Kysely } from 'kysely';
import type { Database, Integration, MatchDecision, Tenant } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Clock } from '../time.ts';
import { isMicrosoftError } from '../microsoft/errors.ts';
import {
  indexOrganizations,
  matchOrganization,
  matchContacts,
  matchConfigurations,
  type ContactDecision,
  type ConfigurationDecision,
  type OrganizationDecision,
  type GraphUser,
} from '../matching/index.ts';
import { licenseDisplayName } from '../licensing/skus.ts';
import { organizationsForMatching, createOrganization, organizationExists } from '../docs/organizations.ts';
import {
  contactsOfOrganization,
  createContacts,
  markContactsGone,
  updateLinkedContacts,
  zeroWrites,
  type ContactFromMicrosoft,
  type OrganizationContact,
  type WriteCounts,
} from '../docs/contacts.ts';
import {
  configurationsOfOrganization,
  createConfigurations,
  markConfigurationsGone,
  updateLinkedConfigurations,
  type ConfigurationFromMicrosoft,
  type OrganizationConfiguration,
} from '../docs/configurations.ts';
import { loadStaged, stageRecords, type StagedInput } from './staging.ts';
import { decisionOf, loadDecisions, readDecision, saveDecisions, type DecisionInput } from '../stores/decisions.ts';
import {
  documentationFingerprint,
  loadDocumentationState,
  saveDocumentationState,
  writeAsTenantSync,
  type DecisionCounts,
  type DocumentationState,
  type DocumentationSummary,
  type StoredDerivationInputs,
} from './fingerprint.ts';
import { writeSyncLog, type SyncLogEntry } from './sync-log.ts';
import { reportProgress } from './runs.ts';
import { syncSettingsOf, type SyncSettings } from './settings.ts';
import type { MsDomain, MsMailboxUsage, MsManagedDevice, MsSubscribedSku, MsUser, MsUserChange, TenantSource } from './tenant-source.ts';
import { DAY_MS } from '../time.ts';

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

export type { DecisionCounts } from './fingerprint.ts';

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

/** Usage reports are daily data; reading them hourly only spends the report rate limit. */
export const REPORT_INTERVAL_HOURS = 6;

const PHASES = ['organization', 'users', 'mailboxes', 'devices', 'licenses', 'matching', 'writing'] as const;

export async function syncTenant(deps: TenantSyncDeps, input: TenantSyncInput): Promise<TenantSyncResult> {
  const { db, clock } = deps;
  const { tenant, source, signal } = input;
  const settings = syncSettingsOf(input.integration.settings);
  const logLines: SyncLogEntry[] = [];
  const failedResources: string[] = [];
  const writes = zeroWrites();
  const progress = async (phase: (typeof PHASES)[number]) => {
    signal?.throwIfAborted();
    await reportProgress(db, input.runId, {
      phase,
      done: PHASES.indexOf(phase),
      total: PHASES.length,
      counts: { ...writes, graphRequests: source.counters.graphRequests, throttled: source.counters.throttled },
    });
  };
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
  await source.prepare?.({ users: fullDue ? 'full' : { deltaLink: tenant.delta_link! }, reports: reportsDue });
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
    await db.updateTable('tenants').set({ delta_link: listing.deltaLink, last_full_sync_at: now() }).where('id', '=', tenant.id).execute();
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
      const previousUsers = await loadStaged<MsUser>(db, 'ms_users', tenant.id, {
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
      await db
        .updateTable('tenants')
        .set({ delta_link: changes.deltaLink, ...(incomplete.length > 0 ? { last_full_sync_at: null } : {}) })
        .where('id', '=', tenant.id)
        .execute();
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
    failedResources.push('mailboxes');
    logLines.push({
      tenantId: tenant.id,
      level: 'warning',
      code: 'reports_concealed',
      message: `reports are anonymised in tenant ${name}: mailbox sizes cannot be matched to users; the previous mailbox data is kept`,
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
      await db.updateTable('tenants').set({ reports_fetched_at: now() }).where('id', '=', tenant.id).execute();
    }
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

  const domains: MsDomain[] = organization.domains;
  const storedOrganization = await readDecision(db, { kind: 'organization', tenantId: tenant.id, sourceId: tenant.microsoft_tenant_id });
  const organizationDecision = await decideOrganization(deps, {
    tenant,
    organization: { displayName: organization.displayName ?? name, domains },
    stored: storedOrganization,
    settings,
  });
  const organizationId = organizationDecision.state === 'matched' ? organizationDecision.organizationId : null;
  const ignored = storedOrganization?.state === 'ignored';
  const writing = !ignored && exclusionsKnown;

  // Skip matching and writing when nothing they read changed since the last full pass.
  const computed = {
    settings,
    inactiveDays: deps.config.sync.inactiveDays,
    // Not the rule: a match by domain is "linked" from the next run on, and means the same.
    organization: {
      state: organizationDecision.state,
      organizationId: organizationDecision.organizationId,
      suggestions: organizationDecision.suggestions,
    },
    domains: domains.map(toGraphDomain),
    excludedByGroup: [...excludedByGroup].sort(),
  };
  const previousState = writing && !input.rederive ? await loadDocumentationState(db, tenant.id) : null;
  // Before any input is read: what changes while this run reads them shows in the next one.
  const fingerprint = writing ? await documentationFingerprint(db, { tenantId: tenant.id, organizationId, computed }) : null;
  const upToDate =
    previousState !== null &&
    previousState.fingerprint === fingerprint &&
    (previousState.validUntil === null || previousState.validUntil.getTime() > now().getTime());

  await progress('writing');
  let summary: DocumentationSummary;
  let decisionCounts: DecisionCounts;
  if (upToDate) {
    summary = previousState.summary;
    decisionCounts = { ...summary.decisions };
    writes.unchanged += summary.unchanged;
  } else {
    const staged = await loadStagedDerivation(db, {
      tenant,
      settings,
      organizationDecision,
      domains,
      excludedByGroup,
      inactiveDays: deps.config.sync.inactiveDays,
      now: now(),
    });
    if (writing) {
      const inputs = { domains, excludedByGroup: computed.excludedByGroup };
      const derived = await db
        .transaction()
        .execute((trx) => deriveAndRemember(trx, staged, { fingerprint: fingerprint!, previousState, inputs }));
      add(writes, derived.writes);
      decisionCounts = derived.effective;
      summary = derived.summary;
    } else {
      // Nothing is written: the decisions are computed for the run's figures only.
      const { steady } = decideOnce(
        staged.derivation,
        organizationId ? await contactsOfOrganization(db, organizationId) : [],
        organizationId ? await configurationsOfOrganization(db, organizationId) : [],
      );
      decisionCounts = steady;
      summary = { decisions: steady, flagged: 0, unchanged: 0, ...staged.counts };
      if (!exclusionsKnown) {
        logLines.push({
          tenantId: tenant.id,
          level: 'warning',
          code: 'exclusions_unknown',
          message: `contacts of ${name} were not updated: the members of an excluded group could not be read`,
          action: 'check that the excluded groups still exist in the tenant, then sync again',
        });
      }
    }
  }
  const flagged = writing ? summary.flagged : 0;

  if (organizationDecision.state !== 'matched' && !ignored) {
    logLines.push({
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
  const reviews = decisionCounts.review;
  if (reviews > 0) {
    logLines.push({
      tenantId: tenant.id,
      level: 'info',
      code: 'reviews_waiting',
      message: `${reviews} match(es) in ${name} need a technician's review`,
      action: "open the tenant's contacts and configurations and resolve the reviews",
    });
  }

  await db
    .updateTable('tenants')
    .set({
      last_sync_at: now(),
      health: failedResources.length > 0 ? 'warning' : 'ok',
      health_reason: failedResources.length > 0 ? `not synced last time: ${[...new Set(failedResources)].join(', ')}` : null,
    })
    .where('id', '=', tenant.id)
    .execute();
  logLines.push({
    tenantId: tenant.id,
    level: 'info',
    code: 'tenant_synced',
    message:
      `${name}: ${writes.created} created, ${writes.updated} updated, ${writes.unchanged} ` +
      `unchanged${usersListed ? '' : ' (users not refreshed)'}${upToDate ? ' (nothing changed since the last sync)' : ''}`,
    action: null,
  });
  await writeSyncLog(db, input.runId, logLines);

  return {
    status: failedResources.length > 0 ? 'partial' : 'succeeded',
    writes,
    flagged,
    failedResources: [...new Set(failedResources)],
    decisions: decisionCounts,
    derived: !upToDate,
    users: summary.users,
    devices: summary.devices,
    mailboxes: summary.mailboxes,
    licenses: summary.licenses,
  };
}

// ---- deriving from the staged records ------------------------------------------------------

interface PassInput {
  tenant: Tenant;
  settings: SyncSettings;
  organizationDecision: OrganizationDecision;
  domains: MsDomain[];
  excludedByGroup: Set<string>;
  inactiveDays: number;
  now: Date;
}

interface StagedDerivation {
  derivation: DerivationInput;
  counts: Pick<DocumentationSummary, 'users' | 'devices' | 'mailboxes' | 'licenses'>;
  included: MsUser[];
  timing: { signInAvailable: boolean; now: Date; inactiveDays: number };
}

/** Reads the staged Microsoft records of a tenant into what matching and writing need. */
async function loadStagedDerivation(db: Kysely<Database>, pass: PassInput): Promise<StagedDerivation> {
  const { tenant, settings, organizationDecision, excludedByGroup, now } = pass;
  const users = await loadStaged<MsUser>(db, 'ms_users', tenant.id, { includeRemoved: true });
  const presentUsers = users.filter((u) => u.removedAt === null).map((u) => u.data);
  const goneUserIds = users.filter((u) => u.removedAt !== null).map((u) => u.key);
  const stagedDevices = await loadStaged<MsManagedDevice>(db, 'ms_managed_devices', tenant.id, { includeRemoved: true });
  const presentDevices = stagedDevices.filter((d) => d.removedAt === null).map((d) => d.data);
  const goneDeviceIds = stagedDevices.filter((d) => d.removedAt !== null).map((d) => d.key);
  const mailboxes = new Map((await loadStaged<MsMailboxUsage>(db, 'ms_mailboxes', tenant.id)).map((m) => [m.key, m.data]));
  const skus = await loadStaged<MsSubscribedSku>(db, 'ms_subscribed_skus', tenant.id);
  const skuNames = new Map(skus.map((s) => [s.key, (s.data as { displayName?: string }).displayName]));

  const included: MsUser[] = [];
  const exclusionRows: DecisionInput[] = [];
  for (const user of presentUsers) {
    const why = exclusionReason(user, settings, excludedByGroup);
    if (why) exclusionRows.push({ kind: 'contact', sourceId: user.id, state: 'excluded', targetId: null, rule: null, reason: why });
    else included.push(user);
  }
  const signInAvailable = presentUsers.some((u) => 'signInActivity' in u);
  const timing = { signInAvailable, now, inactiveDays: pass.inactiveDays };
  const derivation: DerivationInput = {
    tenant,
    organizationId: organizationDecision.state === 'matched' ? organizationDecision.organizationId : null,
    organizationRow: organizationDecisionRow(tenant, organizationDecision),
    exclusionRows,
    included,
    presentDevices,
    goneUserIds,
    goneDeviceIds,
    domains: pass.domains,
    settings,
    toContact: (user) => contactFromUser(user, { mailboxes, skuNames, ...timing }),
    now,
  };
  const counts = { users: presentUsers.length, devices: presentDevices.length, mailboxes: mailboxes.size, licenses: skus.length };
  return { derivation, counts, included, timing };
}

/** Matches and writes inside the caller's transaction, then stores the state the next run compares with. */
async function deriveAndRemember(
  trx: Kysely<Database>,
  staged: StagedDerivation,
  state: { fingerprint: string; previousState: DocumentationState | null; inputs: StoredDerivationInputs },
) {
  const { tenant, now } = staged.derivation;
  const result = await deriveDocumentation(trx, staged.derivation);
  const steady: DocumentationSummary = {
    decisions: result.steady,
    flagged: result.flagged,
    unchanged: result.writes.unchanged + result.writes.updated + result.writes.created,
    ...staged.counts,
  };
  const previous = state.previousState ?? (await loadDocumentationState(trx, tenant.id));
  await saveDocumentationState(
    trx,
    tenant.id,
    {
      fingerprint: state.fingerprint,
      validUntil: inactivityChangesAt(staged.included, staged.timing),
      summary: steady,
      inputs: state.inputs,
    },
    previous,
    now,
  );
  return { ...result, summary: steady };
}

export type DecisionApplied =
  | { applied: true; writes: WriteCounts; decisions: DecisionCounts }
  | { applied: false; reason: 'sync_running' | 'not_synced' | 'not_matched' | 'ignored'; message: string };

const UNIQUE_VIOLATION = '23505';

/**
 * A technician's decision, applied at once: the tenant's documentation derived from its staged
 * records and what its last full pass read (domains, excluded group members), without asking
 * Microsoft. It writes exactly what a sync would, so the next sync that finds nothing changed
 * writes nothing. The guard is the queue's own: a "running" run of the tenant, inserted inside
 * the transaction and removed before it commits (sync_runs_one_running_per_tenant, migration
 * T0300), so it never overlaps a sync of the tenant; a worker claiming the tenant meanwhile waits.
 */
export async function applyDecisionsNow(
  deps: { db: Kysely<Database>; clock: Clock; config: { sync: { inactiveDays: number } } },
  tenantId: string,
): Promise<DecisionApplied> {
  const { db } = deps;
  const now = deps.clock.now();
  const tenant = await db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirstOrThrow();
  const integration = await db.selectFrom('integrations').selectAll().where('id', '=', tenant.integration_id).executeTakeFirstOrThrow();
  const settings = syncSettingsOf(integration.settings);
  const stored = await readDecision(db, { kind: 'organization', tenantId: tenant.id, sourceId: tenant.microsoft_tenant_id });
  if (stored?.state === 'ignored')
    return { applied: false, reason: 'ignored', message: 'This tenant is ignored: docsync writes nothing for it.' };
  const organizationId = stored?.state === 'matched' && stored.target_id ? stored.target_id : null;
  if (!organizationId || !(await organizationExists(db, organizationId)))
    return {
      applied: false,
      reason: 'not_matched',
      message: 'Contacts and configurations are written once the tenant is matched to an organization.',
    };
  const remembered = await loadDocumentationState(db, tenant.id);
  if (!remembered?.inputs)
    return {
      applied: false,
      reason: 'not_synced',
      message: 'The decision is saved; it applies at the next sync (this tenant has no Microsoft data docsync could derive from yet).',
    };
  const inputs = remembered.inputs;
  const organizationDecision: OrganizationDecision = {
    tenantId: tenant.microsoft_tenant_id,
    state: 'matched',
    organizationId,
    rule: 'linked',
    suggestions: [],
  };
  const domains: MsDomain[] = inputs.domains;
  // The same values the sync's fingerprint hashes (see syncTenant), so a sync that finds
  // nothing changed after this skips matching and writing altogether.
  const computed = {
    settings,
    inactiveDays: deps.config.sync.inactiveDays,
    organization: { state: 'matched', organizationId, suggestions: [] },
    domains: domains.map(toGraphDomain),
    excludedByGroup: [...inputs.excludedByGroup].sort(),
  };
  try {
    return await db.transaction().execute(async (trx) => {
      const guard = await trx
        .insertInto('sync_runs')
        .values({ integration_id: tenant.integration_id, tenant_id: tenant.id, trigger: 'manual', status: 'running', started_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      const fingerprint = await documentationFingerprint(trx, { tenantId: tenant.id, organizationId, computed });
      const staged = await loadStagedDerivation(trx, {
        tenant,
        settings,
        organizationDecision,
        domains,
        excludedByGroup: new Set(inputs.excludedByGroup),
        inactiveDays: deps.config.sync.inactiveDays,
        now,
      });
      const derived = await deriveAndRemember(trx, staged, { fingerprint, previousState: remembered, inputs });
      await trx.deleteFrom('sync_runs').where('id', '=', guard.id).execute();
      return { applied: true as const, writes: derived.writes, decisions: derived.effective };
    });
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    return {
      applied: false,
      reason: 'sync_running',
      message: 'The decision is saved; a sync of this tenant is running and applies it (or the next one does).',
    };
  }
}

function add(target: WriteCounts, more: WriteCounts): void {
  target.created += more.created;
  target.updated += more.updated;
  target.unchanged += more.unchanged;
}

async function decideOrganization(
  deps: TenantSyncDeps,
  input: {
    tenant: Tenant;
    organization: { displayName: string; domains: MsDomain[] };
    stored: MatchDecision | undefined;
    settings: SyncSettings;
  },
): Promise<OrganizationDecision> {
  const { tenant, stored } = input;
  // Linked by a technician or an earlier sync: the engine's `linked` rule.
  const linkedTo = stored?.state === 'matched' && stored.target_id ? stored.target_id : null;
  // A linked tenant needs no index of every organization (nor its fuzzy suggester): only proof
  // that its organization still exists.
  if (linkedTo && (await organizationExists(deps.db, linkedTo)))
    return { tenantId: tenant.microsoft_tenant_id, state: 'matched', organizationId: linkedTo, rule: 'linked', suggestions: [] };
  const organizations = await organizationsForMatching(deps.db);
  const decision = matchOrganization(
    // (linked to an organization that is gone: match again)
    {
      id: tenant.microsoft_tenant_id,
      displayName: input.organization.displayName,
      organizationId: null,
      domains: input.organization.domains.map(toGraphDomain),
    },
    indexOrganizations(organizations),
  );
  // Only a tenant that resembles no organization at all gets one created: a suggestion means an
  // organization may already be this customer's, and that is a technician's call.
  if (decision.state !== 'unmatched' || !input.settings.createOrganizations || stored?.decided_by_technician || stored?.state === 'ignored')
    return decision;
  const verified = input.organization.domains.filter((d) => d.isVerified).map((d) => d.id.toLowerCase());
  const id = await createOrganization(deps.db, { name: input.organization.displayName, domains: verified, now: deps.clock.now() });
  return {
    tenantId: tenant.microsoft_tenant_id,
    state: 'matched',
    organizationId: id,
    rule: 'created' as OrganizationDecision['rule'],
    suggestions: [],
  };
}

/** What the sync acts on: a technician's decision wins over the engine's. */
function chosenFor(
  existing: Map<string, MatchDecision>,
  kind: 'contact' | 'configuration',
  sourceId: string,
  decision: string,
  targetId: string | null,
): { decision: string; targetId: string | null } {
  const technician = decisionOf(existing, kind, sourceId);
  if (!technician?.decided_by_technician) return { decision, targetId };
  const d = technician;
  return { decision: d.state === 'match' || d.state === 'create' ? (d.target_id ? 'match' : d.state) : d.state, targetId: d.target_id };
}

// ---- matching and writing the documentation ----------------------------------------------

interface DerivationInput {
  tenant: Tenant;
  organizationId: string | null;
  organizationRow: DecisionInput;
  exclusionRows: DecisionInput[];
  included: MsUser[];
  presentDevices: MsManagedDevice[];
  goneUserIds: string[];
  goneDeviceIds: string[];
  domains: MsDomain[];
  settings: SyncSettings;
  toContact: (user: MsUser) => ContactFromMicrosoft;
  now: Date;
}

interface Derivation {
  writes: WriteCounts;
  /** What this run did: users it created contacts for count as "create". */
  effective: DecisionCounts;
  /** What the next run will decide if nothing changes (created contacts are matches then). */
  steady: DecisionCounts;
  flagged: number;
}

/** Rounds of match → write within one run; see deriveDocumentation. */
const MAX_ROUNDS = 3;
const CREATED_REASON = 'Created from this Microsoft user by the sync.';

const matchingTenantOf = (input: DerivationInput) => ({
  id: input.tenant.id,
  domains: input.domains.map(toGraphDomain),
  users: input.included.map(toGraphUser),
  managedDevices: input.presentDevices.map(toGraphDevice),
});

function decideOnce(input: DerivationInput, contacts: OrganizationContact[], configurations: OrganizationConfiguration[]) {
  const tenant = matchingTenantOf(input);
  const contactDecisions = matchContacts(tenant, input.organizationId, contacts, { includeGuests: input.settings.includeGuests });
  const configurationDecisions = matchConfigurations(tenant, input.organizationId, configurations, contactDecisions);
  const steady: DecisionCounts = { match: 0, create: 0, review: 0, pending: 0, skip: input.exclusionRows.length };
  for (const d of [...contactDecisions, ...configurationDecisions]) steady[d.decision]++;
  return { contactDecisions, configurationDecisions, steady };
}

/**
 * Matches the tenant's users and devices against its organization's documentation and writes
 * what follows, then stores the decisions. Contacts this run creates or links are documentation
 * the next run matches against: a user decided before they existed ("review: the contact with
 * this name is linked to another user") would be decided differently next time (another user's
 * new contact now has the same alias), so a second, unchanged run would rewrite its decision.
 * Hence rounds: match, write, and match again against what was written, until a round writes
 * nothing that matching reads (names, addresses, links). Users and devices acted on in an
 * earlier round keep that round's decision (they are "linked" from then on). The stored
 * decisions are then exactly what the next run computes, and a no-change re-sync writes nothing.
 * Runs under a transaction-scoped lock on the organization: two tenants of one organization
 * (a customer with two tenants) match and write one after the other, each seeing the other's.
 */
async function deriveDocumentation(trx: Kysely<Database>, input: DerivationInput): Promise<Derivation> {
  const { tenant, organizationId, settings, now } = input;
  const writes = zeroWrites();
  if (organizationId) await sql`select pg_advisory_xact_lock(hashtext(${`docsync.organization:${organizationId}`}))`.execute(trx);
  await writeAsTenantSync(trx, tenant.id);
  const existing = await loadDecisions(trx, tenant.id);
  const usersById = new Map(input.included.map((u) => [u.id, u]));
  const devicesById = new Map(input.presentDevices.map((d) => [d.id, d]));
  // The decision row that explains what this run did, per `kind:id`.
  const actedOn = new Map<string, DecisionInput>();
  const userContact = new Map<string, string>();
  let decided = decideOnce(input, [], []);

  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const contacts = organizationId ? await contactsOfOrganization(trx, organizationId) : [];
    const configurations = organizationId ? await configurationsOfOrganization(trx, organizationId) : [];
    decided = decideOnce(input, contacts, configurations);
    let reshaped = false;

    const links = new Map<string, ContactFromMicrosoft>();
    const toCreate: MsUser[] = [];
    for (const decision of decided.contactDecisions) {
      const user = usersById.get(decision.userId);
      if (!user || actedOn.has(`contact:${user.id}`)) continue;
      const chosen = chosenFor(existing, 'contact', user.id, decision.decision, decision.contactId);
      if (chosen.decision === 'match' && chosen.targetId) {
        links.set(chosen.targetId, input.toContact(user));
        userContact.set(user.id, chosen.targetId);
        actedOn.set(`contact:${user.id}`, contactDecisionRow(decision));
      } else if (chosen.decision === 'create' && organizationId && settings.autoCreate) {
        toCreate.push(user);
      }
    }
    const contactUpdate = await updateLinkedContacts(trx, {
      tenantId: tenant.id,
      links,
      contacts: new Map(contacts.map((c) => [c.id, c])),
      now,
    });
    add(writes, contactUpdate.counts);
    reshaped ||= contactUpdate.matchingInputsChanged;
    if (toCreate.length > 0 && organizationId) {
      const { created, counts } = await createContacts(trx, {
        organizationId,
        tenantId: tenant.id,
        users: toCreate.map(input.toContact),
        now,
      });
      add(writes, counts);
      for (const [userId, contactId] of created) {
        userContact.set(userId, contactId);
        actedOn.set(`contact:${userId}`, {
          kind: 'contact',
          sourceId: userId,
          state: 'match',
          targetId: contactId,
          rule: 'created',
          candidates: [],
          reason: CREATED_REASON,
        });
      }
      reshaped ||= counts.created > 0;
    }

    const deviceLinks = new Map<string, ConfigurationFromMicrosoft>();
    const devicesToCreate: ConfigurationFromMicrosoft[] = [];
    for (const decision of decided.configurationDecisions) {
      const device = devicesById.get(decision.deviceId);
      if (!device || actedOn.has(`configuration:${device.id}`)) continue;
      const chosen = chosenFor(existing, 'configuration', device.id, decision.decision, decision.configurationId);
      const primaryUser = device.userId && device.userId !== '' ? device.userId : null;
      const record = configurationFromDevice(device, (primaryUser ? userContact.get(primaryUser) : undefined) ?? decision.contactId);
      if (chosen.decision === 'match' && chosen.targetId) {
        deviceLinks.set(chosen.targetId, record);
        actedOn.set(`configuration:${device.id}`, configurationDecisionRow(decision));
      } else if (chosen.decision === 'create' && organizationId && settings.autoCreate) {
        devicesToCreate.push(record);
      }
    }
    const configurationUpdate = await updateLinkedConfigurations(trx, {
      tenantId: tenant.id,
      links: deviceLinks,
      configurations: new Map(configurations.map((c) => [c.id, c])),
      now,
    });
    add(writes, configurationUpdate.counts);
    reshaped ||= configurationUpdate.matchingInputsChanged;
    if (devicesToCreate.length > 0 && organizationId) {
      const { created, counts } = await createConfigurations(trx, {
        organizationId,
        tenantId: tenant.id,
        devices: devicesToCreate,
        now,
      });
      add(writes, counts);
      for (const [deviceId, configurationId] of created) {
        actedOn.set(`configuration:${deviceId}`, {
          kind: 'configuration',
          sourceId: deviceId,
          state: 'match',
          targetId: configurationId,
          rule: 'created',
          candidates: [],
        });
      }
      reshaped ||= counts.created > 0;
    }
    if (!reshaped) break;
  }
  await markContactsGone(trx, { tenantId: tenant.id, microsoftUserIds: input.goneUserIds, now });
  await markConfigurationsGone(trx, { tenantId: tenant.id, intuneDeviceIds: input.goneDeviceIds, now });

  const rows: DecisionInput[] = [input.organizationRow, ...input.exclusionRows];
  const effective: DecisionCounts = { match: 0, create: 0, review: 0, pending: 0, skip: input.exclusionRows.length };
  let flagged = 0;
  const settle = (
    kind: 'contact' | 'configuration',
    sourceId: string,
    decision: ContactDecision['decision'],
    targetId: string | null,
    row: () => DecisionInput,
  ) => {
    const acted = actedOn.get(`${kind}:${sourceId}`);
    effective[acted?.rule === 'created' ? 'create' : decision]++;
    if (chosenFor(existing, kind, sourceId, decision, targetId).decision === 'review') flagged++;
    if (!decisionOf(existing, kind, sourceId)?.decided_by_technician) rows.push(acted ?? row());
  };
  for (const d of decided.contactDecisions) settle('contact', d.userId, d.decision, d.contactId, () => contactDecisionRow(d));
  for (const d of decided.configurationDecisions)
    settle('configuration', d.deviceId, d.decision, d.configurationId, () => configurationDecisionRow(d));
  await saveDecisions(trx, { tenantId: tenant.id, existing, decisions: rows, now });
  return { writes, effective, steady: decided.steady, flagged };
}

function organizationDecisionRow(tenant: Tenant, d: OrganizationDecision): DecisionInput {
  return {
    kind: 'organization',
    sourceId: tenant.microsoft_tenant_id,
    state: d.state,
    targetId: d.organizationId,
    rule: d.rule,
    suggestions: d.suggestions,
    candidates: [],
    reason:
      d.state === 'matched'
        ? `Matched by ${d.rule}.`
        : d.state === 'suggested'
          ? 'Suggestions wait for a technician.'
          : 'No organization resembles this tenant.',
  };
}

function contactDecisionRow(d: ContactDecision): DecisionInput {
  return {
    kind: 'contact',
    sourceId: d.userId,
    state: d.decision,
    targetId: d.contactId,
    rule: d.rule,
    candidates: d.candidates,
    reason: d.reason,
  };
}

function configurationDecisionRow(d: ConfigurationDecision): DecisionInput {
  return {
    kind: 'configuration',
    sourceId: d.deviceId,
    state: d.decision,
    targetId: d.configurationId,
    rule: d.rule,
    candidates: d.candidates,
    reason: null,
  };
}

function exclusionReason(user: MsUser, settings: SyncSettings, excludedByGroup: Set<string>): string | null {
  if (excludedByGroup.has(user.id)) return 'Member of a group this integration excludes.';
  if (!settings.includeDisabled && user.accountEnabled === false)
    return 'Disabled account; this integration does not sync disabled accounts.';
  if (!settings.domains.includes('*')) {
    const domainsOf = [user.userPrincipalName, user.mail].filter((v): v is string => !!v).map((v) => v.split('@')[1]?.toLowerCase());
    if (!domainsOf.some((d) => d && settings.domains.includes(d))) return 'Outside the domains this integration syncs.';
  }
  // Guests are the engine's to skip (its rule also catches #EXT# UPNs without userType).
  return null;
}

// ---- records: staging shape and documentation shape -----------------------------------

/**
 * Merges delta items (partial: only the keys present changed) onto the staged users. A user with
 * no staged record and no user principal name cannot be documented from the item alone.
 */
export function mergeUserChanges(changes: MsUserChange[], previous: Map<string, MsUser>): { merged: MsUser[]; incomplete: string[] } {
  // Delta may name a user more than once in one round (G:delta): each copy merges onto the last.
  const latest = new Map<string, Partial<MsUser>>();
  for (const change of changes) latest.set(change.id, { ...(latest.get(change.id) ?? previous.get(change.id)), ...change });
  const merged: MsUser[] = [];
  const incomplete: string[] = [];
  for (const [id, user] of latest) {
    if (typeof user.userPrincipalName !== 'string' || !user.userPrincipalName) incomplete.push(id);
    else merged.push(user as MsUser);
  }
  return { merged, incomplete };
}

function userRecord(user: MsUser): StagedInput {
  return { key: user.id, data: { ...user } };
}

function mailboxRecord(row: MsMailboxUsage): StagedInput {
  return { key: row.userPrincipalName.trim().toLowerCase(), data: { ...row } };
}

function skuRecord(sku: MsSubscribedSku): StagedInput {
  const enabled = sku.prepaidUnits?.enabled ?? 0;
  const consumed = sku.consumedUnits ?? 0;
  return {
    key: sku.skuId.toLowerCase(),
    data: { ...sku, displayName: licenseDisplayName(sku.skuId, sku.skuPartNumber), available: Math.max(0, enabled - consumed) },
  };
}

const toGraphDomain = (d: MsDomain) => ({
  id: d.id,
  isVerified: d.isVerified ?? null,
  isInitial: d.isInitial ?? null,
  isDefault: d.isDefault ?? null,
});
const toGraphUser = (u: MsUser): GraphUser => ({
  id: u.id,
  userPrincipalName: u.userPrincipalName,
  displayName: u.displayName ?? null,
  givenName: u.givenName ?? null,
  surname: u.surname ?? null,
  mail: u.mail ?? null,
  proxyAddresses: u.proxyAddresses ?? null,
  otherMails: u.otherMails ?? null,
  userType: u.userType ?? null,
  accountEnabled: u.accountEnabled ?? null,
});
const toGraphDevice = (d: MsManagedDevice) => ({
  id: d.id,
  deviceName: d.deviceName ?? null,
  serialNumber: d.serialNumber ?? null,
  userId: d.userId ?? null,
  userPrincipalName: d.userPrincipalName ?? null,
});

function splitDisplayName(user: MsUser): { first: string | null; last: string | null } {
  if (user.givenName || user.surname) return { first: user.givenName ?? null, last: user.surname ?? null };
  const parts = (user.displayName ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { first: null, last: null };
  if (parts.length === 1) return { first: parts[0]!, last: null };
  return { first: parts.slice(0, -1).join(' '), last: parts.at(-1)! };
}

const dateOnly = (value: string | null | undefined) => (value && !value.startsWith('0001-01-01') ? value : null);

/** Prefer the last *successful* sign-in (interactive attempts include failures). */
const lastSignInOf = (user: MsUser) => {
  const activity = user.signInActivity ?? null;
  return (
    dateOnly(activity?.lastSuccessfulSignInDateTime) ??
    dateOnly(activity?.lastSignInDateTime) ??
    dateOnly(activity?.lastNonInteractiveSignInDateTime)
  );
};

/** Inactive: no sign-in (or, never signed in, created) within inactiveDays. Null: cannot tell. */
function isInactive(user: MsUser, context: { signInAvailable: boolean; now: Date; inactiveDays: number }): boolean | null {
  if (!context.signInAvailable || user.accountEnabled === false) return null;
  const lastSignInAt = lastSignInOf(user);
  const reference = lastSignInAt ?? dateOnly(user.createdDateTime);
  return reference ? new Date(reference).getTime() < context.now.getTime() - context.inactiveDays * DAY_MS : lastSignInAt === null;
}

/**
 * The first moment a user's "inactive" flag flips by time alone (no sign-in for inactiveDays):
 * the documentation derived now is valid until then. Null: no flag changes with time.
 */
export function inactivityChangesAt(users: MsUser[], context: { signInAvailable: boolean; now: Date; inactiveDays: number }): Date | null {
  if (!context.signInAvailable) return null;
  let earliest: number | null = null;
  for (const user of users) {
    if (user.accountEnabled === false) continue;
    const reference = lastSignInOf(user) ?? dateOnly(user.createdDateTime);
    if (!reference) continue;
    const at = new Date(reference).getTime() + context.inactiveDays * DAY_MS;
    if (Number.isFinite(at) && at > context.now.getTime() && (earliest === null || at < earliest)) earliest = at;
  }
  return earliest === null ? null : new Date(earliest);
}

export function contactFromUser(
  user: MsUser,
  context: {
    mailboxes: Map<string, MsMailboxUsage>;
    skuNames: Map<string, string | undefined>;
    signInAvailable: boolean;
    now: Date;
    inactiveDays: number;
  },
): ContactFromMicrosoft {
  const { first, last } = splitDisplayName(user);
  const primary = user.mail?.trim() || user.userPrincipalName;
  const aliases = (user.proxyAddresses ?? []).filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5));
  const mailbox = context.mailboxes.get(user.userPrincipalName.trim().toLowerCase());
  const lastSignInAt = lastSignInOf(user);
  const inactive = isInactive(user, context);
  const licenses = (user.assignedLicenses ?? []).map((l) => ({
    skuId: l.skuId,
    name: context.skuNames.get(l.skuId.toLowerCase()) ?? licenseDisplayName(l.skuId),
  }));
  return {
    microsoftUserId: user.id,
    firstName: first,
    lastName: last,
    title: user.jobTitle ?? null,
    phone: user.businessPhones?.[0] ?? user.mobilePhone ?? null,
    emails: [primary, ...aliases, ...(user.otherMails ?? [])],
    overlay: {
      userPrincipalName: user.userPrincipalName,
      displayName: user.displayName ?? null,
      userType: user.userType ?? null,
      accountEnabled: user.accountEnabled ?? null,
      createdAt: dateOnly(user.createdDateTime),
      lastPasswordChangeAt: dateOnly(user.lastPasswordChangeDateTime),
      signInActivityAvailable: context.signInAvailable,
      lastSignInAt,
      inactive,
      licenses,
      mailbox: mailbox
        ? {
            storageUsedBytes: mailbox.storageUsedBytes ?? null,
            itemCount: mailbox.itemCount ?? null,
            quotaBytes: mailbox.prohibitSendReceiveQuotaBytes ?? null,
            lastActivityDate: mailbox.lastActivityDate ?? null,
            hasArchive: mailbox.hasArchive ?? null,
            reportRefreshDate: mailbox.reportRefreshDate ?? null,
          }
        : null,
    },
  };
}

const dateOrNull = (value: string | null | undefined) => {
  const v = dateOnly(value);
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};

export function configurationFromDevice(device: MsManagedDevice, contactId: string | null): ConfigurationFromMicrosoft {
  return {
    intuneDeviceId: device.id,
    name: device.deviceName?.trim() || device.serialNumber?.trim() || `Intune device ${device.id}`,
    serialNumber: device.serialNumber?.trim() || null,
    manufacturer: device.manufacturer ?? null,
    model: device.model ?? null,
    operatingSystem: device.operatingSystem ?? null,
    osVersion: device.osVersion ?? null,
    complianceState: device.complianceState ?? null,
    ownerType: device.managedDeviceOwnerType ?? null,
    enrolledAt: dateOrNull(device.enrolledDateTime),
    lastCheckInAt: dateOrNull(device.lastSyncDateTime),
    contactId,
  };
}
