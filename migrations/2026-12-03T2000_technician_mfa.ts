// Multi-factor sign-in (issue 20, step 1 and 2): a TOTP authenticator per technician (the
// secret sealed with the key ring), one-time recovery codes (SHA-256 only), the pending
// second step of a sign-in, when a session last proved a second factor (step-up), sessions
// that may only enrol, and installation-wide security settings (require MFA, step-up window).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;

  await db.schema
    .alterTable('technicians')
    // Set by enrolment, kept apart from the confirmed secret until one code proves the app has it.
    .addColumn('totp_pending_secret_encrypted', 'text')
    .addColumn('totp_secret_encrypted', 'text')
    .addColumn('totp_confirmed_at', 'timestamptz')
    // The last 30-second step a code was accepted for, so a code is good once (RFC 6238 §5.2).
    // integer: the step count since 1970 stays below 2^31 until the year 4010.
    .addColumn('totp_last_used_step', 'integer')
    .execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('technician_id', 'uuid', (c) => c.notNull().references('technicians.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('recovery_codes_technician_index').on('recovery_codes').columns(['technician_id', 'code_hash']).execute();

  await db.schema
    .createTable('sign_in_challenges')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('technician_id', 'uuid', (c) => c.notNull().references('technicians.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .alterTable('sessions')
    .addColumn('second_factor_at', 'timestamptz')
    .addColumn('enrolment_only', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();

  await db.schema
    .createTable('security_settings')
    // One row (id = 1): the installation's sign-in rules.
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('mfa_required', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('step_up_minutes', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(15)
        .check(sql`step_up_minutes between 1 and 720`),
    )
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await sql`insert into security_settings (id) values (1)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
