// The sync queue lives in sync_runs itself (the web UI's "sync now" inserts a queued row):
// a worker claims a row with FOR UPDATE SKIP LOCKED and holds a lease it renews by heartbeat;
// a lease that runs out (kill -9, lost machine) puts the row back in the queue.
// One running run per tenant is a unique index, so two workers can never sync one tenant at once.
// sync_schedule_slots: one row per schedule tick, inserted by whichever process claims it first,
// so N processes with the same cron string start one scheduled run, not N.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('sync_runs')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('not_before', 'timestamptz')
    .addColumn('phase', 'text')
    .addColumn('error_code', 'text')
    .execute();
  await db.schema
    .createIndex('sync_runs_one_running_per_tenant')
    .on('sync_runs')
    .column('tenant_id')
    .unique()
    .where(sql<boolean>`status = 'running' and tenant_id is not null`)
    .execute();
  await db.schema
    .createIndex('sync_runs_queue_index')
    .on('sync_runs')
    .columns(['status', 'created_at'])
    .where(sql<boolean>`status in ('queued', 'running')`)
    .execute();
  await db.schema.createIndex('sync_runs_tenant_index').on('sync_runs').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('sync_schedule_slots')
    .addColumn('slot_at', 'timestamptz', (c) => c.primaryKey())
    .addColumn('claimed_by', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Contacts and configurations are looked up by Microsoft id on every sync.
  await db.schema.createIndex('contacts_tenant_index').on('contacts').columns(['tenant_id', 'microsoft_user_id']).execute();
  await db.schema.createIndex('configurations_tenant_index').on('configurations').columns(['tenant_id', 'intune_device_id']).execute();
  await db.schema.createIndex('match_decisions_tenant_index').on('match_decisions').columns(['tenant_id', 'kind']).execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
