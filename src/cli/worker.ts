// `docsync worker`: processes queued syncs (schedule, "sync now", CLI) until stopped, and runs the
// schedule (one slot per tick across all processes). Start as many as you like, anywhere.
import closeWithGrace from 'close-with-grace';
import { loadConfig } from '../config.ts';
import { createContext } from '../context.ts';
import { migrateToLatest, pendingMigrations } from '../db/migrate.ts';
import { parseCommandArgs } from './args.ts';
import { createSyncWorker } from '../sync/worker.ts';
import { startSchedule } from '../sync/schedule.ts';
import { healthFile } from './health-file.ts';

const HEALTH_BEAT_MS = 15_000;
import { createActionWorker } from '../actions/engine.ts';
import { actionDepsFor } from '../actions/wiring.ts';
import { queueDueRotations } from '../actions/rotation-schedules.ts';

export async function worker(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { 'health-file': { type: 'string' } });
  const config = loadConfig();
  const ctx = await createContext(config);
  if (ctx.database.kind === 'pglite') await migrateToLatest(ctx.database.db);
  else {
    const pending = await pendingMigrations(ctx.database.db);
    if (pending.length > 0) {
      process.stderr.write(`docsync worker: the database schema is behind (${pending.join(', ')}): run \`docsync migrate\` first\n`);
      await ctx.close();
      return 1;
    }
  }
  const syncWorker = createSyncWorker(ctx.microsoft.runner, { concurrency: config.sync.maxConcurrency });
  const schedule = startSchedule({
    db: ctx.database.db,
    secrets: ctx.secrets,
    log: ctx.log,
    clock: ctx.clock,
    retentionDays: config.sync.runRetentionDays,
    owner: syncWorker.workerId,
    expression: config.sync.schedule,
    onQueued: () => void syncWorker.fillSlots(),
  });
  syncWorker.start();
  // Lifecycle actions run on the same workers, from their own queue (src/actions/engine.ts).
  const actionDeps = actionDepsFor(ctx, ctx.microsoft);
  const actionWorker = createActionWorker(actionDeps, {
    workerId: syncWorker.workerId,
    beforeClaim: () => queueDueRotations(actionDeps),
  });
  actionWorker.start();
  const health = values['health-file'] ? healthFile(values['health-file'], { db: ctx.database.db, clock: ctx.clock }) : null;
  const healthTimer = health ? setInterval(() => void health.beat(), HEALTH_BEAT_MS) : null;
  await health?.beat();
  ctx.log.info(
    {
      worker: syncWorker.workerId,
      concurrency: config.sync.concurrency,
      maxConcurrency: config.sync.maxConcurrency,
      schedule: config.sync.schedule,
      database: ctx.database.description,
    },
    'docsync worker started',
  );
  await new Promise<void>((resolve) => {
    closeWithGrace({ delay: 60_000 }, async ({ signal, err }) => {
      if (err) ctx.log.error({ err }, 'worker stopping after an error');
      else ctx.log.info({ signal }, 'worker stopping: finishing the tenants in progress');
      if (healthTimer) clearInterval(healthTimer);
      await health?.stop();
      await schedule.stop();
      await syncWorker.stop();
      await actionWorker.stop();
      await ctx.close();
      resolve();
    });
  });
  return 0;
}
