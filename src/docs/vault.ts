// The documentation password vault: passwords per organization, added by hand or set by a
// lifecycle action (a reset or a new user's first password). Values are sealed with the key ring
// (src/crypto: AES-256-GCM, key id in every value, rotation); lists and logs only ever carry the
// entry's name and username. Revealing one is allowed to administrators and technicians allowed
// to act, and every reveal writes an audit row (who, which entry) in the same transaction.
import type { Kysely } from 'kysely';
import { recordAudit } from '../stores/audit.ts';
import { organizationExists } from '../stores/organizations.ts';
import { findVaultEntry, insertManualVaultEntry, vaultEntriesOfOrganization } from '../stores/vault.ts';
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
  const rows = await vaultEntriesOfOrganization(db, organizationId);
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
  if (!(await organizationExists(deps.db, input.organizationId))) throw new NotFound('No such organization.');
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await insertManualVaultEntry(trx, {
      organizationId: input.organizationId,
      contactId: input.contactId ?? null,
      name,
      username: input.username?.trim() || null,
      sealed: deps.secrets.seal(input.password),
      createdBy: actor.label,
      now,
    });
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
    const entry = await findVaultEntry(trx, entryId);
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
