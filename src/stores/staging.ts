// Staging: Microsoft records as last fetched (ms_users, ms_managed_devices, ms_mailboxes,
// ms_subscribed_skus), keyed per tenant, with a content hash so a re-sync finds unchanged records
// without comparing JSON and writes nothing for them. `last_seen_at` moves only when the content
// changes (a no-change sync writes zero rows). Absence is recorded (removed_at) only from a
// complete listing or from delta's explicit "@removed"; nothing is ever deleted here.
import { hash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { cleanJson, cleanText } from '../microsoft/text.ts';
import { stableStringify } from '../db/json.ts';

export { stableStringify };

export type StagingTable = 'ms_users' | 'ms_managed_devices' | 'ms_mailboxes' | 'ms_subscribed_skus' | 'ms_user_activity';

const KEY_COLUMN: Record<StagingTable, string> = {
  ms_users: 'user_id',
  ms_managed_devices: 'device_id',
  ms_mailboxes: 'user_principal_name',
  ms_subscribed_skus: 'sku_id',
  ms_user_activity: 'user_principal_name',
};

export interface StagedInput {
  key: string;
  data: Record<string, unknown>;
}

export interface StagedRecord<T = Record<string, unknown>> {
  key: string;
  data: T;
  removedAt: Date | null;
}

export interface StagingOutcome {
  inserted: number;
  changed: number;
  unchanged: number;
  /** Keys newly marked removed by this call. */
  removed: string[];
  /** Keys that were removed before and are back. */
  restored: string[];
}

export function contentHash(data: unknown): string {
  return hash('sha256', stableStringify(data), 'base64url');
}

const CHUNK = 500;

/**
 * Writes the records of one resource for one tenant, skipping those whose hash is unchanged.
 * `complete` = this is the whole, successful listing: records not in it are marked removed.
 * `removedKeys` = explicitly removed records (delta "@removed").
 */
export async function stageRecords(
  database: Kysely<Database>,
  table: StagingTable,
  tenantId: string,
  records: StagedInput[],
  options: { complete: boolean; removedKeys?: string[]; now: Date },
): Promise<StagingOutcome> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the staging table is chosen at run time (KEY_COLUMN)
  const db = database as unknown as Kysely<any>;
  const key = KEY_COLUMN[table];
  const existing = new Map<string, { hash: string; removed: boolean }>();
  const rows = await db
    .selectFrom(table)
    .select([`${key} as key`, 'content_hash', 'removed_at'])
    .where('tenant_id', '=', tenantId)
    .execute();
  for (const row of rows) existing.set(row.key as string, { hash: row.content_hash as string, removed: row.removed_at !== null });

  const outcome: StagingOutcome = { inserted: 0, changed: 0, unchanged: 0, removed: [], restored: [] };
  const writes: Array<Record<string, unknown>> = [];
  const seen = new Set<string>();
  for (const input of records) {
    // The Graph client already cleaned Microsoft's text; this keeps any other source (a test, a
    // future reader) from handing Postgres a NUL or a lone surrogate, which would fail every run.
    const record = { key: cleanText(input.key), data: cleanJson(input.data).value };
    // Delta may replay an object within one round; the last copy wins.
    if (seen.has(record.key)) {
      const index = writes.findIndex((w) => w[key] === record.key);
      if (index >= 0) writes.splice(index, 1);
    }
    seen.add(record.key);
    const hash = contentHash(record.data);
    const before = existing.get(record.key);
    if (before && before.hash === hash && !before.removed) {
      outcome.unchanged++;
      continue;
    }
    if (!before) outcome.inserted++;
    else if (before.removed) outcome.restored.push(record.key);
    else outcome.changed++;
    writes.push({
      tenant_id: tenantId,
      [key]: record.key,
      data: JSON.stringify(record.data),
      content_hash: hash,
      last_seen_at: options.now,
      removed_at: null,
    });
  }
  for (let i = 0; i < writes.length; i += CHUNK) {
    await db
      .insertInto(table)
      .values(writes.slice(i, i + CHUNK).map((w) => ({ ...w, first_seen_at: options.now })))
      .onConflict((oc) =>
        oc.columns(['tenant_id', key]).doUpdateSet((eb) => ({
          data: eb.ref('excluded.data'),
          content_hash: eb.ref('excluded.content_hash'),
          last_seen_at: eb.ref('excluded.last_seen_at'),
          removed_at: null,
        })),
      )
      .execute();
  }

  const gone = new Set<string>(options.removedKeys ?? []);
  if (options.complete) for (const [k, v] of existing) if (!seen.has(k) && !v.removed) gone.add(k);
  const toMark = [...gone].filter((k) => existing.has(k) && !existing.get(k)!.removed && !seen.has(k));
  for (let i = 0; i < toMark.length; i += CHUNK) {
    await db
      .updateTable(table)
      .set({ removed_at: options.now })
      .where('tenant_id', '=', tenantId)
      .where(key, 'in', toMark.slice(i, i + CHUNK))
      .where('removed_at', 'is', null)
      .execute();
  }
  outcome.removed = toMark;
  return outcome;
}

/** The staged records of one resource for one tenant (present ones unless `includeRemoved`). */
export async function loadStaged<T = Record<string, unknown>>(
  database: Kysely<Database>,
  table: StagingTable,
  tenantId: string,
  options: { includeRemoved?: boolean; keys?: string[] } = {},
): Promise<Array<StagedRecord<T>>> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the staging table is chosen at run time (KEY_COLUMN)
  const db = database as unknown as Kysely<any>;
  const key = KEY_COLUMN[table];
  const read = async (keys?: string[]) => {
    let query = db
      .selectFrom(table)
      .select([`${key} as key`, 'data', 'removed_at'])
      .where('tenant_id', '=', tenantId)
      .orderBy(key);
    if (!options.includeRemoved) query = query.where('removed_at', 'is', null);
    if (keys) query = query.where(key, 'in', keys);
    return query.execute();
  };
  let rows: Array<Record<string, unknown>>;
  if (!options.keys) rows = await read();
  else {
    rows = [];
    for (let i = 0; i < options.keys.length; i += CHUNK) rows.push(...(await read(options.keys.slice(i, i + CHUNK))));
  }
  return rows.map((r) => ({
    key: r.key as string,
    data: parseJson(r.data) as T,
    removedAt: r.removed_at ? new Date(r.removed_at as string) : null,
  }));
}

// pg parses jsonb; PGlite does too, but be safe if a driver hands back text.
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}
