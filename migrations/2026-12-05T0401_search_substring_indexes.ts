// GIN trigram indexes beside T1501's GiST ones, for the search's substring step
// (src/stores/search.ts): a LIKE '%…%' through GIN needs every trigram of the query, so a domain
// or an email prefix shared by few rows is found at once, where the GiST walk in similarity order
// read every email of a big tenant (450 ms at 20,000 emails). pg_trgm is there on Postgres and
// PGlite alike (T1500 created it), so nothing degrades on the embedded database.
import { sql, type Kysely } from 'kysely';

const TABLES = ['organizations', 'tenants', 'contacts', 'contact_emails', 'configurations'];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES)
    await sql.raw(`create index if not exists ${table}_search_text_substring on ${table} using gin (search_text gin_trgm_ops)`).execute(db);
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
