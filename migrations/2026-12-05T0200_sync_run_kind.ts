// What a sync run is (issue 17): a sync ('sync') or an on-demand licence refresh of one tenant
// ('license_refresh', src/sync/license-refresh.ts). A refresh is a run row so it holds the
// tenant's "running" slot and keeps its log line, but it is not the tenant's last sync: the
// tenant's health and problems come from runs of kind 'sync' only.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('sync_runs')
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .defaultTo('sync')
        .check(sql`kind in ('sync', 'license_refresh')`),
    )
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
