// A technician's decision applied at once, outside a sync run: the same derivation a sync runs
// (derive-documentation.ts), from what is staged and what the last full pass read.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../time.ts';
import type { OrganizationDecision } from '../matching/index.ts';
import { organizationExists } from '../docs/organizations.ts';
import type { WriteCounts } from '../stores/contacts.ts';
import { readDecision } from '../stores/decisions.ts';
import { deleteRun, insertRunningTenantRun } from '../stores/run-lifecycle.ts';
import { getTenant, integrationSettings } from '../stores/tenants.ts';
import { documentationFingerprint, loadDocumentationState, type DecisionCounts } from './fingerprint.ts';
import { syncSettingsOf } from './settings.ts';
import type { GraphDomain } from '../microsoft/tenant-reader.ts';
import { toGraphDomain } from './documentation-mapping.ts';
import { deriveAndRemember, loadStagedDerivation } from './derive-documentation.ts';

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
  const tenant = await getTenant(db, tenantId);
  const settings = syncSettingsOf(await integrationSettings(db, tenant.integration_id));
  const stored = await readDecision(db, { tenantId: tenant.id, kind: 'organization', sourceId: tenant.microsoft_tenant_id });
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
  const domains: GraphDomain[] = inputs.domains;
  // The same values the sync's fingerprint hashes (see syncTenant), so a sync that finds
  // nothing changed after this skips matching and writing altogether.
  const computed = {
    settings,
    inactiveDays: settings.inactiveDays ?? deps.config.sync.inactiveDays,
    organization: { state: 'matched', organizationId, suggestions: [] },
    domains: domains.map(toGraphDomain),
    excludedByGroup: [...inputs.excludedByGroup].sort(),
  };
  try {
    return await db.transaction().execute(async (trx) => {
      const guardRunId = await insertRunningTenantRun(trx, { integrationId: tenant.integration_id, tenantId: tenant.id, now });
      const fingerprint = await documentationFingerprint(trx, { tenantId: tenant.id, organizationId, computed });
      const staged = await loadStagedDerivation(trx, {
        tenant,
        settings,
        organizationDecision,
        domains,
        excludedByGroup: new Set(inputs.excludedByGroup),
        inactiveDays: settings.inactiveDays ?? deps.config.sync.inactiveDays,
        now,
      });
      const derived = await deriveAndRemember(trx, staged, { fingerprint, previousState: remembered, inputs });
      await deleteRun(trx, guardRunId);
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
