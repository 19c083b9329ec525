import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { migrateToLatest, pendingMigrations } from '../db/migrate.ts';
import { parseCommandArgs } from './args.ts';

export async function migrate(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { status: { type: 'boolean' } });
  const config = loadConfig();
  const database = await openDatabase(config.database);
  try {
    if (values.status) {
      const pending = await pendingMigrations(database.db);
      process.stdout.write(
        pending.length === 0
          ? `${database.description}: schema is current\n`
          : `${database.description}: pending:\n${pending.map((p) => `  ${p}\n`).join('')}`,
      );
      return 0;
    }
    const { applied } = await migrateToLatest(database.db);
    process.stdout.write(
      applied.length === 0
        ? `${database.description}: schema is current, nothing to apply\n`
        : `${database.description}: applied ${applied.length} migration(s):\n${applied.map((a) => `  ${a}\n`).join('')}`,
    );
    return 0;
  } finally {
    await database.close();
  }
}
