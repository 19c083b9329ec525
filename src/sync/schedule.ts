// The hourly (config.sync.schedule) sync of every connected integration. Every worker process
// runs the same cron string; each tick is a slot that exactly one process claims (an insert into
// sync_schedule_slots that only one can win), so N processes start one scheduled run, not N.
import cron from 'node-cron';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Clock } from '../context.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { createIntegrationStore } from '../microsoft/integrations.ts';
import { enqueueIntegrationRun, pruneRuns } from './runs.ts';
import { writeSyncLog } from './sync-log.ts';

type Db = Kysely<Database>;

/** The slot a tick belongs to: its minute (cron's finest unit in a five-field schedule). */
export function slotOf(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 60_000) * 60_000);
}

/** True when this process won the slot and should enqueue the scheduled runs. */
export async function claimScheduleSlot(db: Db, input: { slotAt: Date; owner: string }): Promise<boolean> {
  const inserted = await db
    .insertInto('sync_schedule_slots')
    .values({ slot_at: input.slotAt, claimed_by: input.owner })
    .onConflict((oc) => oc.column('slot_at').doNothing())
    .returning('slot_at')
    .execute();
  return inserted.length === 1;
}

/**
 * Queues one integration run per connected integration, except where one is already queued or
 * running (a slow hourly run is not stacked on itself). Returns the new run ids.
 */
export async function enqueueScheduledRuns(db: Db, now: Date): Promise<string[]> {
  const integrations = await db
    .selectFrom('integrations')
    .select('id')
    .where('status', '=', 'connected')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('sync_runs')
            .select('sync_runs.id')
            .whereRef('sync_runs.integration_id', '=', 'integrations.id')
            .where('sync_runs.tenant_id', 'is', null)
            .where('sync_runs.status', 'in', ['queued', 'running']),
        ),
      ),
    )
    .execute();
  const ids: string[] = [];
  for (const integration of integrations) ids.push(await enqueueIntegrationRun(db, { integrationId: integration.id, trigger: 'schedule', now }));
  return ids;
}

type TickDeps = { db: Db; secrets: SecretBox; log: Logger; clock: Clock; retentionDays: number; owner: string };

export async function onScheduleTick(deps: TickDeps): Promise<string[]> {
  const now = deps.clock.now();
  if (!(await claimScheduleSlot(deps.db, { slotAt: slotOf(now), owner: deps.owner }))) return [];
  const ids = await enqueueScheduledRuns(deps.db, now);
  const pruned = await pruneRuns(deps.db, { now, retentionDays: deps.retentionDays });
  await remindExpiringSecrets(deps);
  deps.log.info({ runs: ids.length, pruned }, 'scheduled sync queued');
  return ids;
}

/**
 * Client secrets expire (at most two years in Entra): 30 and 7 days ahead, and once expired,
 * the integration's newest sync run carries a warning with what to do (issue 5). Each
 * threshold is said once; pasting a new secret starts the count again.
 */
async function remindExpiringSecrets(deps: TickDeps): Promise<void> {
  const store = createIntegrationStore(deps);
  for (const reminder of await store.dueSecretReminders()) {
    const expired = reminder.thresholdDays === 0;
    deps.log.warn({ integrationId: reminder.integration.id, daysLeft: reminder.daysLeft }, reminder.message);
    const run = await deps.db
      .selectFrom('sync_runs')
      .select('id')
      .where('integration_id', '=', reminder.integration.id)
      .where('tenant_id', 'is', null)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (run) {
      await writeSyncLog(deps.db, run.id, {
        tenantId: null,
        level: expired ? 'error' : 'warning',
        code: expired ? 'client_secret_expired' : 'client_secret_expiring',
        message: reminder.message,
        action: reminder.action,
      });
    }
    await store.markSecretReminderSent(reminder.integration.id, reminder.thresholdDays);
  }
}

export interface ScheduleHandle {
  stop(): Promise<void>;
}

export function startSchedule(deps: TickDeps & { expression: string; onQueued?: () => void }): ScheduleHandle {
  const task = cron.schedule(deps.expression, async () => {
    try {
      const ids = await onScheduleTick(deps);
      if (ids.length > 0) deps.onQueued?.();
    } catch (error) {
      deps.log.warn({ err: error }, 'scheduled sync could not be queued');
    }
  });
  return {
    async stop() {
      await task.stop();
      await task.destroy();
    },
  };
}
