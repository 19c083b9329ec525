// SQL for licences (issue 17): the subscribed SKUs of a tenant, who holds one, and the prices the
// MSP entered (globally, or per integration, which wins).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

type Db = Kysely<Database>;

export interface SkuRow {
  skuId: string;
  data: Record<string, unknown>;
}

export interface LicensePrice {
  integrationId: string | null;
  skuId: string;
  monthlyPriceMinor: number;
  currency: string;
  updatedAt: Date;
  updatedBy: string | null;
}

const parseJson = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

export async function subscribedSkusOf(db: Db, tenantId: string): Promise<SkuRow[]> {
  const rows = await db
    .selectFrom('ms_subscribed_skus')
    .select(['sku_id', 'data'])
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .orderBy('sku_id')
    .execute();
  return rows.map((r) => ({ skuId: r.sku_id, data: (parseJson(r.data) ?? {}) as Record<string, unknown> }));
}

/** Present users of a tenant holding the SKU (assignedLicenses), by display name. */
export async function holdersOfSku(
  db: Db,
  tenantId: string,
  skuId: string,
): Promise<Array<{ userId: string; data: Record<string, unknown> }>> {
  const rows = await db
    .selectFrom('ms_users')
    .select(['user_id', 'data'])
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .where(
      sql<boolean>`exists (select 1 from jsonb_array_elements(coalesce(data->'assignedLicenses', '[]'::jsonb)) l
        where lower(l->>'skuId') = ${skuId.toLowerCase()})`,
    )
    .orderBy(sql`lower(coalesce(data->>'displayName', data->>'userPrincipalName', ''))`)
    .limit(5000)
    .execute();
  return rows.map((r) => ({ userId: r.user_id, data: (parseJson(r.data) ?? {}) as Record<string, unknown> }));
}

const toPrice = (r: {
  integration_id: string | null;
  sku_id: string;
  monthly_price_minor: string | number;
  currency: string;
  updated_at: Date;
  updated_by: string | null;
}): LicensePrice => ({
  integrationId: r.integration_id,
  skuId: r.sku_id,
  monthlyPriceMinor: Number(r.monthly_price_minor),
  currency: r.currency,
  updatedAt: new Date(r.updated_at),
  updatedBy: r.updated_by,
});

/** Global prices (integrationId null) or one integration's overrides. */
export async function listPrices(db: Db, integrationId: string | null): Promise<LicensePrice[]> {
  let query = db.selectFrom('license_prices').selectAll().orderBy('sku_id');
  query = integrationId === null ? query.where('integration_id', 'is', null) : query.where('integration_id', '=', integrationId);
  return (await query.execute()).map(toPrice);
}

/** Every price, global and per integration: for reports across all tenants. */
export async function allPrices(db: Db): Promise<LicensePrice[]> {
  return (await db.selectFrom('license_prices').selectAll().execute()).map(toPrice);
}

export async function findPrice(db: Db, integrationId: string | null, skuId: string): Promise<LicensePrice | null> {
  let query = db.selectFrom('license_prices').selectAll().where('sku_id', '=', skuId.toLowerCase());
  query = integrationId === null ? query.where('integration_id', 'is', null) : query.where('integration_id', '=', integrationId);
  const row = await query.executeTakeFirst();
  return row ? toPrice(row) : null;
}

export async function savePrice(
  db: Db,
  price: { integrationId: string | null; skuId: string; monthlyPriceMinor: number; currency: string; by: string | null; now: Date },
): Promise<void> {
  const skuId = price.skuId.toLowerCase();
  await db.transaction().execute(async (trx) => {
    let existing = trx.selectFrom('license_prices').select('id').where('sku_id', '=', skuId);
    existing =
      price.integrationId === null
        ? existing.where('integration_id', 'is', null)
        : existing.where('integration_id', '=', price.integrationId);
    const row = await existing.forUpdate().executeTakeFirst();
    const values = {
      monthly_price_minor: price.monthlyPriceMinor,
      currency: price.currency,
      updated_at: price.now,
      updated_by: price.by,
    };
    if (row) await trx.updateTable('license_prices').set(values).where('id', '=', row.id).execute();
    else
      await trx
        .insertInto('license_prices')
        .values({ integration_id: price.integrationId, sku_id: skuId, ...values })
        .execute();
  });
}

export async function deletePrice(db: Db, integrationId: string | null, skuId: string): Promise<boolean> {
  let query = db.deleteFrom('license_prices').where('sku_id', '=', skuId.toLowerCase());
  query = integrationId === null ? query.where('integration_id', 'is', null) : query.where('integration_id', '=', integrationId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function integrationOfTenant(db: Db, tenantId: string): Promise<string | null> {
  const row = await db.selectFrom('tenants').select('integration_id').where('id', '=', tenantId).executeTakeFirst();
  return row?.integration_id ?? null;
}

/** The SKU ids any tenant subscribes to now (Microsoft last listed them), sorted. */
export async function subscribedSkuIdsOfAllTenants(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('ms_subscribed_skus')
    .select('sku_id')
    .distinct()
    .where('removed_at', 'is', null)
    .orderBy('sku_id')
    .execute();
  return rows.map((r) => r.sku_id);
}
