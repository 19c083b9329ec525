// Passkeys and security keys (WebAuthn, issue 20): several per technician, each named; the
// challenges the server handed out (single use, short-lived); a count on the technician so
// "has a second factor" stays one column read; and the administrator's passwordless switch.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;

  await db.schema
    .createTable('webauthn_credentials')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('technician_id', 'uuid', (c) => c.notNull().references('technicians.id').onDelete('cascade'))
    // The authenticator's credential id (base64url): globally unique, so one key cannot serve two accounts.
    .addColumn('credential_id', 'text', (c) => c.notNull().unique())
    // COSE public key (base64url); public, so not sealed.
    .addColumn('public_key', 'text', (c) => c.notNull())
    // The signature counter (WebAuthn §6.1.1): bigint, the authenticator's counter is 32-bit unsigned.
    .addColumn('sign_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transports', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('name', 'text', (c) => c.notNull())
    // A resident (discoverable) credential, usable for passwordless sign-in where allowed.
    .addColumn('discoverable', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('webauthn_credentials_technician_index').on('webauthn_credentials').column('technician_id').execute();

  await db.schema
    .createTable('webauthn_challenges')
    .addColumn('challenge', 'text', (c) => c.primaryKey())
    // register: adding a passkey; authenticate: a second factor; passwordless: sign-in without a password.
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('register', 'authenticate', 'passwordless')`))
    .addColumn('technician_id', 'uuid', (c) => c.references('technicians.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .alterTable('technicians')
    .addColumn('passkey_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('security_settings')
    .addColumn('passwordless_passkeys', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
