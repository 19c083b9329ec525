// Tenants with their organization match (match_decisions of kind organization) as the match
// pages and the match API read and settle them. Decisions are written by decide() in
// src/stores/decisions.ts; this module only reads them, or locks one for a decision.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { likePattern } from './like-pattern.ts';

type Db = Kysely<Database>;

export type TenantMatchState = 'matched' | 'suggested' | 'unmatched' | 'ignored';

export interface TenantMatchQuery {
  state?: TenantMatchState;
  integrationId?: string;
  search?: string;
}

function baseQuery(db: Db, filter: TenantMatchQuery) {
  let query = db
    .selectFrom('tenants as t')
    .innerJoin('integrations as i', 'i.id', 't.integration_id')
    .leftJoin('match_decisions as d', (join) => join.onRef('d.tenant_id', '=', 't.id').on('d.kind', '=', 'organization'))
    .leftJoin('organizations as o', 'o.id', 'd.target_id');
  if (filter.state) {
    query =
      filter.state === 'unmatched'
        ? query.where((eb) => eb.or([eb('d.state', '=', 'unmatched'), eb('d.state', 'is', null)]))
        : query.where('d.state', '=', filter.state);
  }
  if (filter.integrationId) query = query.where('t.integration_id', '=', filter.integrationId);
  if (filter.search?.trim()) {
    const pattern = likePattern(filter.search);
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(t.display_name)`, 'like', pattern),
        eb(sql`lower(coalesce(t.default_domain, ''))`, 'like', pattern),
        eb(sql`lower(coalesce(o.name, ''))`, 'like', pattern),
      ]),
    );
  }
  return query;
}

/**
 * A page of tenants with their match (by display name), how many match the filter, and how many
 * there are in each state when only the integration and the search apply (the tabs' counts).
 */
export async function tenantMatchPage(db: Db, filter: TenantMatchQuery & { limit: number; offset: number }) {
  const rows = await baseQuery(db, filter)
    .select([
      't.id',
      't.microsoft_tenant_id',
      't.display_name',
      't.default_domain',
      't.integration_id',
      'i.name as integration_name',
      't.health',
      't.health_reason',
      't.last_sync_at',
      'd.state',
      'd.rule',
      'd.target_id',
      'd.suggestions',
      'd.decided_by_technician',
      'd.decided_at',
      'o.name as organization_name',
    ])
    .orderBy(sql`lower(t.display_name)`)
    .orderBy('t.id')
    .limit(filter.limit)
    .offset(filter.offset)
    .execute();
  const { total } = await baseQuery(db, filter)
    .select((eb) => eb.fn.countAll<string>().as('total'))
    .executeTakeFirstOrThrow();
  const countRows = await baseQuery(db, { integrationId: filter.integrationId, search: filter.search })
    .select([sql<string>`coalesce(d.state, 'unmatched')`.as('state'), (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy(sql`coalesce(d.state, 'unmatched')`)
    .execute();
  return { rows, total: Number(total), countRows };
}

/** A tenant's organization decision, locked until the transaction ends; undefined when none was made. */
export async function lockOrganizationDecision(trx: Db, tenantId: string): Promise<{ state: string; suggestions: unknown } | undefined> {
  return trx
    .selectFrom('match_decisions')
    .select(['state', 'suggestions'])
    .where('kind', '=', 'organization')
    .where('tenant_id', '=', tenantId)
    .forUpdate()
    .executeTakeFirst();
}

/** Tenants waiting on a suggestion whose best score is at least `minScore` (of one integration when given). */
export async function suggestedTenantsScoringAtLeast(
  db: Db,
  minScore: number,
  integrationId: string | undefined,
): Promise<Array<{ id: string; microsoft_tenant_id: string; suggestions: unknown }>> {
  let query = db
    .selectFrom('match_decisions as d')
    .innerJoin('tenants as t', 't.id', 'd.tenant_id')
    .select(['t.id', 't.microsoft_tenant_id', 'd.suggestions'])
    .where('d.kind', '=', 'organization')
    .where('d.state', '=', 'suggested')
    .where(sql<number>`(d.suggestions->0->>'score')::float8`, '>=', minScore);
  if (integrationId) query = query.where('t.integration_id', '=', integrationId);
  return query.execute();
}

/** The tenants matched to an organization. */
export async function tenantsMatchedToOrganization(db: Db, organizationId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('match_decisions')
    .select('tenant_id')
    .where('kind', '=', 'organization')
    .where('state', '=', 'matched')
    .where('target_id', '=', organizationId)
    .execute();
  return rows.map((r) => r.tenant_id);
}
