// What the last full pass of a tenant's sync read from Microsoft besides the staged records:
// the tenant's domains and the members of the groups its integration excludes. A technician's
// decision derives the documentation from these and the staged records at once, without asking
// Microsoft (issue 15, "decisions apply at once"); null until the next full pass stores them.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tenant_documentation_state').addColumn('inputs', 'jsonb').execute();
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
