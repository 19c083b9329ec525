// What the "needs attention" list (src/docs/attention.ts) reads, a few grouped queries for all
// tenants at once rather than one per tenant.
import { sql, type Kysely } from 'kysely';
import type { Database, Tenant } from '../db/schema.ts';

type Db = Kysely<Database>;

/** Integrations (one when given) with their connection state. */
export async function integrationsForAttention(db: Db, integrationId: string | undefined) {
  let query = db.selectFrom('integrations').select(['id', 'name', 'status', 'status_reason', 'client_id']);
  if (integrationId) query = query.where('id', '=', integrationId);
  return query.execute();
}

/** Tenants (of one integration when given) by display name. */
export async function tenantsByDisplayName(db: Db, integrationId: string | undefined): Promise<Tenant[]> {
  let query = db
    .selectFrom('tenants')
    .selectAll()
    .orderBy(sql`lower(display_name)`)
    .orderBy('id');
  if (integrationId) query = query.where('integration_id', '=', integrationId);
  return query.execute();
}

/** The organization decision of each of these tenants that has one. */
export async function organizationDecisionsOfTenants(
  db: Db,
  tenantIds: string[],
): Promise<Array<{ tenant_id: string; state: string; target_id: string | null }>> {
  if (tenantIds.length === 0) return [];
  return db
    .selectFrom('match_decisions')
    .select(['tenant_id', 'state', 'target_id'])
    .where('kind', '=', 'organization')
    .where('tenant_id', 'in', tenantIds)
    .execute();
}

/** How many contact and configuration decisions wait for a review, per tenant and kind. */
export async function reviewCountsOfTenants(db: Db, tenantIds: string[]): Promise<Array<{ tenant_id: string; kind: string; n: number }>> {
  if (tenantIds.length === 0) return [];
  const rows = await db
    .selectFrom('match_decisions')
    .select(['tenant_id', 'kind', (eb) => eb.fn.countAll<string>().as('n')])
    .where('state', '=', 'review')
    .where('kind', 'in', ['contact', 'configuration'])
    .where('tenant_id', 'in', tenantIds)
    .groupBy(['tenant_id', 'kind'])
    .execute();
  return rows.map((r) => ({ tenant_id: r.tenant_id, kind: r.kind, n: Number(r.n) }));
}

/** How many disabled users still hold a licence, per tenant (tenants with none left out). */
export async function disabledLicensedUserCounts(db: Db, tenantIds: string[]): Promise<Array<{ tenant_id: string; n: number }>> {
  if (tenantIds.length === 0) return [];
  // Served by the partial index ms_users_disabled_licensed_index (migration T1500).
  const rows = await db
    .selectFrom('ms_users')
    .select(['tenant_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('tenant_id', 'in', tenantIds)
    .where('removed_at', 'is', null)
    .where(sql`(data->>'accountEnabled')`, '=', 'false')
    .where(sql<number>`jsonb_array_length(coalesce(data->'assignedLicenses', '[]'::jsonb))`, '>', 0)
    .groupBy('tenant_id')
    .execute();
  return rows.map((r) => ({ tenant_id: r.tenant_id, n: Number(r.n) }));
}

/** The subscribed SKUs Microsoft last listed for these tenants. */
export async function currentSkusOfTenants(
  db: Db,
  tenantIds: string[],
): Promise<Array<{ tenant_id: string; sku_id: string; data: unknown }>> {
  if (tenantIds.length === 0) return [];
  return db
    .selectFrom('ms_subscribed_skus')
    .select(['tenant_id', 'sku_id', 'data'])
    .where('tenant_id', 'in', tenantIds)
    .where('removed_at', 'is', null)
    .execute();
}

/** Which of these tenants have a finished sync run (succeeded, partial or failed). */
export async function tenantsWithFinishedRun(db: Db, tenantIds: string[]): Promise<Set<string>> {
  if (tenantIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('sync_runs')
    .select('tenant_id')
    .distinct()
    .where('tenant_id', 'in', tenantIds)
    .where('status', 'in', ['succeeded', 'partial', 'failed'])
    // A licence refresh is no sync: it says nothing about whether the tenant was synced.
    .where('kind', '=', 'sync')
    .execute();
  return new Set(rows.map((r) => r.tenant_id).filter((id): id is string => id !== null));
}
