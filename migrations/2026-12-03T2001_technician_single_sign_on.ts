// Single sign-on with Entra ID (issue 20, step 3): a technician's Entra object id (the stable
// match after the first sign-in), and the sign-ins under way between docsync and Microsoft
// (state, nonce and the PKCE verifier, sealed, single use, ten minutes).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('technicians').addColumn('entra_object_id', 'text').execute();
  await db.schema
    .createIndex('technicians_entra_object_id_unique')
    .on('technicians')
    .column('entra_object_id')
    .unique()
    .where(sql.ref('entra_object_id'), 'is not', null)
    .execute();

  await db.schema
    .createTable('sso_sign_ins')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier_encrypted', 'text', (c) => c.notNull())
    .addColumn('next', 'text', (c) => c.notNull())
    // The redirect URI the sign-in started with: the token request must repeat it exactly.
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
