// Pacing shared by every worker where Microsoft's limit is per app, not per tenant (any Graph
// request: 2,000 per second per app across all tenants, https://learn.microsoft.com/en-us/graph/throttling-limits):
// one token-bucket row per app registration, updated atomically by whichever process needs
// requests (src/stores/graph-app-budgets.ts). Processes take tokens in chunks, so the row is
// touched a few times per second, not once per request.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('graph_app_budgets')
    // The app registration's client id (integrations.client_id): the limit is Microsoft's per app.
    .addColumn('app_id', 'text', (c) => c.primaryKey())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
