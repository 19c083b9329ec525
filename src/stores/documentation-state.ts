// What the sync's documentation skip keeps (src/sync/fingerprint.ts says why): the per-tenant
// state of the last full pass (tenant_documentation_state) and the write counters the triggers of
// migration T0500 keep per scope and writer (documentation_revisions).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { fromJsonColumn, jsonb } from '../db/json.ts';

type Db = Kysely<Database>;

/** The write counters of these scopes (a tenant, its organization) of every writer but `exceptWriter`. */
export async function documentationRevisions(
  db: Db,
  scopeIds: string[],
  exceptWriter: string,
): Promise<Array<{ scope_id: string; writer: string; revision: number | string }>> {
  return db
    .selectFrom('documentation_revisions')
    .select(['scope_id', 'writer', 'revision'])
    .where('scope_id', 'in', scopeIds)
    .where('writer', '<>', exceptWriter)
    .execute();
}

/** Marks the writes of the rest of this transaction as `writer`'s (the triggers count them under it). */
export async function writeAs(trx: Db, writer: string): Promise<void> {
  await sql`select set_config('docsync.writer', ${writer}, true)`.execute(trx);
}

export interface StoredDocumentationState {
  fingerprint: string;
  validUntil: Date | null;
  summary: unknown;
  inputs: unknown;
}

/** A tenant's stored state, JSON columns parsed; undefined when there is none. */
export async function findDocumentationState(db: Db, tenantId: string): Promise<StoredDocumentationState | undefined> {
  const row = await db.selectFrom('tenant_documentation_state').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row) return undefined;
  return {
    fingerprint: row.fingerprint,
    validUntil: row.valid_until === null ? null : new Date(row.valid_until),
    summary: fromJsonColumn(row.summary),
    inputs: fromJsonColumn(row.inputs),
  };
}

/** Stores (or replaces) a tenant's state. */
export async function saveDocumentationStateRow(db: Db, tenantId: string, state: StoredDocumentationState, now: Date): Promise<void> {
  await db
    .insertInto('tenant_documentation_state')
    .values({
      tenant_id: tenantId,
      fingerprint: state.fingerprint,
      valid_until: state.validUntil,
      summary: jsonb(state.summary),
      inputs: state.inputs === null ? null : jsonb(state.inputs),
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column('tenant_id').doUpdateSet((eb) => ({
        fingerprint: eb.ref('excluded.fingerprint'),
        valid_until: eb.ref('excluded.valid_until'),
        summary: eb.ref('excluded.summary'),
        inputs: eb.ref('excluded.inputs'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

export async function deleteDocumentationState(db: Db, tenantId: string): Promise<void> {
  await db.deleteFrom('tenant_documentation_state').where('tenant_id', '=', tenantId).execute();
}
