// Revision counters that say "somebody changed what this tenant's documentation is derived from"
// without hashing it. Each counter is per scope (a tenant's staged records and decisions, or an
// organization's contacts, emails and configurations) and per writer: a tenant's sync writes
// with writer = its tenant row id (set for its transaction only), everything else — technicians,
// staging, other tools — as 'other'. A sync compares the counters of every writer but itself
// with what it stored after its last full pass (src/sync/fingerprint.ts): its own writes are
// what it derived, so they must not make the next run look changed; anybody else's must.
//
// Statement-level triggers with transition tables: one counter update per statement, not per
// row, so a batched insert of 500 contacts costs one upsert. An update that changes nothing
// still counts (costing at most one extra full pass, never a wrong skip).
import { sql, type Kysely } from 'kysely';

type Event = 'insert' | 'update' | 'delete';

interface Watched {
  table: string;
  /** SQL giving `scope_id` rows from a transition table called `changed`. */
  scope: string;
}

const WATCHED: Watched[] = [
  { table: 'ms_users', scope: 'select tenant_id as scope_id from changed' },
  { table: 'ms_managed_devices', scope: 'select tenant_id as scope_id from changed' },
  { table: 'ms_mailboxes', scope: 'select tenant_id as scope_id from changed' },
  { table: 'ms_subscribed_skus', scope: 'select tenant_id as scope_id from changed' },
  { table: 'match_decisions', scope: 'select tenant_id as scope_id from changed' },
  { table: 'contacts', scope: 'select organization_id as scope_id from changed' },
  { table: 'configurations', scope: 'select organization_id as scope_id from changed' },
  // An email's organization is its contact's (a cascaded delete finds none: the contact's own
  // delete has counted already).
  { table: 'contact_emails', scope: 'select c.organization_id as scope_id from changed e join contacts c on c.id = e.contact_id' },
];

function transitionScopes(watched: Watched, event: Event): string {
  const from = (relation: string) => `(${watched.scope.replace(/\bchanged\b/, relation)})`;
  if (event === 'insert') return from('new_rows');
  if (event === 'delete') return from('old_rows');
  // A row moved to another organization changes both.
  return `${from('new_rows')} union ${from('old_rows')}`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('documentation_revisions')
    .addColumn('scope_id', 'uuid', (c) => c.notNull())
    .addColumn('writer', 'text', (c) => c.notNull())
    .addColumn('revision', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('documentation_revisions_pkey', ['scope_id', 'writer'])
    .execute();

  for (const watched of WATCHED) {
    for (const event of ['insert', 'update', 'delete'] as const) {
      const name = `docsync_revise_${watched.table}_${event}`;
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
  from (${transitionScopes(watched, event)}) scopes
  where scope_id is not null
  group by scope_id
  on conflict (scope_id, writer) do update set revision = r.revision + 1;
  return null;
end $$`,
        )
        .execute(db);
      await sql
        .raw(
          `create trigger ${name} after ${event} on ${watched.table} referencing ${referencing} for each statement execute function ` +
            `${name}()`,
        )
        .execute(db);
    }
  }
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
