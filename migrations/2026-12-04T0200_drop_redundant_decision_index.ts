// match_decisions_tenant_index (tenant_id, kind) is the leading part of
// match_decisions_tenant_state_index (tenant_id, kind, state): every query it could serve, the
// longer one serves as well, so it only cost a write per decision the sync stores (issue 18:
// no index that nothing reads).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists match_decisions_tenant_index`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
