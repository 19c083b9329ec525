// What a technician adds and finds: docsync-only fields on contacts and configurations (notes,
// phone extension, tags: a sync never writes them) and the search indexes behind GET /api/search.
//
// Search folds case and accents (unaccent) and matches prefixes, substrings and typos with
// trigrams (pg_trgm): both are contrib extensions Postgres marks trusted (a database owner may
// create them) and PGlite ships (src/db/database.ts loads them). unaccent() itself is only
// STABLE (its dictionary could change), so docsync_fold() pins the dictionary and is declared
// IMMUTABLE, which indexes need; it drops apostrophes too, so "obrien" finds O'Brien. The
// *_search_text functions build one text per row that the trigram indexes cover and the search
// query repeats exactly.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);
  await sql`create extension if not exists unaccent`.execute(db);
  const schema = (
    await sql<{
      schema: string;
    }>`select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'unaccent'`.execute(
      db,
    )
  ).rows[0]!.schema;
  const unaccent = `${quoteIdent(schema)}.unaccent`;
  // Function bodies name their schema: index builds run them with a search_path of pg_catalog only (Postgres 17).
  const here = quoteIdent((await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]!.schema);
  await sql
    .raw(
      `create function docsync_fold(value text) returns text language sql immutable parallel safe strict as
       $$ select regexp_replace(lower(${unaccent}('${schema.replace(/'/g, "''")}.unaccent'::regdictionary, value)), '[''’\`]', '', 'g') $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create function docsync_tenant_search_text(display_name text, default_domain text, domains jsonb) returns text language sql
        immutable parallel safe as
       $$ select ${here}.docsync_fold(concat_ws(' ', display_name, default_domain,
            (select string_agg(d->>'id', ' ') from jsonb_array_elements(case when jsonb_typeof(domains) = 'array' then domains else
              '[]'::jsonb end) d))) $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create function docsync_organization_search_text(name text, domains text[]) returns text language sql immutable parallel safe as
       $$ select ${here}.docsync_fold(concat_ws(' ', name, array_to_string(domains, ' '))) $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create function docsync_contact_search_text(first_name text, last_name text, phone text, ms_overlay jsonb) returns text language
        sql immutable parallel safe as
       $$ select ${here}.docsync_fold(concat_ws(' ', first_name, last_name, phone, ms_overlay->>'userPrincipalName')) $$`,
    )
    .execute(db);

  await sql
    .raw(
      `create function docsync_configuration_search_text(name text, serial_number text) returns text language sql immutable parallel safe as
       $$ select ${here}.docsync_fold(concat_ws(' ', name, serial_number)) $$`,
    )
    .execute(db);

  await db.schema
    .alterTable('contacts')
    .addColumn('notes', 'text')
    .addColumn('phone_extension', 'text')
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .execute();
  await db.schema
    .alterTable('configurations')
    .addColumn('notes', 'text')
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .execute();

  const trigram = async (name: string, table: string, expression: string) => {
    await sql.raw(`create index ${name} on ${table} using gin ((${expression}) gin_trgm_ops)`).execute(db);
  };
  await trigram('organizations_search_index', 'organizations', 'docsync_organization_search_text(name, domains)');
  await trigram('tenants_search_index', 'tenants', 'docsync_tenant_search_text(display_name, default_domain, domains)');
  await trigram('contacts_search_index', 'contacts', 'docsync_contact_search_text(first_name, last_name, phone, microsoft_overlay)');
  await trigram('contact_emails_search_index', 'contact_emails', 'docsync_fold(email)');
  await trigram('configurations_search_index', 'configurations', 'docsync_configuration_search_text(name, serial_number)');

  // The home page's "disabled but licensed" count reads only these rows.
  await sql
    .raw(
      `create index ms_users_disabled_licensed_index on ms_users (tenant_id)
       where removed_at is null and (data->>'accountEnabled') = 'false' and jsonb_array_length(coalesce(data->'assignedLicenses',
         '[]'::jsonb)) > 0`,
    )
    .execute(db);
}

function quoteIdent(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
