// docsync emulator: serves the Microsoft cloud emulator until SIGTERM/SIGINT.
// The first stdout line is the one JSON object scripts read (URLs and credentials of the
// emulated partner); nothing else goes to stdout. Logs go to stderr.
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { startEmulator } from '../emulator/index.ts';
import { FaultRuleError, parseFaultRules, type FaultRuleInput } from '../emulator/faults.ts';
import { UsageError, integerFlag, parseCommandArgs } from './args.ts';
import { loadWorldFile } from './world-file.ts';
import { MICROSOFT_LIKE_FLAGS, microsoftLikeOptions } from './emulator-flags.ts';

// Flags and the --fault rule format: see the `emulator` entry of commands.ts (docsync emulator --help).

export async function emulator(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    seed: { type: 'string' },
    customers: { type: 'string' },
    'users-per-tenant': { type: 'string' },
    'cached-tenants': { type: 'string' },
    'auto-consent': { type: 'boolean' },
    fault: { type: 'string', multiple: true },
    world: { type: 'string' },
    ...MICROSOFT_LIKE_FLAGS,
  });
  const microsoftLike = microsoftLikeOptions(values);
  const world = values.world === undefined ? undefined : await loadWorldFile(values.world);
  if (world && 'error' in world) {
    process.stderr.write(`${world.error}\n`);
    return 2;
  }
  const faults: FaultRuleInput[] = [];
  for (const json of values.fault ?? []) {
    try {
      faults.push(...parseFaultRules(json));
    } catch (err) {
      if (err instanceof FaultRuleError) throw new UsageError(`--fault: ${err.message}`);
      throw err;
    }
  }
  const log = pino({ level: 'info', base: { service: 'docsync-emulator' } }, pino.destination(2));
  const running = await startEmulator({
    host: values.host ?? '127.0.0.1',
    port: integerFlag('port', values.port, 0, 0, 65535),
    seed: integerFlag('seed', values.seed, 1, 0, 2 ** 31 - 1),
    customers: integerFlag('customers', values.customers, 3, 0, 100_000),
    usersPerTenant: integerFlag('users-per-tenant', values['users-per-tenant'], 50, 0, 1_000_000),
    cachedTenants: integerFlag('cached-tenants', values['cached-tenants'], 16, 1, 100_000),
    autoConsent: values['auto-consent'] ?? false,
    faults,
    explicitCustomers: world?.customers,
    ...microsoftLike,
    logger: log,
  });
  process.stdout.write(
    `${JSON.stringify({
      authorityHost: running.urls.authorityHost,
      graphBaseUrl: running.urls.graphBaseUrl,
      partnerTenantId: running.credentials.partnerTenantId,
      clientId: running.credentials.clientId,
      clientSecret: running.credentials.clientSecret,
      refreshToken: running.credentials.refreshToken,
      customers: running.world.customerCount(),
    })}\n`,
  );
  log.info({ ...running.urls, customers: running.world.customerCount(), faults: faults.length, ...microsoftLike }, 'emulator is serving');

  await new Promise<void>((resolve) => {
    closeWithGrace({ delay: 5_000 }, async ({ signal, err }) => {
      if (err) log.error({ err }, 'emulator stopping after an error');
      else log.info({ signal }, 'emulator stopping');
      await running.close();
      resolve();
    });
  });
  return 0;
}
