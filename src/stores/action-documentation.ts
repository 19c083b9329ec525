// What a lifecycle action writes into the documentation at once, in the transaction that records
// the step (src/actions/steps.ts): the contact's Microsoft overlay and the user's staged record
// change before the next sync confirms them, so every page shows the result right away.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

type Db = Kysely<Database>;

/**
 * Merges `graphPatch` (Graph's words) into the user's staged record and `overlay` into the
 * overlay of the contact documenting the user (if any). The staged content hash is left as it
 * was: the next sync sees a difference and writes Microsoft's own record over it.
 */
export async function mergeIntoDocumentedUser(
  trx: Db,
  input: { tenantId: string; userId: string; graphPatch: Record<string, unknown>; overlay: Record<string, unknown>; now: Date },
): Promise<void> {
  const { tenantId, userId, now } = input;
  if (Object.keys(input.graphPatch).length > 0) {
    await trx
      .updateTable('ms_users')
      .set({ data: sql`data || ${JSON.stringify(input.graphPatch)}::jsonb`, last_seen_at: now })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .execute();
  }
  await trx
    .updateTable('contacts')
    .set({ microsoft_overlay: sql`coalesce(microsoft_overlay, '{}'::jsonb) || ${JSON.stringify(input.overlay)}::jsonb`, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('microsoft_user_id', '=', userId)
    .execute();
}

/** The contact documenting a tenant's Microsoft user, or null. */
export async function contactIdOfMicrosoftUser(db: Db, tenantId: string, userId: string): Promise<string | null> {
  const row = await db
    .selectFrom('contacts')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('microsoft_user_id', '=', userId)
    .executeTakeFirst();
  return row?.id ?? null;
}

/** A Microsoft user the action deleted: its contact marked gone from Microsoft, its staged record removed. */
export async function markMicrosoftUserDeleted(trx: Db, tenantId: string, userId: string, now: Date): Promise<void> {
  await trx
    .updateTable('contacts')
    .set({ in_microsoft: false, removed_from_microsoft_at: now, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('microsoft_user_id', '=', userId)
    .execute();
  await trx.updateTable('ms_users').set({ removed_at: now }).where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
}

export interface CreatedUserContact {
  tenantId: string;
  organizationId: string;
  microsoftUserId: string;
  userPrincipalName: string;
  firstName: string | null;
  lastName: string | null;
  title: string | null;
  overlay: Record<string, unknown>;
  /** The user as docsync knows it now, in Graph's words (the contact pages list it before any sync). */
  staged: Record<string, unknown>;
  now: Date;
}

/** A contact for a user an action created, with its primary email and the user's staged record; returns the contact's id. */
export async function insertCreatedUserContact(trx: Db, input: CreatedUserContact): Promise<string> {
  const row = await trx
    .insertInto('contacts')
    .values({
      organization_id: input.organizationId,
      first_name: input.firstName,
      last_name: input.lastName,
      title: input.title,
      microsoft_user_id: input.microsoftUserId,
      tenant_id: input.tenantId,
      microsoft_overlay: JSON.stringify(input.overlay),
      created_at: input.now,
      updated_at: input.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('ms_users')
    .values({
      tenant_id: input.tenantId,
      user_id: input.microsoftUserId,
      data: JSON.stringify(input.staged),
      content_hash: '',
      first_seen_at: input.now,
      last_seen_at: input.now,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doNothing())
    .execute();
  await trx
    .insertInto('contact_emails')
    .values({ contact_id: row.id, email: input.userPrincipalName, is_primary: true, created_at: input.now })
    .execute();
  return row.id;
}

/**
 * Links the created user to its contact the way a technician would: the next sync finds this
 * decision and links, never creating a second contact (a technician's decision is never
 * overwritten). The user's vault entries move to the contact.
 */
export async function linkCreatedUserToContact(
  trx: Db,
  input: { tenantId: string; microsoftUserId: string; contactId: string; actionId: string; decidedBy: string; now: Date },
): Promise<void> {
  await trx
    .insertInto('match_decisions')
    .values({
      kind: 'contact',
      tenant_id: input.tenantId,
      source_id: input.microsoftUserId,
      state: 'match',
      target_id: input.contactId,
      rule: 'created_by_action',
      reason: `created by action ${input.actionId}`,
      decided_by: input.decidedBy,
      decided_by_technician: true,
      decided_at: input.now,
      updated_at: input.now,
    })
    .onConflict((oc) => oc.columns(['kind', 'tenant_id', 'source_id']).doNothing())
    .execute();
  await trx
    .updateTable('vault_entries')
    .set({ contact_id: input.contactId })
    .where('tenant_id', '=', input.tenantId)
    .where('microsoft_user_id', '=', input.microsoftUserId)
    .execute();
}
