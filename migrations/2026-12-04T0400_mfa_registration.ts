// MFA registration per Microsoft user, as reports/authenticationMethods/userRegistrationDetails
// last said (issue 17), and per tenant whether that report can be read at all: it needs Entra ID
// P1/P2 in the customer tenant and AuditLog.Read.All with a reports role for docsync, and without
// them docsync says "not available" and why instead of showing a coverage of 0 %.
// Rows are compared before writing (content_hash), so a re-sync with no change writes nothing;
// a user gone from a complete listing is marked removed_at, never deleted.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('ms_user_registration_details')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('user_principal_name', 'text')
    .addColumn('is_admin', 'boolean', (c) => c.notNull())
    .addColumn('is_mfa_registered', 'boolean', (c) => c.notNull())
    .addColumn('is_mfa_capable', 'boolean', (c) => c.notNull())
    .addColumn('methods_registered', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('default_method', 'text')
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('removed_at', 'timestamptz')
    .addPrimaryKeyConstraint('ms_user_registration_details_pkey', ['tenant_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('tenant_mfa_status')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenants.id'))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('available', 'no_license', 'permission_missing')`))
    .addColumn('reason', 'text')
    .addColumn('action', 'text')
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
