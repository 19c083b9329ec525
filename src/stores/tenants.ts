// Customer tenants (and the integration each belongs to) as the web pages, the JSON API and the
// CLI read them, and what discovery (src/microsoft/discovery.ts) stores of them. Writes of the
// sync's own phases (delta links, last sync) are in the sync's stores (staging, documentation writes).
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, TenantHealth, TenantsTable } from '../db/schema.ts';
import { NotFound } from '../errors.ts';
import { GUID } from '../ids.ts';

type Db = Kysely<Database>;
export type TenantRow = Selectable<TenantsTable>;

/** One tenant by docsync's tenant id, or undefined. */
export async function findTenant(db: Db, tenantId: string): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
}

/** One tenant by docsync's tenant id; NotFound (404) when there is none. */
export async function getTenant(db: Db, tenantId: string): Promise<TenantRow> {
  const tenant = await findTenant(db, tenantId);
  if (!tenant) throw new NotFound('No such tenant.');
  return tenant;
}

/** The tenants of these ids (any order; unknown ids are left out). */
export async function tenantsByIds(db: Db, tenantIds: string[]): Promise<TenantRow[]> {
  if (tenantIds.length === 0) return [];
  return db.selectFrom('tenants').selectAll().where('id', 'in', tenantIds).execute();
}

/**
 * The tenants a technician means by `reference`: docsync's tenant id or Microsoft's tenant id
 * (a GUID may be either), or Microsoft's id in another form; optionally within one integration.
 */
export async function tenantsByReference(db: Db, reference: string, integrationId?: string): Promise<TenantRow[]> {
  let query = db.selectFrom('tenants').selectAll();
  query = GUID.test(reference)
    ? query.where((eb) => eb.or([eb('id', '=', reference), eb('microsoft_tenant_id', '=', reference)]))
    : query.where('microsoft_tenant_id', '=', reference);
  if (integrationId) query = query.where('integration_id', '=', integrationId);
  return query.execute();
}

/** docsync's tenant id of each Microsoft tenant id (lower case) of one integration. */
export async function tenantIdsByMicrosoftTenantId(db: Db, integrationId: string): Promise<Map<string, string>> {
  const rows = await db.selectFrom('tenants').select(['id', 'microsoft_tenant_id']).where('integration_id', '=', integrationId).execute();
  return new Map(rows.map((r) => [r.microsoft_tenant_id.toLowerCase(), r.id]));
}

/** An integration's active tenants, by display name. */
export async function activeTenantsOfIntegration(db: Db, integrationId: string): Promise<TenantRow[]> {
  return db
    .selectFrom('tenants')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .where('active', '=', true)
    .orderBy('display_name')
    .orderBy('id')
    .execute();
}

/** A page of an integration's tenants, the failing first, then those with warnings, unknown, healthy; and how many there are. */
export async function tenantsOfIntegrationByHealth(
  db: Db,
  integrationId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: TenantRow[]; total: number }> {
  const rows = await db
    .selectFrom('tenants')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .orderBy(sql`case health when 'failing' then 0 when 'warning' then 1 when 'unknown' then 2 else 3 end`)
    .orderBy(sql`lower(display_name)`)
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const { total } = await db
    .selectFrom('tenants')
    .select((eb) => eb.fn.countAll<string>().as('total'))
    .where('integration_id', '=', integrationId)
    .executeTakeFirstOrThrow();
  return { rows, total: Number(total) };
}

/** A tenant the sync could not work on: failing, for this reason. */
export async function markTenantFailing(db: Db, tenantId: string, reason: string): Promise<void> {
  await db.updateTable('tenants').set({ health: 'failing', health_reason: reason }).where('id', '=', tenantId).execute();
}

/** When discovery last listed an integration's tenants, or null when it never did. */
export async function lastDiscoveryOfIntegration(db: Db, integrationId: string): Promise<Date | null> {
  const row = await db
    .selectFrom('tenants')
    .select((eb) => eb.fn.max('last_discovered_at').as('last'))
    .where('integration_id', '=', integrationId)
    .executeTakeFirst();
  return row?.last ? new Date(row.last as Date | string) : null;
}

/** What discovery stores of a customer tenant (Graph's and Partner Center's facts, cleaned). */
export interface DiscoveredTenantFacts {
  microsoftTenantId: string;
  displayName: string;
  defaultDomain: string | null;
  domains: unknown[];
  accessKind: 'gdap' | 'dap' | 'direct';
  relationshipId: string | null;
  relationshipStatus: string | null;
  relationshipEndAt: string | null;
  autoExtend: boolean;
  roles: unknown[];
  active: boolean;
  inactiveReason: string | null;
  health: TenantHealth;
  healthReason: string | null;
  /** Null: keep what is stored (the permission check did not run). */
  permissions: unknown;
}

/** Stores a tenant discovery found: inserted, or its discovered facts replaced. */
export async function upsertDiscoveredTenant(db: Db, integrationId: string, t: DiscoveredTenantFacts, now: Date): Promise<void> {
  const values = {
    display_name: t.displayName,
    default_domain: t.defaultDomain,
    domains: JSON.stringify(t.domains),
    access_kind: t.accessKind,
    relationship_id: t.relationshipId,
    relationship_status: t.relationshipStatus,
    relationship_end_at: t.relationshipEndAt,
    auto_extend: t.autoExtend,
    roles: JSON.stringify(t.roles),
    active: t.active,
    inactive_reason: t.inactiveReason,
    health: t.health,
    health_reason: t.healthReason,
    last_discovered_at: now,
    updated_at: now,
    ...(t.permissions ? { permissions: JSON.stringify(t.permissions) } : {}),
  } as const;
  await db
    .insertInto('tenants')
    .values({ integration_id: integrationId, microsoft_tenant_id: t.microsoftTenantId, ...values } as never)
    .onConflict((oc) => oc.columns(['integration_id', 'microsoft_tenant_id']).doUpdateSet(values as never))
    .execute();
}

/** Microsoft's id of each tenant docsync knows for an integration, and whether it is active. */
export async function knownTenantsOfIntegration(
  db: Db,
  integrationId: string,
): Promise<Array<{ microsoft_tenant_id: string; active: boolean }>> {
  return db.selectFrom('tenants').select(['microsoft_tenant_id', 'active']).where('integration_id', '=', integrationId).execute();
}

/** Tenants Microsoft no longer lists for the integration: kept (with their documentation), inactive and failing. */
export async function markTenantsUnlisted(db: Db, integrationId: string, microsoftTenantIds: string[], now: Date): Promise<void> {
  if (microsoftTenantIds.length === 0) return;
  await db
    .updateTable('tenants')
    .set({
      active: false,
      inactive_reason: "no longer listed among the partner's customers (relationship removed)",
      health: 'failing',
      health_reason: "no longer listed among the partner's customers",
      last_discovered_at: now,
      updated_at: now,
    })
    .where('integration_id', '=', integrationId)
    .where('microsoft_tenant_id', 'in', microsoftTenantIds)
    .execute();
}

/** The licences (subscribed SKUs) Microsoft last listed for a tenant, without those gone since. */
export async function currentSubscribedSkus(db: Db, tenantId: string): Promise<Array<{ sku_id: string; data: unknown }>> {
  return db
    .selectFrom('ms_subscribed_skus')
    .select(['sku_id', 'data'])
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .execute();
}

/** An integration's settings (exclusions, schedule, actions switch…). */
export async function integrationSettings(db: Db, integrationId: string): Promise<unknown> {
  const row = await db.selectFrom('integrations').select(['settings']).where('id', '=', integrationId).executeTakeFirstOrThrow();
  return row.settings;
}

/** Integrations a sync without --integration covers (the connected ones), or the one named. */
export async function integrationsToSync(db: Db, integrationId: string | undefined) {
  let query = db.selectFrom('integrations').select(['id', 'status', 'name']);
  query = integrationId ? query.where('id', '=', integrationId) : query.where('status', '=', 'connected');
  return query.execute();
}

/** Verified domain names of a tenant (Graph domain objects in tenants.domains). */
export function verifiedDomains(domains: unknown): string[] {
  if (!Array.isArray(domains)) return [];
  return domains
    .filter((d) => d && typeof d === 'object' && typeof d.id === 'string' && d.isVerified !== false)
    .map((d) => String(d.id).toLowerCase())
    .filter((d) => !d.endsWith('.onmicrosoft.com'));
}

/** A tenant the sync finished: synced now, healthy, or a warning naming the resources it could not read. */
export async function markTenantSynced(db: Db, tenantId: string, input: { now: Date; failedResources: string[] }): Promise<void> {
  await db
    .updateTable('tenants')
    .set({
      last_sync_at: input.now,
      health: input.failedResources.length > 0 ? 'warning' : 'ok',
      health_reason: input.failedResources.length > 0 ? `not synced last time: ${input.failedResources.join(', ')}` : null,
    })
    .where('id', '=', tenantId)
    .execute();
}

/** A tenant with its integration's name (what the connection test shows), or undefined. */
export async function findTenantWithIntegrationName(db: Db, tenantId: string) {
  return db
    .selectFrom('tenants as t')
    .innerJoin('integrations as i', 'i.id', 't.integration_id')
    .select(['t.id', 't.display_name', 't.microsoft_tenant_id', 't.integration_id', 'i.name as integration_name'])
    .where('t.id', '=', tenantId)
    .executeTakeFirst();
}

/** After a full user listing: the users delta link to follow next time, and when the listing ran. */
export async function recordFullUserListing(db: Db, tenantId: string, input: { deltaLink: string | null; at: Date }): Promise<void> {
  await db.updateTable('tenants').set({ delta_link: input.deltaLink, last_full_sync_at: input.at }).where('id', '=', tenantId).execute();
}

/** After reading the users change feed: its next delta link, and — when asked — a full listing next run. */
export async function recordUserChanges(
  db: Db,
  tenantId: string,
  input: { deltaLink: string | null; listInFullNext: boolean },
): Promise<void> {
  await db
    .updateTable('tenants')
    .set({ delta_link: input.deltaLink, ...(input.listInFullNext ? { last_full_sync_at: null } : {}) })
    .where('id', '=', tenantId)
    .execute();
}

/** When the usage reports (mailboxes) of a tenant were last fetched. */
export async function recordReportsFetched(db: Db, tenantId: string, at: Date): Promise<void> {
  await db.updateTable('tenants').set({ reports_fetched_at: at }).where('id', '=', tenantId).execute();
}
