// The derive-documentation phase of a tenant sync: decide the tenant's organization, skip when
// nothing the documentation is derived from changed (fingerprint.ts), else read the staged records
// back and match and write them in one transaction (documentation-rounds.ts). The mapping of one
// record is pure (documentation-mapping.ts).
import type { Kysely } from 'kysely';
import type { Database, MatchDecision, Tenant } from '../db/schema.ts';
import type { Clock } from '../time.ts';
import { indexOrganizations, matchOrganization, type OrganizationDecision } from '../matching/index.ts';
import { organizationsForMatching, createOrganization, organizationExists } from '../docs/organizations.ts';
import { contactsOfOrganization, zeroWrites, type WriteCounts } from '../stores/contacts.ts';
import { configurationsOfOrganization } from '../stores/configurations.ts';
import { loadStaged } from '../stores/staging.ts';
import { readDecision, type DecisionInput } from '../stores/decisions.ts';
import {
  documentationFingerprint,
  loadDocumentationState,
  saveDocumentationState,
  type DecisionCounts,
  type DocumentationState,
  type DocumentationSummary,
  type StoredDerivationInputs,
} from './fingerprint.ts';
import type { SyncLogEntry } from './sync-log.ts';
import type { SyncSettings } from './settings.ts';
import type { GraphDomain, MailboxUsageRow, GraphManagedDevice, GraphSubscribedSku, GraphUser } from '../microsoft/tenant-reader.ts';
import {
  contactFromUser,
  deviceCheckInsByUser,
  exclusionReason,
  inactivityChangesAt,
  organizationDecisionRow,
  toGraphDomain,
  type InactivityContext,
} from './documentation-mapping.ts';
import type { StagedUserActivity } from './app-activity.ts';
import { resourceKindOf } from '../microsoft/mailbox-kinds.ts';
import { add, decideOnce, deriveDocumentation, type DerivationInput } from './documentation-rounds.ts';

export interface DeriveInput {
  tenant: Tenant;
  settings: SyncSettings;
  /** What fetch-and-stage read this run besides the staged records. */
  organization: { displayName: string | null; domains: GraphDomain[] };
  excludedByGroup: Set<string>;
  exclusionsKnown: boolean;
  /** Match and compare everything even when nothing it reads changed since the last run. */
  rederive?: boolean;
  /** Called once matching is decided and writing starts (the run's progress). */
  writingStarts(): Promise<void>;
  logLines: SyncLogEntry[];
}

export interface DeriveOutcome {
  organizationDecision: OrganizationDecision;
  /** A technician set the tenant aside: nothing is written for it. */
  ignored: boolean;
  /** Nothing the documentation is derived from changed: matching and writing were skipped. */
  upToDate: boolean;
  writes: WriteCounts;
  decisions: DecisionCounts;
  flagged: number;
  summary: DocumentationSummary;
}

export async function deriveTenantDocumentation(
  deps: { db: Kysely<Database>; clock: Clock; config: { sync: { inactiveDays: number } } },
  input: DeriveInput,
): Promise<DeriveOutcome> {
  const { db } = deps;
  const { tenant, settings, excludedByGroup, exclusionsKnown, logLines } = input;
  const now = () => deps.clock.now();
  const writes = zeroWrites();
  const domains = input.organization.domains;
  const storedOrganization = await readDecision(db, { tenantId: tenant.id, kind: 'organization', sourceId: tenant.microsoft_tenant_id });
  const organizationDecision = await decideOrganization(deps, {
    tenant,
    organization: { displayName: input.organization.displayName ?? tenant.display_name, domains },
    stored: storedOrganization,
    settings,
  });
  const organizationId = organizationDecision.state === 'matched' ? organizationDecision.organizationId : null;
  const ignored = storedOrganization?.state === 'ignored';
  const writing = !ignored && exclusionsKnown;

  // Skip matching and writing when nothing they read changed since the last full pass.
  const computed = {
    settings,
    inactiveDays: settings.inactiveDays ?? deps.config.sync.inactiveDays,
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

  await input.writingStarts();
  let summary: DocumentationSummary;
  let decisions: DecisionCounts;
  if (upToDate) {
    summary = previousState.summary;
    decisions = { ...summary.decisions };
    writes.unchanged += summary.unchanged;
  } else {
    const staged = await loadStagedDerivation(db, {
      tenant,
      settings,
      organizationDecision,
      domains,
      excludedByGroup,
      inactiveDays: settings.inactiveDays ?? deps.config.sync.inactiveDays,
      now: now(),
    });
    if (writing) {
      const inputs = { domains, excludedByGroup: computed.excludedByGroup };
      const derived = await db
        .transaction()
        .execute((trx) => deriveAndRemember(trx, staged, { fingerprint: fingerprint!, previousState, inputs }));
      add(writes, derived.writes);
      decisions = derived.effective;
      summary = derived.summary;
    } else {
      // Nothing is written: the decisions are computed for the run's figures only.
      const { steady } = decideOnce(
        staged.derivation,
        organizationId ? await contactsOfOrganization(db, organizationId) : [],
        organizationId ? await configurationsOfOrganization(db, organizationId) : [],
      );
      decisions = steady;
      summary = { decisions: steady, flagged: 0, unchanged: 0, ...staged.counts };
      if (!exclusionsKnown) {
        logLines.push({
          tenantId: tenant.id,
          level: 'warning',
          code: 'exclusions_unknown',
          message: `contacts of ${tenant.display_name} were not updated: the members of an excluded group could not be read`,
          action: 'check that the excluded groups still exist in the tenant, then sync again',
        });
      }
    }
  }
  return { organizationDecision, ignored, upToDate, writes, decisions, flagged: writing ? summary.flagged : 0, summary };
}

export interface PassInput {
  tenant: Tenant;
  settings: SyncSettings;
  organizationDecision: OrganizationDecision;
  domains: GraphDomain[];
  excludedByGroup: Set<string>;
  inactiveDays: number;
  now: Date;
}

export interface StagedDerivation {
  derivation: DerivationInput;
  counts: Pick<DocumentationSummary, 'users' | 'devices' | 'mailboxes' | 'licenses'>;
  included: GraphUser[];
  timing: InactivityContext;
}

/** Reads the staged Microsoft records of a tenant into what matching and writing need. */
export async function loadStagedDerivation(db: Kysely<Database>, pass: PassInput): Promise<StagedDerivation> {
  const { tenant, settings, organizationDecision, excludedByGroup, now } = pass;
  const users = await loadStaged<GraphUser>(db, 'ms_users', tenant.id, { includeRemoved: true });
  const presentUsers = users.filter((u) => u.removedAt === null).map((u) => u.data);
  const goneUserIds = users.filter((u) => u.removedAt !== null).map((u) => u.key);
  const stagedDevices = await loadStaged<GraphManagedDevice>(db, 'ms_managed_devices', tenant.id, { includeRemoved: true });
  const presentDevices = stagedDevices.filter((d) => d.removedAt === null).map((d) => d.data);
  const goneDeviceIds = stagedDevices.filter((d) => d.removedAt !== null).map((d) => d.key);
  const mailboxes = new Map((await loadStaged<MailboxUsageRow>(db, 'ms_mailboxes', tenant.id)).map((m) => [m.key, m.data]));
  const skus = await loadStaged<GraphSubscribedSku>(db, 'ms_subscribed_skus', tenant.id);
  const skuNames = new Map(skus.map((s) => [s.key, (s.data as { displayName?: string }).displayName]));
  const activity = new Map((await loadStaged<StagedUserActivity>(db, 'ms_user_activity', tenant.id)).map((a) => [a.key, a.data]));

  const included: GraphUser[] = [];
  const exclusionRows: DecisionInput[] = [];
  for (const user of presentUsers) {
    const resource = resourceKindOf(mailboxes.get(user.userPrincipalName.trim().toLowerCase())?.recipientType);
    const why = exclusionReason(user, settings, excludedByGroup, resource);
    if (why) exclusionRows.push({ kind: 'contact', sourceId: user.id, state: 'excluded', targetId: null, rule: null, reason: why });
    else included.push(user);
  }
  const timing: InactivityContext = {
    readable: {
      signIn: presentUsers.some((u) => 'signInActivity' in u),
      // Staged rows are the proof a source was read: a tenant without them was never readable.
      appActivity: activity.size > 0 || mailboxes.size > 0,
      deviceCheckIn: presentDevices.length > 0,
    },
    activity,
    mailboxes,
    checkIns: deviceCheckInsByUser(presentDevices),
    now,
    inactiveDays: pass.inactiveDays,
  };
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
    toContact: (user) => contactFromUser(user, { skuNames, ...timing }),
    now,
  };
  const counts = { users: presentUsers.length, devices: presentDevices.length, mailboxes: mailboxes.size, licenses: skus.length };
  return { derivation, counts, included, timing };
}

/** Matches and writes inside the caller's transaction, then stores the state the next run compares with. */
export async function deriveAndRemember(
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

async function decideOrganization(
  deps: { db: Kysely<Database>; clock: Clock },
  input: {
    tenant: Tenant;
    organization: { displayName: string; domains: GraphDomain[] };
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
