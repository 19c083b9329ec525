// Forward-only migrations from migrations/, run in one transaction (Postgres DDL is
// transactional, so a failing migration leaves the database as it was).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

class DirectoryMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const module = (await import(pathToFileURL(path.join(this.dir, file)).href)) as Migration;
      migrations[file.replace(/\.(ts|js)$/, '')] = module;
    }
    return migrations;
  }
}

export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: new DirectoryMigrationProvider(migrationsDir) });
}

export interface MigrationOutcome {
  applied: string[];
}

export class MigrationFailed extends Error {
  constructor(name: string, cause: unknown) {
    super(`migration ${name} failed: ${(cause as Error)?.message ?? String(cause)}; the database was left as it was`);
    this.name = 'MigrationFailed';
  }
}

export async function migrateToLatest(db: Kysely<any>): Promise<MigrationOutcome> {
  const { error, results }: MigrationResultSet = await createMigrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? '(unknown)';
    throw new MigrationFailed(failed, error);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/** Names of migrations not yet applied (empty: the schema is current). */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const all = await createMigrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
