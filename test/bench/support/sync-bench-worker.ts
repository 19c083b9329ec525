// A second (third, …) docsync sync worker for the sync bench, in a process of its own: it shares
// the database and the queue with the scale process's worker as production's workers do (any
// number of processes claim from one sync_runs queue; src/sync/queue.ts), and has its own
// connection pool, Graph client and adaptive concurrency.
// Input: SYNC_BENCH_WORKER (JSON, BenchWorkerInput). Protocol on stdio, JSON lines: it says
// {"event":"ready"} once its context is built; each line {"runId":…} on stdin makes it drain that
// run (createSyncWorker().drain, what `docsync sync` does) and answer {"event":"drained"}.
import { createInterface } from 'node:readline';
import pino from 'pino';
import { loadConfig } from '../../../src/config.ts';
import { createContext } from '../../../src/context.ts';
import { createSyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';

export interface BenchWorkerInput {
  databaseUrl: string;
  encryptionKey: string;
  authorityHost: string;
  graphBaseUrl: string;
  concurrency: number;
  maxConcurrency: number | null;
}

const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

async function main(): Promise<void> {
  const input = JSON.parse(process.env.SYNC_BENCH_WORKER ?? 'null') as BenchWorkerInput | null;
  if (!input) throw new Error('SYNC_BENCH_WORKER (JSON) is required; started by support/sync-bench-scale.ts');
  const config = loadConfig({
    env: { DOCSYNC_ENV: 'test' },
    overrides: {
      database: { url: input.databaseUrl, dataDir: 'memory://' },
      secrets: { encryptionKey: input.encryptionKey },
      microsoft: { authorityHost: input.authorityHost, graphBaseUrl: input.graphBaseUrl },
      sync: { concurrency: input.concurrency, ...(input.maxConcurrency ? { maxConcurrency: input.maxConcurrency } : {}) },
    },
  });
  const ctx = await createContext(config, { log: pino({ level: 'silent' }) });
  const microsoft = createSyncMicrosoft(ctx);
  emit({ event: 'ready' });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const { runId } = JSON.parse(line) as { runId: string };
    await createSyncWorker(microsoft.runner, { concurrency: config.sync.maxConcurrency }).drain({ runId });
    emit({ event: 'drained', runId });
  }
  await ctx.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
