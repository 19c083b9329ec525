// The shared per-app token buckets (graph_app_budgets): one atomic UPDATE takes tokens if the
// bucket, refilled since it was last touched, holds enough; otherwise it says how many it holds.
// The database's own clock is the one clock all workers share (statement_timestamp(): one value
// per statement; a statement that waited for the row lock behind a later one counts no negative
// refill).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface BucketShape {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Tokens the bucket holds at most (and starts with). */
  capacity: number;
}

/** Takes `count` tokens: { granted: true } or { granted: false, available } (tokens there now). */
export async function takeAppTokens(
  db: Kysely<Database>,
  appId: string,
  count: number,
  shape: BucketShape,
): Promise<{ granted: true } | { granted: false; available: number }> {
  const elapsedSeconds = sql`greatest(0, extract(epoch from (statement_timestamp() - updated_at)))`;
  const refilled = sql<number>`least(${shape.capacity}::float8, tokens + ${elapsedSeconds} * ${shape.ratePerSecond}::float8)`;
  const taken = await sql<{ tokens: number }>`
    update graph_app_budgets
    set tokens = ${refilled} - ${count}::float8, updated_at = greatest(updated_at, statement_timestamp())
    where app_id = ${appId} and ${refilled} >= ${count}::float8
    returning tokens`.execute(db);
  if (taken.rows.length > 0) return { granted: true };
  const inserted = await sql<{ tokens: number }>`
    insert into graph_app_budgets (app_id, tokens, updated_at) values (${appId}, ${shape.capacity - count}::float8, statement_timestamp())
    on conflict (app_id) do nothing
    returning tokens`.execute(db);
  if (inserted.rows.length > 0) return { granted: true };
  const current = await sql<{ available: number }>`select ${refilled} as available from graph_app_budgets where app_id = ${appId}`.execute(
    db,
  );
  return { granted: false, available: Number(current.rows[0]?.available ?? 0) };
}
