// Issue 18, fewer rows per user: a contact (configuration) the sync created from a Microsoft user
// (Intune device) no longer needs a match_decisions row to say so. The documentation row already
// holds the link (tenant_id + microsoft_user_id / intune_device_id); created_by_sync says the sync
// created it from that source, and the view effective_match_decisions shows exactly the row the
// sync used to store ("match", rule "created") wherever no row is stored for the same key. The
// next sync derives "linked" to the same contact, which leaves a stored or shown "created" row as
// it is (src/stores/decisions.ts, unchanged()), so nothing is written then either. Every read that
// asks "what was decided for this user/device" reads the view; writes go to match_decisions.
// Existing "created" rows of the sync become shown rows (the flag set, the row removed).
import { sql, type Kysely } from 'kysely';

/** The sentence the sync stored on the contacts it created (src/sync/documentation-rounds.ts). */
const CREATED_REASON = 'Created from this Microsoft user by the sync.';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table contacts add column created_by_sync boolean not null default false`.execute(db);
  await sql`alter table configurations add column created_by_sync boolean not null default false`.execute(db);

  await sql`
    create view effective_match_decisions as
      select id, kind, tenant_id, source_id, state, target_id, rule, suggestions, candidates, reason, decided_by,
        decided_by_technician, decided_at, updated_at
      from match_decisions
    union all
      select c.id, 'contact', c.tenant_id, c.microsoft_user_id, 'match', c.id, 'created', '[]'::jsonb, '[]'::jsonb,
        ${sql.lit(CREATED_REASON)}, 'sync', false, c.created_at, c.created_at
      from contacts c
      where c.created_by_sync and c.tenant_id is not null and c.microsoft_user_id is not null
        and not exists (select 1 from match_decisions d
          where d.kind = 'contact' and d.tenant_id = c.tenant_id and d.source_id = c.microsoft_user_id)
    union all
      select g.id, 'configuration', g.tenant_id, g.intune_device_id, 'match', g.id, 'created', '[]'::jsonb, '[]'::jsonb,
        null, 'sync', false, g.created_at, g.created_at
      from configurations g
      where g.created_by_sync and g.tenant_id is not null and g.intune_device_id is not null
        and not exists (select 1 from match_decisions d
          where d.kind = 'configuration' and d.tenant_id = g.tenant_id and d.source_id = g.intune_device_id)`.execute(db);

  // The sync's stored "created" rows whose documentation row still holds the link: shown by the view from now on.
  await sql`
    with created as (
      update contacts c set created_by_sync = true
      from match_decisions d
      where d.kind = 'contact' and d.state = 'match' and d.rule = 'created' and not d.decided_by_technician
        and d.target_id = c.id and d.tenant_id = c.tenant_id and d.source_id = c.microsoft_user_id
        and d.reason = ${sql.lit(CREATED_REASON)} and d.suggestions = '[]'::jsonb and d.candidates = '[]'::jsonb
      returning d.id
    )
    delete from match_decisions where id in (select id from created)`.execute(db);
  await sql`
    with created as (
      update configurations g set created_by_sync = true
      from match_decisions d
      where d.kind = 'configuration' and d.state = 'match' and d.rule = 'created' and not d.decided_by_technician
        and d.target_id = g.id and d.tenant_id = g.tenant_id and d.source_id = g.intune_device_id
        and d.reason is null and d.suggestions = '[]'::jsonb and d.candidates = '[]'::jsonb
      returning d.id
    )
    delete from match_decisions where id in (select id from created)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
