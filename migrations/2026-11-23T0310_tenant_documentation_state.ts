// What the documentation of a tenant was last derived from (a fingerprint of its staged Microsoft
// records, its organization's contacts and configurations, technician decisions and settings),
// so a re-sync in which none of that changed skips matching and writing altogether.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tenant_documentation_state')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    // A derived value changes with time alone (a user becomes inactive): re-derive from then on.
    .addColumn('valid_until', 'timestamptz')
    // Decision counts etc. of the last full pass, reported again by a run that skips.
    .addColumn('summary', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
