// The kysely instance: Postgres through `pg` when a URL is configured, else embedded PGlite.
// The same migrations and queries run on both. PGlite has one connection and no
// savepoints: never nest transactions.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import type { Database } from './schema.ts';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** Where the data lives, without credentials: "postgres 127.0.0.1:5432/docsync" or "pglite ./.docsync/data". */
  description: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string | null;
  /** PGlite data directory; "memory://" keeps it in memory (tests). */
  dataDir: string;
  poolSize: number;
}

/** A start-up failure of the database, in one line a person can act on. */
export class DatabaseUnavailable extends Error {
  constructor(description: string, cause: string) {
    super(`cannot reach the database (${description}): ${cause}`);
    this.name = 'DatabaseUnavailable';
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  return options.url ? openPostgres(options.url, options.poolSize) : openPglite(options.dataDir);
}

async function openPostgres(url: string, poolSize: number): Promise<DatabaseHandle> {
  const description = describePostgresUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // An idle client losing its server (restart, failover) must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy().catch(() => {});
    throw new DatabaseUnavailable(description, describeConnectionError(error));
  }
  return { db, kind: 'postgres', description, close: () => db.destroy() };
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const inMemory = dataDir.startsWith('memory://');
  const description = `pglite ${inMemory ? 'in memory' : dataDir}`;
  let pglite: PGlite;
  try {
    if (!inMemory) mkdirSync(path.resolve(dataDir), { recursive: true });
    // Search (migration T1500) needs pg_trgm and unaccent; PGlite ships them as contrib extensions.
    pglite = await PGlite.create({ ...(inMemory ? {} : { dataDir: path.resolve(dataDir) }), extensions: { pg_trgm, unaccent } });
  } catch (error) {
    throw new DatabaseUnavailable(description, describeConnectionError(error));
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: 'pglite', description, close: () => db.destroy() };
}

export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const database = parsed.pathname.replace(/^\//, '') || '(default database)';
    return `postgres ${parsed.hostname || 'localhost'}:${parsed.port || '5432'}/${database}`;
  } catch {
    return 'postgres (unparseable URL)';
  }
}

function describeConnectionError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused: is the server running and listening there?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case '28P01':
      return 'password authentication failed';
    case '28000':
      return 'no access for this user (pg_hba.conf)';
    case '3D000':
      return 'database does not exist';
    default:
      return (e.message ?? String(error)).split('\n')[0]!;
  }
}

/** Throws when the database does not answer (readiness, the worker's health file, waiting out an outage). */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
