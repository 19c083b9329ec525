// Tenants' domains are stored two ways: discovery writes verified domain names (strings), the
// tenant sync Graph domain objects ({ id, isVerified, … }). T1500's search text read only the
// objects' ids, so a tenant known from discovery alone was not found by its domains. The search
// text now reads both, and every tenant's stored text is computed again.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const here = (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]!.schema.replace(/"/g, '""');
  await sql
    .raw(
      `create or replace function docsync_tenant_search_text(display_name text, default_domain text, domains jsonb) returns text language
        sql immutable parallel safe as
       $$ select "${here}".docsync_fold(concat_ws(' ', display_name, default_domain,
            (select string_agg(coalesce(d->>'id', d#>>'{}'), ' ')
             from jsonb_array_elements(case when jsonb_typeof(domains) = 'array' then domains else '[]'::jsonb end) d
             where jsonb_typeof(d) in ('object', 'string')))) $$`,
    )
    .execute(db);
  // A stored generated column is computed on write: rewrite each row once.
  await sql`update tenants set domains = domains`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
