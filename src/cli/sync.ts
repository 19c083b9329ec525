// `docsync sync [--integration ID] [--tenant ID]`: one sync in the foreground, through the same
// queue the workers use (so it never overlaps a worker syncing the same tenant), with a progress
// bar on a TTY and one summary line at the end.
//
// Ctrl-C (SIGINT) or SIGTERM cancels the run: no tenant is started any more, the tenants in flight
// stop at their next step and end "cancelled", the queued ones are cancelled, the summary lines
// are printed and the exit code is 130. A second Ctrl-C quits at once; the tenants in flight then
// stay "running" until their lease runs out and a worker queues them again.
import { loadConfig } from '../config.ts';
import { createContext, type AppContext } from '../context.ts';
import { migrateToLatest, pendingMigrations } from '../db/migrate.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { createSyncWorker } from '../sync/worker.ts';
import { enqueueIntegrationRun, enqueueTenantRun, getRun } from '../sync/runs.ts';
import { cancelRun } from '../sync/queue.ts';
import { RunCancelled } from '../sync/runner.ts';
import type { SyncRun } from '../db/schema.ts';
import { GUID } from '../ids.ts';
import { integrationsToSync, tenantsByReference } from '../stores/tenants.ts';

/** 128 + SIGINT, what shells report for a command stopped with Ctrl-C. */
const EXIT_INTERRUPTED = 130;

export async function sync(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { integration: { type: 'string' }, tenant: { type: 'string' } });
  // A malformed id is a usage error before any database is opened (or created).
  if (values.integration !== undefined && !GUID.test(values.integration))
    throw new UsageError(`--integration expects an integration id, got "${values.integration}"`);
  if (values.tenant !== undefined && values.tenant.trim() === '') throw new UsageError('--tenant expects a tenant id');
  const config = loadConfig();
  const ctx = await createContext(config);
  try {
    if (ctx.database.kind === 'pglite') await migrateToLatest(ctx.database.db);
    else {
      const pending = await pendingMigrations(ctx.database.db);
      if (pending.length > 0) {
        process.stderr.write(`docsync sync: the database schema is behind (${pending.join(', ')}): run \`docsync migrate\` first\n`);
        return 1;
      }
    }
    const cancel = new AbortController();
    let bar: { stop(): Promise<void> } | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (cancel.signal.aborted) {
        process.stderr.write(
          `${bar ? '\n' : ''}docsync sync: quitting; the tenants in progress are queued again when their lease runs out\n`,
        );
        process.exit(EXIT_INTERRUPTED);
      }
      process.stderr.write(`${bar ? '\n' : ''}docsync sync: stopping — cancelling the run (press Ctrl-C again to quit at once)\n`);
      cancel.abort(
        new RunCancelled(`stopped from the command line (${signal})`, 'run `docsync sync` again or wait for the next scheduled sync'),
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const runIds = await enqueue(ctx, { integration: values.integration, tenant: values.tenant });
      const worker = createSyncWorker(ctx.microsoft.runner, { concurrency: config.sync.maxConcurrency, signal: cancel.signal });
      // Only a person at a terminal gets the bar; pipes and logs get the summary lines alone.
      bar = process.stderr.isTTY ? startProgressBar(ctx, runIds) : undefined;
      try {
        for (const runId of runIds) await worker.drain({ runId });
        if (cancel.signal.aborted) {
          // The tenants in flight have ended "cancelled"; what never started is cancelled here.
          const reason = cancel.signal.reason as RunCancelled;
          for (const runId of runIds)
            await cancelRun(ctx.database.db, { runId, now: ctx.clock.now(), reason: reason.message, action: reason.action });
        }
      } finally {
        await bar?.stop();
      }
      let worst = 0;
      for (const runId of runIds) {
        const run = (await getRun(ctx.database.db, runId))!;
        process.stdout.write(`${describe(run)}\n`);
        if (run.status === 'failed') worst = 1;
      }
      return cancel.signal.aborted ? EXIT_INTERRUPTED : worst;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } finally {
    await ctx.close();
  }
}

async function enqueue(ctx: AppContext, options: { integration?: string; tenant?: string }): Promise<string[]> {
  const db = ctx.database.db;
  const now = ctx.clock.now();
  if (options.tenant) {
    const tenants = await tenantsByReference(db, options.tenant, options.integration);
    if (tenants.length === 0)
      throw new UsageError(`no tenant ${options.tenant}${options.integration ? ` in integration ${options.integration}` : ''}`);
    if (tenants.length > 1) throw new UsageError(`tenant ${options.tenant} is in several integrations: add --integration`);
    return [await enqueueTenantRun(db, { integrationId: tenants[0]!.integration_id, tenantId: tenants[0]!.id, trigger: 'cli', now })];
  }
  if (options.integration && !GUID.test(options.integration))
    throw new UsageError(`--integration expects an integration id, got "${options.integration}"`);
  const integrations = await integrationsToSync(db, options.integration);
  if (integrations.length === 0)
    throw new UsageError(
      options.integration ? `no integration ${options.integration}` : 'no connected integration: connect one in the web UI first',
    );
  const ids: string[] = [];
  for (const integration of integrations) ids.push(await enqueueIntegrationRun(db, { integrationId: integration.id, trigger: 'cli', now }));
  return ids;
}

export function describe(run: SyncRun): string {
  const scope = run.tenant_id ? 'tenant' : `${run.progress_total} tenants`;
  return (
    `sync ${run.status} (${scope}): ${run.created} created, ${run.updated} updated, ${run.unchanged} unchanged, ${run.flagged} ` +
    `flagged, ${run.failed} failed; ${run.graph_requests} Graph requests, ${run.throttled} ` +
    `throttled${run.summary ? ` — ${run.summary}` : ''}`
  );
}

function startProgressBar(ctx: AppContext, runIds: string[]): { stop(): Promise<void> } {
  const width = 30;
  const draw = async () => {
    const runs = await Promise.all(runIds.map((id) => getRun(ctx.database.db, id)));
    const total = runs.reduce((s, r) => s + (r?.progress_total ?? 0), 0);
    const done = runs.reduce((s, r) => s + (r?.progress_done ?? 0), 0);
    const created = runs.reduce((s, r) => s + (r?.created ?? 0), 0);
    const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ` +
        `${runIds.length === 1 && runs[0]?.tenant_id ? 'steps' : 'tenants'}, ${created} created `,
    );
  };
  // One draw at a time; a failed read only skips a frame.
  let drawing: Promise<void> = draw().catch(() => {});
  const timer = setInterval(() => {
    drawing = drawing.then(draw).catch(() => {});
  }, 500);
  return {
    async stop() {
      clearInterval(timer);
      // The last frame shows where the run ended.
      await drawing.then(draw).catch(() => {});
      process.stderr.write('\n');
    },
  };
}
