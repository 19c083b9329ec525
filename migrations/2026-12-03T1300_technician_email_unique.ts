// A technician's email is a sign-in name too (authenticate accepts username or email), so two
// accounts may not share one, whatever the case. Accounts made before this rule that share an
// email keep it on the oldest account; the others' email is cleared, each with an audit row
// saying what it was, so an administrator can see and fix it.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    with ranked as (
      select id, email, row_number() over (partition by lower(email) order by created_at, id) as position
      from technicians where email is not null
    ), cleared as (
      update technicians t set email = null, updated_at = now()
      from ranked r where r.id = t.id and r.position > 1
      returning t.id, r.email
    )
    insert into audit_log (actor_id, actor_label, action, subject_type, subject_id, before, after, created_at)
    select null, 'migration', 'technician.update', 'technician', cleared.id::text,
           jsonb_build_object('email', cleared.email), jsonb_build_object('email', null, 'reason', 'another account has this email'), now()
    from cleared
  `.execute(db);
  await db.schema
    .createIndex('technicians_email_unique')
    .on('technicians')
    .unique()
    .expression(sql`lower(email)`)
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
