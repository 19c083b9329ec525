// SQL of scheduled password rotation (src/actions/rotation-schedules.ts): one row per Microsoft
// user whose password docsync rotates every N days, with when it is next due and what happened last.
import { sql, type Kysely } from 'kysely';
import type { ActionStatus, Database } from '../db/schema.ts';

type Db = Kysely<Database>;

export interface RotationScheduleRow {
  id: string;
  tenant_id: string;
  tenant_name: string;
  microsoft_user_id: string;
  user_principal_name: string;
  interval_days: number;
  next_rotation_at: Date;
  last_rotated_at: Date | null;
  last_action_id: string | null;
  last_action_status: ActionStatus | null;
  last_action_error: string | null;
  problem: string | null;
  created_by: string | null;
  created_by_label: string;
}

function listQuery(db: Db) {
  return db
    .selectFrom('password_rotation_schedules as s')
    .innerJoin('tenants as t', 't.id', 's.tenant_id')
    .leftJoin('actions as a', 'a.id', 's.last_action_id')
    .select([
      's.id',
      's.tenant_id',
      't.display_name as tenant_name',
      's.microsoft_user_id',
      's.user_principal_name',
      's.interval_days',
      's.next_rotation_at',
      's.last_rotated_at',
      's.last_action_id',
      'a.status as last_action_status',
      'a.error_message as last_action_error',
      's.problem',
      's.created_by',
      's.created_by_label',
    ])
    .orderBy('s.next_rotation_at')
    .orderBy('s.id');
}

export async function schedulesOfTenant(db: Db, tenantId: string): Promise<RotationScheduleRow[]> {
  return (await listQuery(db).where('s.tenant_id', '=', tenantId).execute()) as RotationScheduleRow[];
}

/** The schedules of every tenant documented as this organization (its matched tenants). */
export async function schedulesOfOrganization(db: Db, organizationId: string): Promise<RotationScheduleRow[]> {
  const rows = await listQuery(db)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('match_decisions as d')
          .select('d.id')
          .whereRef('d.tenant_id', '=', 's.tenant_id')
          .where('d.kind', '=', 'organization')
          .where('d.state', '=', 'matched')
          .where('d.target_id', '=', organizationId),
      ),
    )
    .execute();
  return rows as RotationScheduleRow[];
}

export async function scheduleById(db: Db, id: string): Promise<RotationScheduleRow | undefined> {
  return (await listQuery(db).where('s.id', '=', id).executeTakeFirst()) as RotationScheduleRow | undefined;
}

export async function scheduleOfUser(db: Db, tenantId: string, userId: string): Promise<RotationScheduleRow | undefined> {
  return (await listQuery(db).where('s.tenant_id', '=', tenantId).where('s.microsoft_user_id', '=', userId).executeTakeFirst()) as
    RotationScheduleRow | undefined;
}

/** Creates the user's schedule or changes its interval (and next date); returns the interval it had, if any. */
export async function upsertSchedule(
  db: Db,
  input: {
    tenantId: string;
    userId: string;
    userPrincipalName: string;
    intervalDays: number;
    nextRotationAt: Date;
    createdBy: string | null;
    createdByLabel: string;
    now: Date;
  },
): Promise<{ id: string; previousIntervalDays: number | null }> {
  const previous = await db
    .selectFrom('password_rotation_schedules')
    .select(['interval_days'])
    .where('tenant_id', '=', input.tenantId)
    .where('microsoft_user_id', '=', input.userId)
    .executeTakeFirst();
  const row = await db
    .insertInto('password_rotation_schedules')
    .values({
      tenant_id: input.tenantId,
      microsoft_user_id: input.userId,
      user_principal_name: input.userPrincipalName,
      interval_days: input.intervalDays,
      next_rotation_at: input.nextRotationAt,
      created_by: input.createdBy,
      created_by_label: input.createdByLabel,
      created_at: input.now,
      updated_at: input.now,
    })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'microsoft_user_id']).doUpdateSet({
        user_principal_name: input.userPrincipalName,
        interval_days: input.intervalDays,
        next_rotation_at: input.nextRotationAt,
        problem: null,
        created_by: input.createdBy,
        created_by_label: input.createdByLabel,
        updated_at: input.now,
      }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, previousIntervalDays: previous?.interval_days ?? null };
}

export async function deleteSchedule(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('password_rotation_schedules').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Schedules due at `now` whose last queued rotation is not still waiting or running. */
export async function dueSchedules(db: Db, now: Date, limit: number): Promise<Array<{ id: string; next_rotation_at: Date }>> {
  return db
    .selectFrom('password_rotation_schedules as s')
    .leftJoin('actions as a', 'a.id', 's.last_action_id')
    .select(['s.id', 's.next_rotation_at'])
    .where('s.next_rotation_at', '<=', now)
    .where((eb) => eb.or([eb('a.id', 'is', null), eb('a.status', 'not in', ['queued', 'running'])]))
    .orderBy('s.next_rotation_at')
    .limit(limit)
    .execute();
}

/**
 * Moves a due schedule's next date to `retryAt` if nobody did since it was read: the one worker
 * whose update matched owns this rotation (compare-and-set, no lock held over Microsoft calls).
 */
export async function claimDueSchedule(db: Db, input: { id: string; dueAt: Date; retryAt: Date; now: Date }): Promise<boolean> {
  const result = await db
    .updateTable('password_rotation_schedules')
    .set({ next_rotation_at: input.retryAt, updated_at: input.now })
    .where('id', '=', input.id)
    .where('next_rotation_at', '=', input.dueAt)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function recordQueuedRotation(db: Db, id: string, actionId: string, now: Date): Promise<void> {
  await db
    .updateTable('password_rotation_schedules')
    .set({ last_action_id: actionId, problem: null, updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function recordRotationProblem(db: Db, id: string, problem: string, now: Date): Promise<void> {
  await db.updateTable('password_rotation_schedules').set({ problem, updated_at: now }).where('id', '=', id).execute();
}

/** docsync set this user's password (scheduled, on demand or offboarding): the next rotation is N days later. */
export async function markPasswordRotated(db: Db, input: { tenantId: string; userId: string; actionId: string; now: Date }): Promise<void> {
  await db
    .updateTable('password_rotation_schedules')
    .set({
      last_rotated_at: input.now,
      next_rotation_at: sql<Date>`${input.now}::timestamptz + make_interval(days => interval_days)`,
      last_action_id: input.actionId,
      problem: null,
      updated_at: input.now,
    })
    .where('tenant_id', '=', input.tenantId)
    .where('microsoft_user_id', '=', input.userId)
    .execute();
}
