// The scheduled sync of every connected integration: hourly by default (config.sync.schedule),
// or at the integration's own cron schedule (settings.schedule). Every worker process ticks once a
// minute; a minute in which some integration is due is a slot that exactly one process claims (an
// insert into sync_schedule_slots that only one can win), so N processes start one run, not N.
import cron from 'node-cron';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Clock } from '../time.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { createIntegrationStore } from '../microsoft/integrations.ts';
import { enqueueIntegrationRun, pruneRuns } from './runs.ts';
import { writeSyncLog } from './sync-log.ts';
import {
  claimScheduleSlot,
  connectedIntegrationSettings,
  connectedIntegrationsWithoutActiveRun,
  newestIntegrationRunId,
} from '../stores/sync-queue.ts';

type Db = Kysely<Database>;

/** The slot a tick belongs to: its minute (cron's finest unit in a five-field schedule). */
export function slotOf(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 60_000) * 60_000);
}

/** True when this process won the slot and should enqueue the scheduled runs. */
export { claimScheduleSlot };

/** Schedules are checked once a minute, so they have minute precision: five cron fields. */
const SCHEDULE_FIELDS = ['minute', 'hour', 'day of month', 'month', 'day of week'];

/** What is wrong with an integration's schedule, in words for the form and the API; null when it is fine. */
export function scheduleProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  const example = 'e.g. "0 2 * * *" for 02:00 every night, "30 */4 * * *" for every four hours';
  if (fields.length !== SCHEDULE_FIELDS.length) {
    return `"${expression.slice(0, 100)}" is not a cron schedule: expected five fields (${SCHEDULE_FIELDS.join(', ')}), ${example}`;
  }
  if (!cron.validate(fields.join(' '))) return `"${expression.slice(0, 100)}" is not a valid cron schedule (${example})`;
  return null;
}

const matchers = new Map<string, { match(date: Date): boolean }>();

/**
 * Whether a cron expression fires in the minute of `date`. A seconds field (six-field
 * expressions, accepted in config.sync.schedule) is ignored: the schedule ticks once a minute.
 */
export function scheduleDueAt(expression: string, date: Date): boolean {
  const fields = expression.trim().split(/\s+/);
  const minutePrecision = `0 ${(fields.length === 6 ? fields.slice(1) : fields).join(' ')}`;
  let matcher = matchers.get(minutePrecision);
  if (!matcher) {
    // node-cron's own matcher (never started: no timer), so every syntax it validates matches the same way.
    matcher = cron.createTask(minutePrecision, () => {});
    if (matchers.size > 1000) matchers.clear();
    matchers.set(minutePrecision, matcher);
  }
  return matcher.match(slotOf(date));
}

/** The integration's own schedule, when it has a valid one. */
export function integrationSchedule(settings: unknown): string | null {
  const value = settings && typeof settings === 'object' ? (settings as { schedule?: unknown }).schedule : undefined;
  return typeof value === 'string' && scheduleProblem(value) === null ? value.trim() : null;
}

/** Connected integrations whose schedule (their own, else the default) fires in this minute. */
export async function integrationsDue(db: Db, now: Date, defaultExpression: string): Promise<string[]> {
  const rows = await connectedIntegrationSettings(db);
  return rows.filter((row) => scheduleDueAt(integrationSchedule(row.settings) ?? defaultExpression, now)).map((row) => row.id);
}

/**
 * Queues one integration run per connected integration (or those of `onlyIds`), except where one
 * is already queued or running (a slow run is not stacked on itself). Returns the new run ids.
 */
export async function enqueueScheduledRuns(db: Db, now: Date, onlyIds?: string[]): Promise<string[]> {
  if (onlyIds && onlyIds.length === 0) return [];
  const integrationIds = await connectedIntegrationsWithoutActiveRun(db, onlyIds);
  const ids: string[] = [];
  for (const integrationId of integrationIds) ids.push(await enqueueIntegrationRun(db, { integrationId, trigger: 'schedule', now }));
  return ids;
}

type TickDeps = {
  db: Db;
  secrets: SecretBox;
  log: Logger;
  clock: Clock;
  retentionDays: number;
  owner: string;
  /** config.sync.schedule. Absent: this tick is due for every connected integration (the demo's first tick). */
  defaultExpression?: string;
};

export async function onScheduleTick(deps: TickDeps): Promise<string[]> {
  const now = deps.clock.now();
  const due = deps.defaultExpression === undefined ? undefined : await integrationsDue(deps.db, now, deps.defaultExpression);
  // Pruning and secret reminders keep the default schedule's pace (hourly), whatever the integrations' own.
  const housekeeping = deps.defaultExpression === undefined || scheduleDueAt(deps.defaultExpression, now);
  if (due !== undefined && due.length === 0 && !housekeeping) return [];
  if (!(await claimScheduleSlot(deps.db, { slotAt: slotOf(now), owner: deps.owner }))) return [];
  const ids = await enqueueScheduledRuns(deps.db, now, due);
  let pruned = 0;
  if (housekeeping) {
    pruned = await pruneRuns(deps.db, { now, retentionDays: deps.retentionDays });
    await remindExpiringSecrets(deps);
  }
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
    const runId = await newestIntegrationRunId(deps.db, reminder.integration.id);
    if (runId) {
      await writeSyncLog(deps.db, runId, {
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
  // Every minute: integrations may each have their own schedule (settings.schedule).
  const task = cron.schedule('* * * * *', async () => {
    try {
      const ids = await onScheduleTick({ ...deps, defaultExpression: deps.expression });
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
