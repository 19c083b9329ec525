// One tenant id: `tenants.tenant_id` held Microsoft's tenant GUID while every other table's
// `tenant_id` is a foreign key to `tenants.id`. The GUID column is now `microsoft_tenant_id`, and
// the unique constraint over it is named for it. A rename keeps the data, the constraint's index
// and every row id as they are (Postgres and PGlite alike).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tenants').renameColumn('tenant_id', 'microsoft_tenant_id').execute();
  await sql`alter table tenants rename constraint tenants_integration_tenant_unique to tenants_integration_microsoft_tenant_unique`.execute(
    db,
  );
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
