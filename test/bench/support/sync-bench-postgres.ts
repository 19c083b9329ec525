// Database-side figures of the sync bench: rows written per table (Postgres' own counters, so an
// UPDATE that changes nothing still counts — stricter than comparing updated_at columns) and the
// raw batched INSERT rate of the same server, the yardstick for docsync's rows per second.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type TableWrites = Record<string, { inserted: number; updated: number; deleted: number }>;

export async function createScratchDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `docsync_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export async function tableWrites(client: pg.Client): Promise<TableWrites> {
  await client.query('select pg_stat_clear_snapshot()');
  const { rows } = await client.query<{ relname: string; ins: string; upd: string; del: string }>(
    'select relname, n_tup_ins as ins, n_tup_upd as upd, n_tup_del as del from pg_stat_user_tables',
  );
  return Object.fromEntries(rows.map((r) => [r.relname, { inserted: Number(r.ins), updated: Number(r.upd), deleted: Number(r.del) }]));
}

/**
 * The counters once every backend has reported. Postgres 15+ backends flush their table counters
 * at most once a second while busy and up to 10 s after going idle (PGSTAT_IDLE_INTERVAL), so
 * wait that long after the work, then until two reads a second apart agree.
 */
export async function settledTableWrites(client: pg.Client, since: number): Promise<TableWrites> {
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const idleFlush = 11_000 - (performance.now() - since);
  if (idleFlush > 0) await wait(idleFlush);
  let before = JSON.stringify(await tableWrites(client));
  for (let i = 0; i < 30; i++) {
    await wait(1000);
    const now = await tableWrites(client);
    const text = JSON.stringify(now);
    if (text === before) return now;
    before = text;
  }
  throw new Error('table write counters did not settle within 30 s');
}

export function writesBetween(before: TableWrites, after: TableWrites): TableWrites {
  const out: TableWrites = {};
  for (const [table, a] of Object.entries(after)) {
    const b = before[table] ?? { inserted: 0, updated: 0, deleted: 0 };
    const d = { inserted: a.inserted - b.inserted, updated: a.updated - b.updated, deleted: a.deleted - b.deleted };
    if (d.inserted || d.updated || d.deleted) out[table] = d;
  }
  return out;
}

export const totalRows = (writes: TableWrites, tables?: readonly string[]) =>
  Object.entries(writes)
    .filter(([t]) => !tables || tables.includes(t))
    .reduce((n, [, w]) => n + w.inserted + w.updated + w.deleted, 0);

/** Average stored width (bytes, pg_column_size of the row) of the rows written, weighted by rows written per table. */
export async function averageRowWidth(client: pg.Client, writes: TableWrites): Promise<number> {
  let bytes = 0;
  let rows = 0;
  for (const [table, w] of Object.entries(writes)) {
    const n = w.inserted + w.updated;
    if (n === 0) continue;
    const { rows: r } = await client.query<{ width: string | null }>(
      `select avg(pg_column_size(t.*)) as width from (select * from "${table}" limit 2000) t`,
    );
    const width = Number(r[0]?.width ?? 0);
    if (!width) continue;
    bytes += width * n;
    rows += n;
  }
  return rows === 0 ? 0 : Math.round(bytes / rows);
}

/**
 * Rows per second one connection inserts into a scratch table shaped like the staging tables
 * (uuid tenant, text key with a unique index, jsonb payload of the given row width), in
 * multi-row INSERTs of `batch` rows — the same statement shape docsync's writes use.
 */
export async function rawInsertRate(
  url: string,
  input: { rows: number; rowWidth: number; batch?: number },
): Promise<{ rows: number; seconds: number; rowsPerSecond: number }> {
  const batch = input.batch ?? 1000;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      'create table bench_raw_insert (id bigint primary key, tenant_id uuid not null, key text not null, data jsonb not null, unique ' +
        '(tenant_id, key))',
    );
    // pg_column_size(row) counts the tuple header and the other columns (~70 bytes here).
    const payload = JSON.stringify({ p: 'x'.repeat(Math.max(8, input.rowWidth - 70)) });
    const tenants = Array.from({ length: 100 }, () => crypto.randomUUID());
    const start = performance.now();
    for (let first = 0; first < input.rows; first += batch) {
      const n = Math.min(batch, input.rows - first);
      const values: string[] = [];
      const params: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const id = first + i;
        params.push(id, tenants[id % tenants.length], `key-${id}`, payload);
        values.push(`($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`);
      }
      await client.query(`insert into bench_raw_insert (id, tenant_id, key, data) values ${values.join(',')}`, params);
    }
    const seconds = (performance.now() - start) / 1000;
    await client.query('drop table bench_raw_insert');
    return { rows: input.rows, seconds, rowsPerSecond: input.rows / seconds };
  } finally {
    await client.end();
  }
}
