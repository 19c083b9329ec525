// Issue 17: what an MSP pays per licence and what each tenant looks like over time.
// - license_prices: a price per SKU per month, entered by the MSP, globally (integration_id null)
//   or for one integration (which wins); in minor units (cents) of a currency, so sums are exact.
//   Empty at first: Microsoft's prices depend on the agreement, so no default is honest.
// - tenant_report_figures: the tenant's current report figures (users, seats, inactivity), one row
//   per tenant, rewritten only when they change (a no-change sync writes nothing).
// - tenant_snapshots: at most one row per tenant and day, kept 400 days (src/reports/snapshots.ts).
//   mfa_coverage is nullable: a tenant whose MFA registration cannot be read has none.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('license_prices')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('integration_id', 'uuid', (c) => c.references('integrations.id'))
    .addColumn('sku_id', 'text', (c) => c.notNull())
    .addColumn('monthly_price_minor', 'bigint', (c) => c.notNull().check(sql`monthly_price_minor >= 0`))
    .addColumn('currency', 'text', (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_by', 'text')
    .execute();
  await sql`create unique index license_prices_global on license_prices (sku_id) where integration_id is null`.execute(db);
  await sql`create unique index license_prices_integration on license_prices (integration_id, sku_id)
    where integration_id is not null`.execute(db);

  await db.schema
    .createTable('tenant_report_figures')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenants.id'))
    .addColumn('figures', 'jsonb', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('computed_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tenant_snapshots')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('taken_on', 'text', (c) => c.notNull().check(sql`taken_on ~ '^\\d{4}-\\d{2}-\\d{2}$'`))
    .addColumn('users', 'integer', (c) => c.notNull())
    .addColumn('enabled_users', 'integer', (c) => c.notNull())
    .addColumn('licensed_users', 'integer', (c) => c.notNull())
    .addColumn('inactive_users', 'integer', (c) => c.notNull())
    .addColumn('unused_paid_seats', 'integer', (c) => c.notNull())
    .addColumn('waste_seats', 'integer', (c) => c.notNull())
    .addColumn('monthly_waste_minor', 'bigint')
    .addColumn('currency', 'text')
    .addColumn('mfa_coverage', 'double precision')
    .addColumn('seats', 'jsonb', (c) => c.notNull())
    .addColumn('taken_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('tenant_snapshots_pkey', ['tenant_id', 'taken_on'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
