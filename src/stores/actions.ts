// Lifecycle actions and their steps (actions, action_steps): what the action engine
// (src/actions/engine.ts) stores before and after each Microsoft call, and the queue's claim and
// lease. Claims use FOR UPDATE SKIP LOCKED like the sync queue (src/stores/sync-queue.ts).
import { sql, type Kysely } from 'kysely';
import type { Action, ActionStep, ActionStepStatus, Database } from '../db/schema.ts';

type Db = Kysely<Database>;

export interface NewAction {
  kind: string;
  integrationId: string;
  tenantId: string;
  userIds: string[];
  input: Record<string, unknown>;
  status: 'preview' | 'queued';
  summary: string;
  requestedBy: { id: string | null; label: string };
  at: Date;
}

export interface NewActionStep {
  name: string;
  userId: string | null;
  params: Record<string, unknown>;
  status: ActionStepStatus;
  detail: string;
}

/** Stores an action and its steps (in plan order); returns the action's row. */
export async function insertAction(db: Db, action: NewAction, steps: NewActionStep[]): Promise<Action> {
  const row = await db
    .insertInto('actions')
    .values({
      kind: action.kind,
      integration_id: action.integrationId,
      tenant_id: action.tenantId,
      user_ids: JSON.stringify(action.userIds),
      input: JSON.stringify(action.input),
      status: action.status,
      summary: action.summary,
      requested_by: action.requestedBy.id,
      requested_by_label: action.requestedBy.label,
      created_at: action.at,
      updated_at: action.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (steps.length > 0) {
    await db
      .insertInto('action_steps')
      .values(
        steps.map((s, position) => ({
          action_id: row.id,
          position,
          name: s.name,
          user_id: s.userId,
          params: JSON.stringify(s.params),
          status: s.status,
          detail: s.detail,
        })),
      )
      .execute();
  }
  return row;
}

/** One action, or undefined. */
export async function findAction(db: Db, actionId: string): Promise<Action | undefined> {
  return db.selectFrom('actions').selectAll().where('id', '=', actionId).executeTakeFirst();
}

/** One action, locked until the transaction ends (resume reads and changes it at once). */
export async function lockAction(trx: Db, actionId: string): Promise<Action | undefined> {
  return trx.selectFrom('actions').selectAll().where('id', '=', actionId).forUpdate().executeTakeFirst();
}

/** A failed or partial action back in the queue: its failed and skipped steps pending again. */
export async function requeueAction(trx: Db, actionId: string, now: Date): Promise<Action> {
  await trx
    .updateTable('action_steps')
    .set({ status: 'pending' })
    .where('action_id', '=', actionId)
    .where('status', 'in', ['failed', 'not_run'])
    .execute();
  return trx
    .updateTable('actions')
    .set({
      status: 'queued',
      error_code: null,
      error_message: null,
      error_action: null,
      not_before: null,
      updated_at: now,
      finished_at: null,
    })
    .where('id', '=', actionId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A tenant's actions (previews left out), newest first; only those naming `userId` when given. */
export async function actionsOfTenant(db: Db, tenantId: string, options: { userId?: string; limit: number }): Promise<Action[]> {
  let query = db.selectFrom('actions').selectAll().where('tenant_id', '=', tenantId).where('status', '!=', 'preview');
  if (options.userId) query = query.where(sql<boolean>`user_ids @> ${JSON.stringify([options.userId])}::jsonb`);
  return query.orderBy('created_at', 'desc').orderBy('id').limit(options.limit).execute();
}

/** An action's steps in plan order. */
export async function stepsOfAction(db: Db, actionId: string): Promise<ActionStep[]> {
  return db.selectFrom('action_steps').selectAll().where('action_id', '=', actionId).orderBy('position').execute();
}

/** Claims the oldest queued action that is due, or one whose worker stopped renewing its lease. */
export async function claimDueAction(db: Db, input: { workerId: string; now: Date; leaseSeconds: number }): Promise<Action | undefined> {
  const leaseEnd = new Date(input.now.getTime() + input.leaseSeconds * 1000);
  const result = await sql<Action>`
    update actions set status = 'running', started_at = coalesce(started_at, ${input.now}), lease_owner = ${input.workerId},
      lease_expires_at = ${leaseEnd}, attempts = attempts + 1, updated_at = ${input.now}
    where id = (
      select id from actions
      where (status = 'queued' and (not_before is null or not_before <= ${input.now}))
         or (status = 'running' and lease_expires_at < ${input.now})
      order by created_at, id
      for update skip locked
      limit 1)
    returning *`.execute(db);
  return result.rows[0];
}

/** Extends this worker's lease on a running action; false when the worker no longer holds it. */
export async function renewActionLease(db: Db, actionId: string, workerId: string, leaseEnd: Date): Promise<boolean> {
  const result = await db
    .updateTable('actions')
    .set({ lease_expires_at: leaseEnd })
    .where('id', '=', actionId)
    .where('lease_owner', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Puts a claimed action back in the queue until `notBefore` (a delayed step), releasing the lease. */
export async function postponeAction(db: Db, actionId: string, workerId: string, notBefore: Date, now: Date): Promise<void> {
  await db
    .updateTable('actions')
    .set({ status: 'queued', not_before: notBefore, lease_owner: null, lease_expires_at: null, updated_at: now })
    .where('id', '=', actionId)
    .where('lease_owner', '=', workerId)
    .execute();
}

/** Marks a step running (before its Microsoft call). */
export async function markStepRunning(db: Db, actionId: string, position: number, now: Date): Promise<void> {
  await db
    .updateTable('action_steps')
    .set({ status: 'running', started_at: now })
    .where('action_id', '=', actionId)
    .where('position', '=', position)
    .execute();
}

/** Records what a running step needs if it is resumed: the state before, the sealed secret. */
export async function saveStepProgress(
  db: Db,
  actionId: string,
  position: number,
  progress: { before?: unknown; secretSealed?: string },
): Promise<void> {
  const set: { before?: string; secret_sealed?: string } = {};
  if (progress.before !== undefined) set.before = JSON.stringify(progress.before);
  if (progress.secretSealed !== undefined) set.secret_sealed = progress.secretSealed;
  if (Object.keys(set).length === 0) return;
  await db.updateTable('action_steps').set(set).where('action_id', '=', actionId).where('position', '=', position).execute();
}

/** The state before a step as it was recorded (null when the step recorded none). */
export async function recordedStepBefore(db: Db, actionId: string, position: number): Promise<unknown> {
  const row = await db
    .selectFrom('action_steps')
    .select(['before'])
    .where('action_id', '=', actionId)
    .where('position', '=', position)
    .executeTakeFirstOrThrow();
  return row.before;
}

/** A step that failed: the steps after it not run, the action failed or partial with the failure. */
export async function markActionFailed(
  trx: Db,
  input: {
    actionId: string;
    position: number;
    status: 'failed' | 'partial';
    failure: { code: string; message: string; action: string };
    at: Date;
  },
): Promise<void> {
  const { actionId, position, failure, at } = input;
  await trx
    .updateTable('action_steps')
    .set({ status: 'failed', detail: `${failure.message} — ${failure.action}`, finished_at: at })
    .where('action_id', '=', actionId)
    .where('position', '=', position)
    .execute();
  await trx
    .updateTable('action_steps')
    .set({ status: 'not_run' })
    .where('action_id', '=', actionId)
    .where('position', '>', position)
    .where('status', '=', 'pending')
    .execute();
  await trx
    .updateTable('actions')
    .set({
      status: input.status,
      error_code: failure.code,
      error_message: failure.message,
      error_action: failure.action,
      finished_at: at,
      updated_at: at,
      lease_owner: null,
      lease_expires_at: null,
    })
    .where('id', '=', actionId)
    .execute();
}

/** A step that finished: done (it changed something) or unchanged, with the state before and after. */
export async function markStepFinished(
  trx: Db,
  input: { actionId: string; position: number; status: 'done' | 'unchanged'; detail: string; before: unknown; after: unknown; at: Date },
): Promise<void> {
  await trx
    .updateTable('action_steps')
    .set({
      status: input.status,
      detail: input.detail,
      before: input.before == null ? null : JSON.stringify(input.before),
      after: input.after == null ? null : JSON.stringify(input.after),
      finished_at: input.at,
    })
    .where('action_id', '=', input.actionId)
    .where('position', '=', input.position)
    .execute();
}

/** An action whose steps all finished, its lease released. */
export async function markActionSucceeded(trx: Db, actionId: string, at: Date): Promise<void> {
  await trx
    .updateTable('actions')
    .set({ status: 'succeeded', finished_at: at, updated_at: at, lease_owner: null, lease_expires_at: null })
    .where('id', '=', actionId)
    .execute();
}
