// Groups of each customer tenant and their direct members (issue 17), from groups/delta with
// members@delta: the groups page, member counts, "view users" and exclusions picked from a list.
// ms_groups rows compare before writing (content_hash) and are marked removed_at, never deleted;
// a membership row is the link Microsoft last listed, removed when Microsoft says it ended.
// tenant_group_sync keeps the change feed's deltaLink per tenant (tenants.id).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('ms_groups')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('group_type', 'text', (c) =>
      c.notNull().check(sql`group_type in ('microsoft365', 'security', 'mail_security', 'distribution', 'other')`),
    )
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('removed_at', 'timestamptz')
    .addPrimaryKeyConstraint('ms_groups_pkey', ['tenant_id', 'group_id'])
    .execute();
  await db.schema
    .createTable('ms_group_members')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('member_type', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('ms_group_members_pkey', ['tenant_id', 'group_id', 'member_id'])
    .execute();
  await db.schema.createIndex('ms_group_members_member').on('ms_group_members').columns(['tenant_id', 'member_id']).execute();
  await db.schema
    .createTable('tenant_group_sync')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenants.id'))
    .addColumn('delta_link', 'text')
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
