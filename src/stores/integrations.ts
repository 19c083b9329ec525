// Integrations (a partner's or a customer's Microsoft app: its sealed credentials, connection
// state and settings). Secrets arrive here sealed and leave sealed: sealing, opening and checking
// them is src/microsoft/integrations.ts's job, the rules for settings src/web/services/integrations.ts's.
import { sql, type Kysely } from 'kysely';
import type { Database, Integration, NewIntegration, SyncRunStatus } from '../db/schema.ts';

type Db = Kysely<Database>;

/** One integration, or undefined. */
export async function findIntegration(db: Db, integrationId: string): Promise<Integration | undefined> {
  return db.selectFrom('integrations').selectAll().where('id', '=', integrationId).executeTakeFirst();
}

/** One integration that must exist (a foreign key points at it). */
export async function integrationOf(db: Db, integrationId: string): Promise<Integration> {
  return db.selectFrom('integrations').selectAll().where('id', '=', integrationId).executeTakeFirstOrThrow();
}

/** Every integration, oldest first. */
export async function allIntegrations(db: Db): Promise<Integration[]> {
  return db.selectFrom('integrations').selectAll().orderBy('created_at').execute();
}

export async function insertIntegration(db: Db, values: NewIntegration): Promise<Integration> {
  return db.insertInto('integrations').values(values).returningAll().executeTakeFirstOrThrow();
}

/** Microsoft's app (client) id of an integration, or undefined when there is no such integration. */
export async function integrationClientId(db: Db, integrationId: string): Promise<string | undefined> {
  const row = await db.selectFrom('integrations').select('client_id').where('id', '=', integrationId).executeTakeFirst();
  return row?.client_id;
}

/** A new sealed refresh token from a sign-in: the integration is connected. False when there is no such integration. */
export async function saveConnection(db: Db, integrationId: string, sealedRefreshToken: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('integrations')
    .set((eb) => ({
      refresh_token_encrypted: sealedRefreshToken,
      refresh_token_updated_at: now,
      status: 'connected',
      status_reason: null,
      connected_at: eb.fn.coalesce('connected_at', eb.val(now)),
      updated_at: now,
    }))
    .where('id', '=', integrationId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Replaces the sealed refresh token only if it is still `expectedSealed` (null: none stored), so
 * two processes rotating at once keep one; true when this call replaced it.
 */
export async function replaceSealedRefreshToken(
  db: Db,
  integrationId: string,
  expectedSealed: string | null,
  sealedRefreshToken: string,
  now: Date,
): Promise<boolean> {
  let query = db
    .updateTable('integrations')
    .set({ refresh_token_encrypted: sealedRefreshToken, refresh_token_updated_at: now, updated_at: now })
    .where('id', '=', integrationId);
  query =
    expectedSealed === null
      ? query.where('refresh_token_encrypted', 'is', null)
      : query.where('refresh_token_encrypted', '=', expectedSealed);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The integration needs a technician to connect it again, for this reason (stored secrets stay). */
export async function markNeedsReconnect(db: Db, integrationId: string, reason: string, now: Date): Promise<void> {
  await db
    .updateTable('integrations')
    .set({ status: 'needs_reconnect', status_reason: reason, updated_at: now })
    .where('id', '=', integrationId)
    .execute();
}

/** Why the last connect attempt failed; the status stays what it was. */
export async function saveStatusReason(db: Db, integrationId: string, reason: string, now: Date): Promise<void> {
  await db.updateTable('integrations').set({ status_reason: reason, updated_at: now }).where('id', '=', integrationId).execute();
}

/** A new sealed client secret; its expiry reminders start over. */
export async function saveClientSecret(
  db: Db,
  integrationId: string,
  sealedSecret: string,
  expiresAt: Date | null,
  now: Date,
): Promise<Integration> {
  return db
    .updateTable('integrations')
    .set({ client_secret_encrypted: sealedSecret, client_secret_expires_at: expiresAt, client_secret_reminded_days: null, updated_at: now })
    .where('id', '=', integrationId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Integrations (not disabled) whose client secret expires by `horizon` or has expired. */
export async function integrationsWithSecretExpiringBy(db: Db, horizon: Date): Promise<Integration[]> {
  return db
    .selectFrom('integrations')
    .selectAll()
    .where('client_secret_expires_at', 'is not', null)
    .where('client_secret_expires_at', '<=', horizon)
    .where('status', '!=', 'disabled')
    .execute();
}

/** The secret-expiry reminder (days before expiry) last sent. */
export async function saveSecretReminderSent(db: Db, integrationId: string, thresholdDays: number): Promise<void> {
  await db.updateTable('integrations').set({ client_secret_reminded_days: thresholdDays }).where('id', '=', integrationId).execute();
}

/** An integration's settings, locked until the transaction ends; undefined when there is no such integration. */
export async function lockIntegrationSettings(trx: Db, integrationId: string): Promise<{ settings: unknown } | undefined> {
  return trx.selectFrom('integrations').select(['settings']).where('id', '=', integrationId).forUpdate().executeTakeFirst();
}

/** An integration's settings; undefined when there is no such integration. */
export async function findIntegrationSettings(db: Db, integrationId: string): Promise<{ settings: unknown } | undefined> {
  return db.selectFrom('integrations').select('settings').where('id', '=', integrationId).executeTakeFirst();
}

/** Saves an integration's settings (whole), and its name when given. */
export async function saveIntegrationSettings(
  db: Db,
  integrationId: string,
  changes: { settings: Record<string, unknown>; name?: string },
  now: Date,
): Promise<void> {
  await db
    .updateTable('integrations')
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      // `as never`: schema.ts nests Json<> inside Generated<>, which hides jsonb's update type.
      settings: JSON.stringify(changes.settings) as never,
      updated_at: now,
    })
    .where('id', '=', integrationId)
    .execute();
}

/** How many tenants an integration has, how many failing, and its own latest run (not a tenant's). */
export async function integrationStats(
  db: Db,
  integrationId: string,
): Promise<{ tenants: number; failing: number; lastRun: { id: string; status: SyncRunStatus; createdAt: Date } | null }> {
  const counts = await db
    .selectFrom('tenants')
    .select([(eb) => eb.fn.countAll<string>().as('n'), sql<string>`count(*) filter (where health = 'failing')`.as('failing')])
    .where('integration_id', '=', integrationId)
    .executeTakeFirstOrThrow();
  const run = await db
    .selectFrom('sync_runs')
    .select(['id', 'status', 'created_at'])
    .where('integration_id', '=', integrationId)
    .where('parent_run_id', 'is', null)
    // The integration's own runs: one tenant's "sync now" (an ended relationship's, say) is that tenant's.
    .where('tenant_id', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return {
    tenants: Number(counts.n),
    failing: Number(counts.failing),
    lastRun: run ? { id: run.id, status: run.status, createdAt: new Date(run.created_at) } : null,
  };
}

/** The id of the integration of this name, or undefined. */
export async function integrationIdByName(db: Db, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('integrations').select('id').where('name', '=', name).executeTakeFirst();
  return row?.id;
}
