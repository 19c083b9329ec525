// Client-secret expiry reminders (30 and 7 days ahead): remember which reminder was last
// given so each is given once per secret. Cleared when a new secret is stored.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('integrations').addColumn('client_secret_reminded_days', 'integer').execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
