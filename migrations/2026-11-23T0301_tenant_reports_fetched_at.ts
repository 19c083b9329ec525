// Usage reports (mailbox sizes) are refreshed by Microsoft once a day and rate-limited hard
// (14 requests / 10 min per app per tenant): the sync reads them at most every few hours and
// remembers when it last did.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tenants').addColumn('reports_fetched_at', 'timestamptz').execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
