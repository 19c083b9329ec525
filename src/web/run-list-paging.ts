// Keyset paging of the sync-run list, the same on the page and on GET /api/sync-runs: `after` (the
// last run of the page before: older runs) and `before` (the first run of the page after: newer
// runs). `page` keeps working for links and scripts written before (src/stores/runs.ts).
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import type { Database, SyncRunStatus } from '../db/schema.ts';
import { listRuns, type RunView } from '../stores/runs.ts';
import { Uuid } from './schemas.ts';

export const RunCursorQuery = {
  after: Type.Optional({ ...Uuid, description: 'Keyset paging: the runs older than this run (nextLink carries it)' }),
  before: Type.Optional({ ...Uuid, description: 'Keyset paging: the runs newer than this run (previousLink carries it)' }),
};

/** The query string of a list link: the filters and page size, then the cursor. */
export function cursorQuery(filter: Record<string, string | number | undefined>, cursor: Record<string, string>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value !== undefined && value !== '') params.set(key, String(value));
  for (const [key, value] of Object.entries(cursor)) params.set(key, value);
  return params.toString();
}

/** CSV pages of the run list read by keyset (each continues after the last row of the one before), without counting. */
export function keysetCsvPages(
  db: Kysely<Database>,
  filter: { integrationId?: string | undefined; tenantId?: string | undefined; status?: SyncRunStatus | undefined },
): (page: number, pageSize: number) => Promise<RunView[]> {
  let after: string | undefined;
  let finished = false;
  return async (_page, pageSize) => {
    if (finished) return [];
    const list = await listRuns(db, { ...definedOnly(filter), pageSize, withTotal: false, ...(after ? { after } : {}) });
    if (list.nextAfter === null) finished = true;
    else after = list.nextAfter;
    return list.items;
  };
}

function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}
