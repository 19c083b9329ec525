// Organizations ↔ tenants: every customer tenant with its match state, rule and score, and
// the technician's actions on it (accept, choose, create from tenant, ignore, undo, bulk accept).
import type { Kysely } from 'kysely';
import type { Clock } from '../../time.ts';
import type { Database } from '../../db/schema.ts';
import { BadInput, Conflict, NotFound } from '../../errors.ts';
import { decide, undoLatest, type DecisionSnapshot } from '../../stores/decisions.ts';
import { getTenant, verifiedDomains } from '../../stores/tenants.ts';
import { likePattern } from '../../stores/like-pattern.ts';
import { findOrganizationName, insertOrganization, organizationNames, organizationsByName } from '../../stores/organizations.ts';
import {
  lockOrganizationDecision,
  suggestedTenantsScoringAtLeast,
  tenantMatchPage,
  type TenantMatchState,
} from '../../stores/tenant-matches.ts';
import type { ActionContext } from '../../stores/audit.ts';

export interface Deps {
  db: Kysely<Database>;
  clock: Clock;
}

export type { TenantMatchState };

export interface TenantMatchRow {
  id: string;
  tenantId: string;
  displayName: string;
  defaultDomain: string | null;
  integrationId: string;
  integrationName: string;
  health: string;
  healthReason: string | null;
  state: TenantMatchState;
  rule: string | null;
  score: number | null;
  organizationId: string | null;
  organizationName: string | null;
  suggestions: Array<{ organizationId: string; name: string; score: number }>;
  decidedByTechnician: boolean;
  decidedAt: string | null;
  lastSyncAt: string | null;
}

export interface TenantMatchFilter {
  state?: TenantMatchState;
  integrationId?: string;
  search?: string;
  page: number;
  pageSize: number;
}

export { likePattern };

export async function listTenantMatches(
  { db }: Pick<Deps, 'db'>,
  filter: TenantMatchFilter,
): Promise<{ items: TenantMatchRow[]; total: number; counts: Record<TenantMatchState, number> }> {
  const { rows, total, countRows } = await tenantMatchPage(db, {
    ...filter,
    limit: filter.pageSize,
    offset: (filter.page - 1) * filter.pageSize,
  });
  const counts: Record<TenantMatchState, number> = { matched: 0, suggested: 0, unmatched: 0, ignored: 0 };
  for (const r of countRows) if (r.state in counts) counts[r.state as TenantMatchState] += Number(r.n);

  const suggestionIds = new Set<string>();
  for (const row of rows) for (const s of asSuggestions(row.suggestions)) suggestionIds.add(s.organizationId);
  const names = await organizationNames(db, [...suggestionIds]);
  const items = rows.map((row): TenantMatchRow => {
    const suggestions = asSuggestions(row.suggestions).map((s) => ({
      organizationId: s.organizationId,
      name: names.get(s.organizationId) ?? '(organization removed)',
      score: s.score,
    }));
    const state = (row.state ?? 'unmatched') as TenantMatchState;
    const score =
      state === 'matched'
        ? (suggestions.find((s) => s.organizationId === row.target_id)?.score ?? (row.rule && row.rule !== 'technician' ? 1 : null))
        : (suggestions[0]?.score ?? null);
    return {
      id: row.id,
      tenantId: row.microsoft_tenant_id,
      displayName: row.display_name,
      defaultDomain: row.default_domain,
      integrationId: row.integration_id,
      integrationName: row.integration_name,
      health: row.health,
      healthReason: row.health_reason,
      state,
      rule: row.rule ?? null,
      score,
      organizationId: state === 'matched' ? (row.target_id ?? null) : null,
      organizationName: state === 'matched' ? (row.organization_name ?? null) : null,
      suggestions,
      decidedByTechnician: row.decided_by_technician ?? false,
      decidedAt: row.decided_at ? new Date(row.decided_at).toISOString() : null,
      lastSyncAt: row.last_sync_at ? new Date(row.last_sync_at).toISOString() : null,
    };
  });
  return { items, total: Number(total), counts };
}

function asSuggestions(value: unknown): Array<{ organizationId: string; score: number }> {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (s): s is { organizationId: string; score: number } => typeof s?.organizationId === 'string' && typeof s?.score === 'number',
  );
}

async function requireOrganization(db: Kysely<Database>, organizationId: string): Promise<{ id: string; name: string }> {
  const org = await findOrganizationName(db, organizationId);
  if (!org) throw new NotFound('No such organization.');
  return org;
}

export type { ActionContext };

/** Accepts a suggestion (the best one when none is named). */
export async function acceptSuggestion(
  deps: Deps,
  tenantId: string,
  organizationId: string | undefined,
  context: ActionContext,
): Promise<DecisionSnapshot> {
  const tenant = await getTenant(deps.db, tenantId);
  return deps.db.transaction().execute(async (trx) => {
    const current = await lockOrganizationDecision(trx, tenant.id);
    // Suggestions stay on a decision after it is settled: accepting one then would quietly
    // override what a technician (or an exact rule) decided since.
    if (current && current.state !== 'suggested') {
      throw new Conflict(
        `This tenant is ${current.state}, not waiting for a suggestion to be accepted.`,
        'Use "choose organization" to change its match, or undo the decision first.',
      );
    }
    const suggestions = asSuggestions(current?.suggestions);
    const chosen = organizationId ? suggestions.find((s) => s.organizationId === organizationId) : suggestions[0];
    if (!chosen)
      throw new BadInput(
        organizationId
          ? 'That organization is not among this tenant\'s suggestions; use "choose organization" instead.'
          : 'This tenant has no suggestion to accept.',
      );
    const org = await requireOrganization(trx, chosen.organizationId);
    return decide(
      trx,
      { kind: 'organization', tenantId: tenant.id, sourceId: tenant.microsoft_tenant_id },
      { state: 'matched', targetId: org.id, reason: `Suggestion accepted (score ${chosen.score.toFixed(2)}).` },
      { ...context, action: 'organization_match.accept', at: deps.clock.now() },
    );
  });
}

export async function chooseOrganization(
  deps: Deps,
  tenantId: string,
  organizationId: string,
  context: ActionContext,
): Promise<DecisionSnapshot> {
  const tenant = await getTenant(deps.db, tenantId);
  return deps.db.transaction().execute(async (trx) => {
    const org = await requireOrganization(trx, organizationId);
    return decide(
      trx,
      { kind: 'organization', tenantId: tenant.id, sourceId: tenant.microsoft_tenant_id },
      { state: 'matched', targetId: org.id, reason: 'Organization chosen by a technician.' },
      { ...context, action: 'organization_match.choose', at: deps.clock.now() },
    );
  });
}

export async function createOrganizationFromTenant(
  deps: Deps,
  tenantId: string,
  context: ActionContext,
): Promise<{ organization: { id: string; name: string }; decision: DecisionSnapshot }> {
  const tenant = await getTenant(deps.db, tenantId);
  const at = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const organization = await insertOrganization(trx, { name: tenant.display_name, domains: verifiedDomains(tenant.domains), now: at });
    const decision = await decide(
      trx,
      { kind: 'organization', tenantId: tenant.id, sourceId: tenant.microsoft_tenant_id },
      { state: 'matched', targetId: organization.id, reason: 'Organization created from the tenant by a technician.' },
      { ...context, action: 'organization_match.create_organization', at },
    );
    return { organization, decision };
  });
}

export async function ignoreTenant(deps: Deps, tenantId: string, context: ActionContext): Promise<DecisionSnapshot> {
  const tenant = await getTenant(deps.db, tenantId);
  return deps.db
    .transaction()
    .execute((trx) =>
      decide(
        trx,
        { kind: 'organization', tenantId: tenant.id, sourceId: tenant.microsoft_tenant_id },
        { state: 'ignored', targetId: null, reason: 'Ignored by a technician.' },
        { ...context, action: 'organization_match.ignore', at: deps.clock.now() },
      ),
    );
}

export async function undoTenantDecision(deps: Deps, tenantId: string, context: ActionContext): Promise<DecisionSnapshot | null> {
  const tenant = await getTenant(deps.db, tenantId);
  return deps.db
    .transaction()
    .execute((trx) =>
      undoLatest(
        trx,
        { kind: 'organization', tenantId: tenant.id, sourceId: tenant.microsoft_tenant_id },
        { ...context, at: deps.clock.now() },
      ),
    );
}

/** Accepts the top suggestion of every suggested tenant whose best score is at least minScore. */
export async function bulkAcceptSuggestions(
  deps: Deps,
  minScore: number,
  integrationId: string | undefined,
  context: ActionContext,
): Promise<{ accepted: number; tenantIds: string[] }> {
  const at = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const rows = await suggestedTenantsScoringAtLeast(trx, minScore, integrationId);
    const tenantIds: string[] = [];
    for (const row of rows) {
      const top = asSuggestions(row.suggestions)[0];
      if (!top) continue;
      const org = await findOrganizationName(trx, top.organizationId);
      if (!org) continue;
      await decide(
        trx,
        { kind: 'organization', tenantId: row.id, sourceId: row.microsoft_tenant_id },
        { state: 'matched', targetId: org.id, reason: `Top suggestion accepted in bulk (score ${top.score.toFixed(2)} ≥ ${minScore}).` },
        { ...context, action: 'organization_match.bulk_accept', at },
      );
      tenantIds.push(row.id);
    }
    return { accepted: tenantIds.length, tenantIds };
  });
}

export async function searchOrganizations(
  db: Kysely<Database>,
  search: string,
  limit: number,
): Promise<Array<{ id: string; name: string; domains: string[] }>> {
  return organizationsByName(db, search, limit);
}
