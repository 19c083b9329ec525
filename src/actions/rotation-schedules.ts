// Scheduled password rotation: per Microsoft user, every N days the workers queue a
// password_rotation action through the one action engine (plan from current Microsoft data,
// idempotent steps, resume), so a scheduled rotation is audited, listed and resumed like any
// other action. Setting a schedule previews the rotation first: an administrator account without
// Privileged Authentication Administrator in the relationship is refused there and then, in words.
//
// Due schedules are claimed by compare-and-set on next_rotation_at (src/stores/password-rotations.ts),
// so N workers queue one rotation; a refused or failed rotation is tried again a day later and the
// schedule shows why. Any successful reset of the user's password by docsync (scheduled, on demand,
// offboarding) restarts the interval (steps.ts → markPasswordRotated).
import { recordAudit } from '../stores/audit.ts';
import { findTechnician } from '../stores/auth-accounts.ts';
import { organizationExists } from '../stores/organizations.ts';
import { getTenant } from '../stores/tenants.ts';
import { BadInput, DocsyncError, NotFound } from '../errors.ts';
import { DAY_MS } from '../time.ts';
import {
  claimDueSchedule,
  deleteSchedule,
  dueSchedules,
  recordQueuedRotation,
  recordRotationProblem,
  scheduleById,
  schedulesOfOrganization,
  schedulesOfTenant,
  upsertSchedule,
  type RotationScheduleRow,
} from '../stores/password-rotations.ts';
import { actionTarget, requestAction, type ActionDeps } from './engine.ts';
import { ActionRefused } from './errors.ts';
import { readUser } from './microsoft-user.ts';
import { assertMayAct, mayAct, type Actor } from './permission.ts';
import { planAction } from './plans.ts';

/** A refused or failed scheduled rotation is tried again this long after. */
const RETRY_MS = DAY_MS;
const MAX_INTERVAL_DAYS = 365;

export interface RotationScheduleView {
  id: string;
  tenantId: string;
  tenantName: string;
  userId: string;
  userPrincipalName: string;
  intervalDays: number;
  nextRotationAt: string;
  lastRotatedAt: string | null;
  lastAction: { id: string; status: string; error: string | null } | null;
  /** Why the last due rotation could not be queued, in words; null when none was refused. */
  problem: string | null;
  createdBy: string;
}

export function viewOfSchedule(row: RotationScheduleRow): RotationScheduleView {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    tenantName: row.tenant_name,
    userId: row.microsoft_user_id,
    userPrincipalName: row.user_principal_name,
    intervalDays: row.interval_days,
    nextRotationAt: new Date(row.next_rotation_at).toISOString(),
    lastRotatedAt: row.last_rotated_at ? new Date(row.last_rotated_at).toISOString() : null,
    lastAction:
      row.last_action_id && row.last_action_status
        ? { id: row.last_action_id, status: row.last_action_status, error: row.last_action_error }
        : null,
    problem: row.problem,
    createdBy: row.created_by_label,
  };
}

export async function listTenantRotationSchedules(deps: Pick<ActionDeps, 'db'>, tenantId: string): Promise<RotationScheduleView[]> {
  await getTenant(deps.db, tenantId);
  return (await schedulesOfTenant(deps.db, tenantId)).map(viewOfSchedule);
}

export async function listOrganizationRotationSchedules(
  deps: Pick<ActionDeps, 'db'>,
  organizationId: string,
): Promise<RotationScheduleView[]> {
  if (!(await organizationExists(deps.db, organizationId))) throw new NotFound('No such organization.');
  return (await schedulesOfOrganization(deps.db, organizationId)).map(viewOfSchedule);
}

/**
 * Sets (or changes) the rotation schedule of each chosen user. The first rotation is due N days
 * after the password's last change in Microsoft (now, when that is longer ago), else N days from now.
 * Nothing is stored when any user's rotation would be refused (protected account, missing role,
 * an administrator without Privileged Authentication Administrator).
 */
export async function setRotationSchedules(
  deps: ActionDeps,
  actor: Actor,
  input: { tenantId: string; userIds: string[]; intervalDays: number; requestId?: string },
): Promise<RotationScheduleView[]> {
  assertMayAct(actor);
  const { intervalDays } = input;
  if (!Number.isInteger(intervalDays) || intervalDays < 1 || intervalDays > MAX_INTERVAL_DAYS)
    throw new BadInput(`intervalDays must be a whole number of days from 1 to ${MAX_INTERVAL_DAYS}`);
  const { tenant, integration } = await actionTarget(deps.db, input.tenantId);
  const now = deps.clock.now();
  const graph = deps.graph.forTenant(integration.id, tenant.microsoft_tenant_id, { graphRequests: 0, throttled: 0 });
  // The same plan a rotation would run now: its refusals are the schedule's.
  const plan = await planAction({ graph, db: deps.db, tenant, integration, now }, 'password_rotation', input.userIds, {});
  const blocked = plan.steps.filter((s) => s.status === 'blocked');
  if (blocked.length > 0)
    throw new ActionRefused(
      'action_blocked',
      `docsync cannot rotate ${blocked.length === 1 ? 'this password' : `${blocked.length} of these passwords`}: ` +
        blocked.map((s) => s.detail).join('; '),
      'remove those users from the schedule, or give the relationship the role named, then set the schedule again',
    );
  const ids: string[] = [];
  for (const step of plan.steps) {
    const user = (await readUser(graph, step.userId!))!;
    const lastChange = user.lastPasswordChangeDateTime ? Date.parse(user.lastPasswordChangeDateTime) : NaN;
    const byLastChange = Number.isFinite(lastChange) ? lastChange + intervalDays * DAY_MS : Infinity;
    const next = new Date(Math.max(now.getTime(), Math.min(now.getTime() + intervalDays * DAY_MS, byLastChange)));
    await deps.db.transaction().execute(async (trx) => {
      const saved = await upsertSchedule(trx, {
        tenantId: tenant.id,
        userId: user.id,
        userPrincipalName: user.userPrincipalName,
        intervalDays,
        nextRotationAt: next,
        createdBy: actor.id,
        createdByLabel: actor.label,
        now,
      });
      ids.push(saved.id);
      await recordAudit(trx, {
        actor: { id: actor.id, label: actor.label },
        action: 'password_rotation_schedule.set',
        subjectType: 'microsoft_user',
        subjectId: user.id,
        before: saved.previousIntervalDays === null ? null : { intervalDays: saved.previousIntervalDays },
        after: { userPrincipalName: user.userPrincipalName, intervalDays, nextRotationAt: next.toISOString() },
        requestId: input.requestId ?? null,
        at: now,
      });
    });
  }
  const rows = await schedulesOfTenant(deps.db, tenant.id);
  return rows.filter((r) => ids.includes(r.id)).map(viewOfSchedule);
}

export async function removeRotationSchedule(
  deps: Pick<ActionDeps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  requestId?: string,
): Promise<void> {
  assertMayAct(actor);
  const row = await scheduleById(deps.db, id);
  if (!row) throw new NotFound('No such password rotation schedule.');
  await deps.db.transaction().execute(async (trx) => {
    if (!(await deleteSchedule(trx, id))) throw new NotFound('No such password rotation schedule.');
    await recordAudit(trx, {
      actor: { id: actor.id, label: actor.label },
      action: 'password_rotation_schedule.removed',
      subjectType: 'microsoft_user',
      subjectId: row.microsoft_user_id,
      before: { userPrincipalName: row.user_principal_name, intervalDays: row.interval_days },
      after: null,
      requestId: requestId ?? null,
      at: deps.clock.now(),
    });
  });
}

/** Who a scheduled rotation acts as: the technician who set the schedule, with the rights they have today. */
async function scheduleActor(deps: Pick<ActionDeps, 'db'>, row: RotationScheduleRow): Promise<Actor | string> {
  const who = row.created_by ? await findTechnician(deps.db, row.created_by) : undefined;
  if (!who || who.disabled)
    return `${row.created_by_label}, who set this schedule, no longer has an active account: someone allowed to act sets it again`;
  const actor: Actor = { id: who.id, label: `${who.username} (schedule)`, role: who.role, canAct: who.can_act };
  if (!mayAct(actor)) return `${who.username}, who set this schedule, may no longer act: someone allowed to act sets it again`;
  return actor;
}

/**
 * Queues the rotations that are due (the workers call this before claiming actions). Returns how
 * many were queued; a refusal is written on the schedule (shown on the pages) and audited.
 */
export async function queueDueRotations(deps: ActionDeps, limit = 20): Promise<number> {
  const now = deps.clock.now();
  let queued = 0;
  for (const due of await dueSchedules(deps.db, now, limit)) {
    const retryAt = new Date(now.getTime() + RETRY_MS);
    if (!(await claimDueSchedule(deps.db, { id: due.id, dueAt: due.next_rotation_at, retryAt, now }))) continue;
    const row = (await scheduleById(deps.db, due.id))!;
    const actor = await scheduleActor(deps, row);
    try {
      if (typeof actor === 'string') throw new ActionRefused('schedule_owner_may_not_act', actor, '');
      const action = await requestAction(deps, actor, {
        kind: 'password_rotation',
        tenantId: row.tenant_id,
        userIds: [row.microsoft_user_id],
        preview: false,
      });
      await recordQueuedRotation(deps.db, row.id, action.id, now);
      queued++;
    } catch (error) {
      // Refusals (a role lost, actions turned off, the user gone or now an administrator) and
      // Microsoft errors while planning: said on the schedule, tried again a day later.
      if (!(error instanceof DocsyncError)) throw error;
      const problem = `${error.message}${error.action ? ` — ${error.action}` : ''}`.slice(0, 2000);
      await deps.db.transaction().execute(async (trx) => {
        await recordRotationProblem(trx, row.id, problem, now);
        await recordAudit(trx, {
          actor: { id: null, label: 'password rotation schedule' },
          action: 'password_rotation_schedule.refused',
          subjectType: 'microsoft_user',
          subjectId: row.microsoft_user_id,
          before: null,
          after: { userPrincipalName: row.user_principal_name, problem, retryAt: retryAt.toISOString() },
          at: now,
        });
      });
      deps.log.warn({ scheduleId: row.id, code: (error as { code?: string }).code }, 'scheduled password rotation refused');
    }
  }
  return queued;
}
