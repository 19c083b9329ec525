// The action engine: preview (a plan from current Microsoft data, nothing changed), request (the
// plan stored as steps and queued), run (on a worker: steps in order, each idempotent, its state
// written before and after its Microsoft call), resume, and the views the API returns.
//
// Queueing follows the sync queue (src/sync/queue.ts): rows claimed with FOR UPDATE SKIP LOCKED,
// a lease renewed before every step; a worker killed mid-action stops renewing, and the next
// worker claims the action once the lease ran out and continues at the step that was running —
// which re-reads Microsoft's state first, so nothing is done twice. A failed step stops the
// action; the steps before it stay done (never rolled back) and `resume` continues from it.
import type { Kysely } from 'kysely';
import { recordAudit } from '../stores/audit.ts';
import {
  actionsOfTenant,
  claimDueAction,
  findAction,
  insertAction,
  lockAction,
  markActionFailed,
  markActionSucceeded,
  markStepFinished,
  markStepRunning,
  postponeAction,
  recordedStepBefore,
  renewActionLease,
  requeueAction,
  saveStepProgress,
  stepsOfAction,
} from '../stores/actions.ts';
import { integrationOf } from '../stores/integrations.ts';
import { getTenant } from '../stores/tenants.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Action, ActionStep, ActionStepStatus, Database, Integration, Tenant } from '../db/schema.ts';
import { BadInput, Conflict, NotFound } from '../errors.ts';
import type { GraphClientFactory } from '../microsoft/graph-client.ts';
import type { Logger } from '../logger.ts';
import { ActionRefused, translateStepError } from './errors.ts';
import { assertMayAct, type Actor } from './permission.ts';
import { planAction } from './plans.ts';
import { ACTION_KINDS, type ActionKind, type StepName } from './roles.ts';
import { executorFor, type StepIO } from './steps.ts';
import { MicrosoftError } from '../microsoft/errors.ts';
import { readMemberships } from './microsoft-user.ts';
import type { TenantGraph } from '../microsoft/graph-client.ts';

async function isAdministrator(graph: TenantGraph, userId: string): Promise<boolean> {
  try {
    return (await readMemberships(graph, userId)).directoryRoles.length > 0;
  } catch {
    return false;
  }
}

type Db = Kysely<Database>;

export interface ActionDeps {
  db: Db;
  secrets: Pick<SecretBox, 'seal' | 'open'>;
  clock: { now(): Date };
  graph: GraphClientFactory;
  graphBaseUrl: string;
  log: Logger;
  leaseSeconds?: number;
}

export interface ActionView {
  id: string;
  kind: string;
  status: Action['status'];
  steps: Array<{ name: string; status: ActionStepStatus; detail: string }>;
  tenantId: string;
  userIds: string[];
  summary: string;
  requestedBy: string;
  createdAt: string;
  finishedAt: string | null;
  error: { code: string; message: string; action: string | null } | null;
}

export interface ActionRequest {
  kind: string;
  tenantId: string;
  userIds?: string[];
  input?: Record<string, unknown>;
  preview: boolean;
}

const LEASE_SECONDS = 60;

export function actionsEnabled(settings: unknown): boolean {
  const actions = (settings as { actions?: { enabled?: unknown } } | null)?.actions;
  return actions?.enabled === true;
}

/** The tenant and integration an action acts in, refused when actions are off or the tenant is inactive. */
export async function actionTarget(db: Db, tenantId: string): Promise<{ tenant: Tenant; integration: Integration }> {
  const tenant = await getTenant(db, tenantId);
  const integration = await integrationOf(db, tenant.integration_id);
  if (!actionsEnabled(integration.settings)) {
    throw new ActionRefused(
      'actions_disabled',
      `Lifecycle actions are off for the integration "${integration.name}".`,
      'An administrator enables them on the integration (POST /api/integrations/:id/actions), which asks for the write consent.',
    );
  }
  if (!tenant.active) throw new Conflict(`${tenant.display_name} is inactive (${tenant.inactive_reason ?? 'no active relationship'}).`);
  return { tenant, integration };
}

export async function requestAction(deps: ActionDeps, actor: Actor, request: ActionRequest): Promise<ActionView> {
  assertMayAct(actor);
  if (!ACTION_KINDS.includes(request.kind as ActionKind)) throw new BadInput(`kind must be one of ${ACTION_KINDS.join(', ')}`);
  const kind = request.kind as ActionKind;
  const { tenant, integration } = await actionTarget(deps.db, request.tenantId);
  const userIds = request.userIds ?? [];
  const input = request.input ?? {};
  const now = deps.clock.now();
  const graph = deps.graph.forTenant(integration.id, tenant.microsoft_tenant_id, { graphRequests: 0, throttled: 0 });
  const plan = await planAction({ graph, db: deps.db, tenant, integration, now }, kind, userIds, input);
  if (!request.preview) {
    const blocked = plan.steps.filter((s) => s.status === 'blocked');
    if (blocked.length > 0)
      throw new ActionRefused(
        'action_blocked',
        `${blocked.length} step(s) cannot run: ${blocked.map((s) => s.detail).join('; ')}`,
        'change the action (preview it again), or fix what the steps name',
      );
    if (plan.steps.length === 0) throw new BadInput(`nothing to do: ${plan.summary}`);
  }
  return deps.db.transaction().execute(async (trx) => {
    const row = await insertAction(
      trx,
      {
        kind,
        integrationId: integration.id,
        tenantId: tenant.id,
        userIds,
        input,
        status: request.preview ? 'preview' : 'queued',
        summary: plan.summary,
        requestedBy: { id: actor.id, label: actor.label },
        at: now,
      },
      plan.steps.map((s) => ({
        name: s.name,
        userId: s.userId,
        params: s.params,
        status: request.preview ? s.status : 'pending',
        detail: s.detail,
      })),
    );
    if (!request.preview) {
      await recordAudit(trx, {
        actor: { id: actor.id, label: actor.label },
        action: `action.${kind}.requested`,
        subjectType: 'action',
        subjectId: row.id,
        before: null,
        after: { tenant: tenant.display_name, userIds, summary: plan.summary, steps: plan.steps.map((s) => s.detail) },
        at: now,
      });
    }
    return viewOf(row, await stepsOf(trx, row.id));
  });
}

/** Puts a failed or partial action back in the queue; it continues at the step that failed. */
export async function resumeAction(deps: ActionDeps, actor: Actor, actionId: string): Promise<ActionView> {
  assertMayAct(actor);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const action = await lockAction(trx, actionId);
    if (!action) throw new NotFound('No such action.');
    if (action.status !== 'failed' && action.status !== 'partial')
      throw new Conflict(`Only a failed or partial action can be resumed; this one is ${action.status}.`);
    const row = await requeueAction(trx, actionId, now);
    await recordAudit(trx, {
      actor: { id: actor.id, label: actor.label },
      action: `action.${action.kind}.resumed`,
      subjectType: 'action',
      subjectId: actionId,
      before: { status: action.status },
      after: { status: 'queued' },
      at: now,
    });
    return viewOf(row, await stepsOf(trx, actionId));
  });
}

export async function getAction(db: Db, id: string): Promise<ActionView> {
  const row = await findAction(db, id);
  if (!row) throw new NotFound('No such action.');
  return viewOf(row, await stepsOf(db, id));
}

export async function listTenantActions(
  db: Db,
  tenantId: string,
  options: { userId?: string; limit?: number } = {},
): Promise<ActionView[]> {
  const rows = await actionsOfTenant(db, tenantId, { userId: options.userId, limit: options.limit ?? 100 });
  const out: ActionView[] = [];
  for (const row of rows) out.push(viewOf(row, await stepsOf(db, row.id)));
  return out;
}

function stepsOf(db: Db, actionId: string): Promise<ActionStep[]> {
  return stepsOfAction(db, actionId);
}

function viewOf(row: Action, steps: ActionStep[]): ActionView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    steps: steps.map((s) => ({ name: s.name, status: s.status, detail: s.detail })),
    tenantId: row.tenant_id,
    userIds: row.user_ids,
    summary: row.summary,
    requestedBy: row.requested_by_label,
    createdAt: new Date(row.created_at).toISOString(),
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '', action: row.error_action } : null,
  };
}

// --- the queue ------------------------------------------------------------------------------------

/** Claims the oldest queued action that is due, or one whose worker stopped renewing its lease. */
export async function claimAction(db: Db, input: { workerId: string; now: Date; leaseSeconds?: number }): Promise<Action | undefined> {
  return claimDueAction(db, { ...input, leaseSeconds: input.leaseSeconds ?? LEASE_SECONDS });
}

async function renewLease(db: Db, action: Action, workerId: string, now: Date, leaseSeconds: number): Promise<boolean> {
  return renewActionLease(db, action.id, workerId, new Date(now.getTime() + leaseSeconds * 1000));
}

export interface RunHooks {
  /** Called after a step's Microsoft call, before its state is written (tests stop a worker here). */
  afterMicrosoftCall?: (step: ActionStep) => Promise<void>;
}

export type RunOutcome = 'succeeded' | 'failed' | 'partial' | 'waiting' | 'lost';

export async function runAction(deps: ActionDeps, claimed: Action, workerId: string, hooks: RunHooks = {}): Promise<RunOutcome> {
  const { db } = deps;
  const leaseSeconds = deps.leaseSeconds ?? LEASE_SECONDS;
  const tenant = await getTenant(db, claimed.tenant_id);
  const integration = await integrationOf(db, claimed.integration_id);
  const graph = deps.graph.forTenant(integration.id, tenant.microsoft_tenant_id, { graphRequests: 0, throttled: 0 });
  const actor = { id: claimed.requested_by, label: claimed.requested_by_label };
  const steps = await stepsOf(db, claimed.id);
  let anyDone = steps.some((s) => s.status === 'done');

  for (const planned of steps) {
    if (planned.status === 'done' || planned.status === 'unchanged' || planned.status === 'blocked') continue;
    const now = deps.clock.now();
    const notBefore = typeof planned.params.notBefore === 'string' ? new Date(planned.params.notBefore) : null;
    if (notBefore && notBefore > now) {
      // A delayed delete: the action waits in the queue until then.
      await postponeAction(db, claimed.id, workerId, notBefore, now);
      return 'waiting';
    }
    if (!(await renewLease(db, claimed, workerId, now, leaseSeconds))) return 'lost';
    const resumed = planned.status === 'running';
    if (!resumed) await markStepRunning(db, claimed.id, planned.position, now);
    const step = { ...planned, status: 'running' as const, started_at: resumed ? planned.started_at : now };
    const io: StepIO = {
      graph,
      db,
      secrets: deps.secrets,
      tenant,
      integration,
      action: claimed,
      graphBaseUrl: deps.graphBaseUrl,
      now: () => deps.clock.now(),
      async persist(update) {
        await saveStepProgress(db, claimed.id, planned.position, update);
      },
    };
    let outcome;
    try {
      outcome = await executorFor(step.name)(io, step);
    } catch (error) {
      // Microsoft says 403 alike for a missing role and for an administrator target: look which.
      const forbidden = error instanceof MicrosoftError && error.details.httpStatus === 403 && step.user_id !== null;
      const targetIsAdministrator = forbidden ? await isAdministrator(graph, step.user_id!) : false;
      const failure = translateStepError(error, {
        name: step.name as StepName,
        targetIsAdministrator,
        target: step.user_id ?? String(step.params.userPrincipalName ?? tenant.display_name),
      });
      deps.log.warn({ actionId: claimed.id, step: step.name, code: failure.code }, 'action step failed');
      const status = anyDone ? 'partial' : 'failed';
      const at = deps.clock.now();
      await db.transaction().execute(async (trx) => {
        await markActionFailed(trx, { actionId: claimed.id, position: planned.position, status, failure, at });
        await recordAudit(trx, {
          actor,
          action: `action.${claimed.kind}.${step.name}.failed`,
          subjectType: 'action',
          subjectId: claimed.id,
          before: null,
          after: failure,
          at,
        });
      });
      return status;
    }
    await hooks.afterMicrosoftCall?.(step);
    const fresh = { before: await recordedStepBefore(db, claimed.id, planned.position) };
    // A resumed step that finds its goal reached after recording its before-state did it itself.
    const done = outcome.changed || (resumed && fresh.before !== null);
    const at = deps.clock.now();
    await db.transaction().execute(async (trx) => {
      const before = fresh.before ?? outcome.before ?? null;
      await markStepFinished(trx, {
        actionId: claimed.id,
        position: planned.position,
        status: done ? 'done' : 'unchanged',
        detail: outcome.detail,
        before,
        after: outcome.after,
        at,
      });
      await outcome.document?.(trx);
      await recordAudit(trx, {
        actor,
        action: `action.${claimed.kind}.${step.name}`,
        subjectType: step.user_id ? 'microsoft_user' : 'action',
        subjectId: step.user_id ?? claimed.id,
        before,
        after: outcome.after ?? null,
        at,
      });
    });
    anyDone ||= done;
  }
  const at = deps.clock.now();
  await db.transaction().execute(async (trx) => {
    await markActionSucceeded(trx, claimed.id, at);
    await recordAudit(trx, {
      actor,
      action: `action.${claimed.kind}.succeeded`,
      subjectType: 'action',
      subjectId: claimed.id,
      before: null,
      after: { summary: claimed.summary },
      at,
    });
  });
  return 'succeeded';
}

// --- the worker ------------------------------------------------------------------------------------

export interface ActionWorker {
  /** Runs due actions until none is claimable (tests, `docsync worker` polls it). */
  drain(): Promise<number>;
  start(pollIntervalMs?: number): void;
  stop(): Promise<void>;
}

export interface ActionWorkerOptions {
  workerId: string;
  hooks?: RunHooks;
  /** Runs before each round of claims: queues what is due (scheduled password rotation, rotation-schedules.ts). */
  beforeClaim?: () => Promise<unknown>;
}

export function createActionWorker(deps: ActionDeps, options: ActionWorkerOptions): ActionWorker {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<number> | undefined;
  const leaseSeconds = deps.leaseSeconds ?? LEASE_SECONDS;

  async function drainOnce(): Promise<number> {
    let ran = 0;
    try {
      await options.beforeClaim?.();
    } catch (error) {
      // Queued actions still run; the schedules are looked at again at the next poll.
      deps.log.warn({ err: error }, 'could not queue the scheduled actions that are due');
    }
    for (;;) {
      if (stopped && timer === undefined && ran > 0) break;
      const action = await claimAction(deps.db, { workerId: options.workerId, now: deps.clock.now(), leaseSeconds });
      if (!action) break;
      ran++;
      // Keeps the lease while a step waits on Microsoft (Retry-After can be long).
      const heartbeat = setInterval(
        () => {
          void renewLease(deps.db, action, options.workerId, deps.clock.now(), leaseSeconds).catch(() => {});
        },
        Math.max(1000, (leaseSeconds * 1000) / 3),
      );
      try {
        await runAction(deps, action, options.workerId, options.hooks);
      } finally {
        clearInterval(heartbeat);
      }
    }
    return ran;
  }

  return {
    drain() {
      current ??= drainOnce().finally(() => (current = undefined));
      return current;
    },
    start(pollIntervalMs = 2000) {
      stopped = false;
      const poll = async () => {
        try {
          await this.drain();
        } catch (error) {
          deps.log.warn({ err: error }, 'could not run queued actions; retrying');
        }
        if (!stopped) timer = setTimeout(() => void poll(), pollIntervalMs);
      };
      timer = setTimeout(() => void poll(), 0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await current?.catch(() => {});
    },
  };
}
