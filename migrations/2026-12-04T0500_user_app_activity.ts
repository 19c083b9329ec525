// App activity per user (issue 17): the rows of reports/getOffice365ActiveUserDetail and
// reports/getEmailActivityUserDetail, merged per user principal name, staged like the mailboxes
// (content hash, compare before write, removed_at only from a complete report). The contact
// overlay's inactivity derives from them, so writes count in documentation_revisions like the
// other staged tables (migration T0500 of 2026-11-23).
import { sql, type Kysely } from 'kysely';

const TABLE = 'ms_user_activity';

export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable(TABLE)
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('user_principal_name', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('removed_at', 'timestamptz')
    .addPrimaryKeyConstraint(`${TABLE}_pkey`, ['tenant_id', 'user_principal_name'])
    .execute();
  for (const event of ['insert', 'update', 'delete'] as const) {
    const name = `docsync_revise_${TABLE}_${event}`;
    const relation = event === 'delete' ? 'old_rows' : 'new_rows';
    const scopes =
      event === 'update'
        ? 'select tenant_id as scope_id from new_rows union select tenant_id as scope_id from old_rows'
        : `select tenant_id as scope_id from ${relation}`;
    const referencing =
      event === 'insert'
        ? 'new table as new_rows'
        : event === 'delete'
          ? 'old table as old_rows'
          : 'new table as new_rows old table as old_rows';
    await sql
      .raw(
        `create function ${name}() returns trigger language plpgsql as $$
begin
  insert into documentation_revisions as r (scope_id, writer, revision)
  select scope_id, coalesce(nullif(current_setting('docsync.writer', true), ''), 'other'), 1
  from (${scopes}) scopes
  where scope_id is not null
  group by scope_id
  on conflict (scope_id, writer) do update set revision = r.revision + 1;
  return null;
end $$`,
      )
      .execute(db);
    await sql
      .raw(`create trigger ${name} after ${event} on ${TABLE} referencing ${referencing} for each statement execute function ${name}()`)
      .execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
