// The documentation password vault: passwords per organization, added by hand or set by a
// lifecycle action (a reset or a new user's first password). Values are sealed with the key ring
// (src/crypto: AES-256-GCM, key id in every value, rotation); lists and logs only ever carry the
// entry's name and username. Revealing one is allowed to administrators and technicians allowed
// to act, and every reveal writes an audit row (who, which entry) in the same transaction.
import type { Kysely } from 'kysely';
import { recordAudit } from '../stores/audit.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database, VaultEntry } from '../db/schema.ts';
import { BadInput, Forbidden, NotFound } from '../errors.ts';
import { mayAct, type Actor } from '../actions/permission.ts';

type Db = Kysely<Database>;

/** What lists and the API show of an entry: never the secret. */
export interface VaultEntryView {
  id: string;
  organizationId: string;
  contactId: string | null;
  name: string;
  username: string | null;
  source: 'manual' | 'action';
  createdBy: string;
  updatedAt: string;
}

export function viewOf(entry: VaultEntry): VaultEntryView {
  return {
    id: entry.id,
    organizationId: entry.organization_id,
    contactId: entry.contact_id,
    name: entry.name,
    username: entry.username,
    source: entry.source,
    createdBy: entry.created_by_label,
    updatedAt: new Date(entry.updated_at).toISOString(),
  };
}

export interface VaultDeps {
  db: Db;
  secrets: Pick<SecretBox, 'seal' | 'open'>;
  clock: { now(): Date };
}

export async function listVaultEntries(db: Db, organizationId: string): Promise<VaultEntryView[]> {
  const rows = await db
    .selectFrom('vault_entries')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('name')
    .orderBy('id')
    .execute();
  return rows.map(viewOf);
}

export async function addVaultEntry(
  deps: VaultDeps,
  actor: Actor,
  input: { organizationId: string; name: string; username?: string | null; password: string; contactId?: string | null },
): Promise<VaultEntryView> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) throw new BadInput('A vault entry needs a name (up to 200 characters).');
  if (input.password.length === 0 || input.password.length > 1000) throw new BadInput('The password must be 1 to 1000 characters.');
  const organization = await deps.db.selectFrom('organizations').select('id').where('id', '=', input.organizationId).executeTakeFirst();
  if (!organization) throw new NotFound('No such organization.');
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('vault_entries')
      .values({
        organization_id: input.organizationId,
        contact_id: input.contactId ?? null,
        name,
        username: input.username?.trim() || null,
        secret_sealed: deps.secrets.seal(input.password),
        source: 'manual',
        created_by_label: actor.label,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      actor: { id: actor.id, label: actor.label },
      action: 'vault.add',
      subjectType: 'vault_entry',
      subjectId: row.id,
      before: null,
      after: { name, username: row.username },
      at: now,
    });
    return viewOf(row);
  });
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

/** The password itself, for a role allowed to see it; audited. */
export async function revealVaultEntry(
  deps: VaultDeps,
  actor: Actor,
  entryId: string,
  requestId: string | null = null,
): Promise<{ entry: VaultEntryView; password: string }> {
  if (!mayAct(actor))
    throw new Forbidden(
      'Revealing vault passwords needs an administrator or a technician allowed to act.',
      'Ask an administrator to allow you to act.',
    );
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const entry = await trx.selectFrom('vault_entries').selectAll().where('id', '=', entryId).executeTakeFirst();
    if (!entry) throw new NotFound('No such vault entry.');
    await recordAudit(trx, {
      actor: { id: actor.id, label: actor.label },
      action: 'vault.reveal',
      subjectType: 'vault_entry',
      subjectId: entry.id,
      before: null,
      after: { name: entry.name },
      requestId,
      at: now,
    });
    return { entry: viewOf(entry), password: deps.secrets.open(entry.secret_sealed) };
  });
}
