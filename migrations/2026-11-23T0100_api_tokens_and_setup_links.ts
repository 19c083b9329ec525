// Accounts, part two: personal API tokens for scripts and the one-time link that creates the
// first administrator. Both store only the SHA-256 of the secret the user holds. Plus the
// indexes the technician UI pages through at 1,000 tenants / 100k contacts.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('technician_id', 'uuid', (c) => c.notNull().references('technicians.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    // The first characters of the token, shown in lists so a person can tell tokens apart.
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_tokens_technician_index').on('api_tokens').column('technician_id').execute();

  await db.schema
    .createTable('setup_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();

  await db.schema
    .createIndex('tenants_display_name_index')
    .on('tenants')
    .expression(sql`lower(display_name)`)
    .execute();
  await db.schema.createIndex('match_decisions_tenant_state_index').on('match_decisions').columns(['tenant_id', 'kind', 'state']).execute();
  await db.schema.createIndex('sync_runs_created_index').on('sync_runs').columns(['created_at']).execute();
  await db.schema.createIndex('audit_log_subject_index').on('audit_log').columns(['subject_type', 'subject_id', 'id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
