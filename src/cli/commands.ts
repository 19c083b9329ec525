// The docsync commands. Each loads its module only when run, so `docsync --help` and
// `docsync match` stay quick and do not open a database.
export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

export const commands: Record<string, Command> = {
  serve: {
    summary: 'serve the web UI and JSON API',
    usage: 'docsync serve [--host HOST] [--port PORT]',
    run: async (argv) => (await import('./serve.ts')).serve(argv),
  },
  worker: {
    summary: 'process queued and scheduled syncs',
    usage: 'docsync worker [--health-file PATH]',
    run: async (argv) => (await import('./worker.ts')).worker(argv),
  },
  migrate: {
    summary: 'bring the database schema up to date',
    usage: 'docsync migrate [--status]',
    run: async (argv) => (await import('./migrate.ts')).migrate(argv),
  },
  sync: {
    summary: 'run one sync in the foreground',
    usage: 'docsync sync [--integration ID] [--tenant ID]',
    run: async (argv) => (await import('./sync.ts')).sync(argv),
  },
  match: {
    summary: 'run the matching engine on a JSON file and print its decisions',
    usage: 'docsync match --input FILE|-',
    run: async (argv) => (await import('./match.ts')).match(argv),
  },
  emulator: {
    summary: 'serve the Microsoft cloud emulator (identity platform + Graph)',
    usage:
      'docsync emulator [--host 127.0.0.1] [--port 0] [--seed 1] [--customers 3] [--users-per-tenant 50] [--cached-tenants 16] ' +
      '[--auto-consent] [--world FILE] [--fault JSON]... [--latency p50=MS,p99=MS] [--throttle]\n' +
      "  --throttle: Graph enforces Microsoft's documented per-tenant and per-app limits (429 + Retry-After)\n" +
      '  --latency: Microsoft-like answer times, log-normal through p50 and p99 (longer for big pages and reports); seeded\n' +
      '  --world FILE: customers from a JSON world file instead of the seed (README, "World files")\n' +
      '  --fault: a rule or array of rules, e.g. \'{"server":"graph","tenant":"<id or ' +
      'domain>","endpoint":"/v1.0/users*","rate":0.1,"action":{"kind":"status","status":429,"retryAfter":1.5}}\'\n' +
      '  --cached-tenants: tenants whose generated users and devices stay in memory (more = faster repeat reads, more memory)\n' +
      '  actions: status 429|500|502|503|504 (+retryAfter), delay {ms}, drop, aadsts {code} (identity); match by rate 0..1 or count N\n' +
      '  first stdout line: {"authorityHost","graphBaseUrl","partnerTenantId","clientId","clientSecret","refreshToken","customers"}',
    run: async (argv) => (await import('./emulator.ts')).emulator(argv),
  },
  demo: {
    summary: 'embedded database + emulator + server: try docsync end to end',
    usage:
      'docsync demo [--port N] [--data-dir DIR] [--world FILE] [--latency p50=MS,p99=MS] [--throttle] | ' +
      'docsync demo --once --data-dir DIR [--seed S] [--customers N] [--users-per-tenant M] [--world FILE] --json',
    run: async (argv) => (await import('./demo.ts')).demo(argv),
  },
};

export function usageText(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: docsync <command> [flags]',
    '',
    'commands:',
    ...lines,
    '',
    'docsync <command> --help shows the flags of one command.',
    'Settings come from config/*.json and DOCSYNC_* environment variables (see README).',
    '',
  ].join('\n');
}
