// The run list pages by (created_at, id) over top-level runs (src/stores/runs.ts, listRuns): this
// partial index serves it in both directions, so a deep page costs what the first one does
// (issue 18). Per-tenant runs, a thousand per integration run, stay out of it.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists sync_runs_top_level_keyset on sync_runs (created_at, id) where parent_run_id is null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('docsync migrations are forward-only');
}
