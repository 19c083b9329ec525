// Scheduled password rotation (src/actions/rotation-schedules.ts): per Microsoft user, every N
// days the workers queue a password_rotation action (the action engine: preview, idempotent
// steps, resume). next_rotation_at is moved forward when a schedule is claimed (so two workers
// never queue it twice) and set to "rotated + N days" when docsync's reset of that user succeeds.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('password_rotation_schedules')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('microsoft_user_id', 'text', (c) => c.notNull())
    .addColumn('user_principal_name', 'text', (c) => c.notNull())
    .addColumn('interval_days', 'integer', (c) => c.notNull().check(sql`interval_days between 1 and 365`))
    .addColumn('next_rotation_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_rotated_at', 'timestamptz')
    .addColumn('last_action_id', 'uuid', (c) => c.references('actions.id'))
    /** Why the last due rotation could not be queued (a refusal in words), null once one is queued. */
    .addColumn('problem', 'text')
    .addColumn('created_by', 'uuid')
    .addColumn('created_by_label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('password_rotation_schedules_user', ['tenant_id', 'microsoft_user_id'])
    .execute();
  await db.schema.createIndex('password_rotation_schedules_due').on('password_rotation_schedules').column('next_rotation_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
