// The password vault (vault_entries): sealed secrets per organization, typed in by a technician
// or set on a Microsoft user by an action. Sealing, opening and who may reveal are src/docs/vault.ts's.
import type { Kysely } from 'kysely';
import type { Database, VaultEntry } from '../db/schema.ts';

type Db = Kysely<Database>;

/** An organization's entries by name. */
export async function vaultEntriesOfOrganization(db: Db, organizationId: string): Promise<VaultEntry[]> {
  return db.selectFrom('vault_entries').selectAll().where('organization_id', '=', organizationId).orderBy('name').orderBy('id').execute();
}

/** One entry, or undefined. */
export async function findVaultEntry(db: Db, entryId: string): Promise<VaultEntry | undefined> {
  return db.selectFrom('vault_entries').selectAll().where('id', '=', entryId).executeTakeFirst();
}

/** An entry a technician typed in. */
export async function insertManualVaultEntry(
  db: Db,
  input: {
    organizationId: string;
    contactId: string | null;
    name: string;
    username: string | null;
    sealed: string;
    createdBy: string;
    now: Date;
  },
): Promise<VaultEntry> {
  return db
    .insertInto('vault_entries')
    .values({
      organization_id: input.organizationId,
      contact_id: input.contactId,
      name: input.name,
      username: input.username,
      secret_sealed: input.sealed,
      source: 'manual',
      created_by_label: input.createdBy,
      created_at: input.now,
      updated_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Stores (or replaces) the password docsync set on a Microsoft user: one entry per user and
 * tenant. Runs in the caller's transaction so the step that set it and the vault agree.
 */
export async function storeMicrosoftPassword(
  trx: Db,
  input: {
    organizationId: string;
    tenantId: string;
    microsoftUserId: string;
    contactId: string | null;
    userPrincipalName: string;
    sealed: string;
    actionId: string;
    actorLabel: string;
    now: Date;
  },
): Promise<string> {
  const existing = await trx
    .selectFrom('vault_entries')
    .select('id')
    .where('tenant_id', '=', input.tenantId)
    .where('microsoft_user_id', '=', input.microsoftUserId)
    .executeTakeFirst();
  if (existing) {
    await trx
      .updateTable('vault_entries')
      .set({
        secret_sealed: input.sealed,
        action_id: input.actionId,
        updated_at: input.now,
        contact_id: input.contactId,
        username: input.userPrincipalName,
      })
      .where('id', '=', existing.id)
      .execute();
    return existing.id;
  }
  const row = await trx
    .insertInto('vault_entries')
    .values({
      organization_id: input.organizationId,
      tenant_id: input.tenantId,
      microsoft_user_id: input.microsoftUserId,
      contact_id: input.contactId,
      name: `Microsoft 365: ${input.userPrincipalName}`,
      username: input.userPrincipalName,
      secret_sealed: input.sealed,
      source: 'action',
      action_id: input.actionId,
      created_by_label: input.actorLabel,
      created_at: input.now,
      updated_at: input.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
