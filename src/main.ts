// docsync's command line: `docsync <command> [flags]`.
import { commands, usageText } from './cli/commands.ts';
import { UsageError } from './cli/args.ts';
import { ConfigError } from './config.ts';
import { DatabaseUnavailable } from './db/database.ts';
import { MigrationFailed } from './db/migrate.ts';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process[name === undefined ? 'stderr' : 'stdout'].write(usageText());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`docsync: unknown command "${name}"\n\n${usageText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`docsync ${name}: ${error.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof DatabaseUnavailable || error instanceof MigrationFailed) {
      process.stderr.write(`docsync ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
