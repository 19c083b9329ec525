// Technician decisions on match_decisions rows. A technician's decision sets
// decided_by_technician, which the sync engine never overrides. The audit row holds the whole
// decision before and after, so "undo" can restore exactly what was there.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, MatchDecision } from '../../db/schema.ts';
import { recordAudit } from '../../auth/audit.ts';
import { Conflict } from '../../errors.ts';
import type { Actor } from '../../auth/accounts.ts';

export type DecisionKind = 'organization' | 'contact' | 'configuration';

export interface DecisionSnapshot {
  state: string;
  targetId: string | null;
  rule: string | null;
  suggestions: Array<{ organizationId: string; score: number }>;
  candidates: string[];
  reason: string | null;
  decidedBy: string;
  decidedByTechnician: boolean;
}

export function snapshotOf(row: MatchDecision | undefined): DecisionSnapshot | null {
  if (!row) return null;
  return {
    state: row.state,
    targetId: row.target_id,
    rule: row.rule,
    suggestions: Array.isArray(row.suggestions) ? row.suggestions : [],
    candidates: Array.isArray(row.candidates) ? row.candidates : [],
    reason: row.reason,
    decidedBy: row.decided_by,
    decidedByTechnician: row.decided_by_technician,
  };
}

export interface DecisionKey {
  kind: DecisionKind;
  /** tenants.id (the row), not the Microsoft tenant GUID. */
  tenantId: string;
  /** Tenant GUID, Microsoft user id or Intune device id. */
  sourceId: string;
}

export async function readDecision(db: Kysely<Database>, key: DecisionKey): Promise<MatchDecision | undefined> {
  return db
    .selectFrom('match_decisions')
    .selectAll()
    .where('kind', '=', key.kind)
    .where('tenant_id', '=', key.tenantId)
    .where('source_id', '=', key.sourceId)
    .executeTakeFirst();
}

export interface DecisionChange {
  state: string;
  targetId: string | null;
  reason: string;
}

/** Writes a technician's decision and its audit row, inside the caller's transaction. */
export async function decide(
  trx: Transaction<Database>,
  key: DecisionKey,
  change: DecisionChange,
  context: { actor: Actor; action: string; requestId?: string; at: Date },
): Promise<DecisionSnapshot> {
  const existing = await readDecision(trx, key);
  const before = snapshotOf(existing);
  const values = {
    state: change.state as MatchDecision['state'],
    target_id: change.targetId,
    rule: 'technician',
    reason: change.reason,
    decided_by: context.actor.id ?? context.actor.label,
    decided_by_technician: true,
    decided_at: context.at,
    updated_at: context.at,
  };
  const row = await trx
    .insertInto('match_decisions')
    .values({ kind: key.kind, tenant_id: key.tenantId, source_id: key.sourceId, ...values })
    .onConflict((oc) => oc.columns(['kind', 'tenant_id', 'source_id']).doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  const after = snapshotOf(row)!;
  await recordAudit(trx, {
    actor: context.actor,
    action: context.action,
    subjectType: `${key.kind}_decision`,
    subjectId: `${key.tenantId}/${key.sourceId}`,
    before,
    after,
    requestId: context.requestId,
    at: context.at,
  });
  return after;
}

/**
 * Undo: restores the decision as it was before the latest change (undoing twice redoes).
 * Restoring a sync's decision hands the row back to the sync engine.
 */
export async function undoLatest(
  trx: Transaction<Database>,
  key: DecisionKey,
  context: { actor: Actor; requestId?: string; at: Date },
): Promise<DecisionSnapshot | null> {
  const subjectId = `${key.tenantId}/${key.sourceId}`;
  const latest = await trx
    .selectFrom('audit_log')
    .select(['id', 'before'])
    .where('subject_type', '=', `${key.kind}_decision`)
    .where('subject_id', '=', subjectId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!latest) throw new Conflict('There is no technician decision to undo here.');
  const current = snapshotOf(await readDecision(trx, key));
  const previous = latest.before as DecisionSnapshot | null;
  if (previous === null) {
    await trx
      .deleteFrom('match_decisions')
      .where('kind', '=', key.kind)
      .where('tenant_id', '=', key.tenantId)
      .where('source_id', '=', key.sourceId)
      .execute();
  } else {
    const values = {
      state: previous.state as MatchDecision['state'],
      target_id: previous.targetId,
      rule: previous.rule,
      suggestions: sql<never>`${JSON.stringify(previous.suggestions ?? [])}::jsonb`,
      candidates: sql<never>`${JSON.stringify(previous.candidates ?? [])}::jsonb`,
      reason: previous.reason,
      decided_by: previous.decidedBy,
      decided_by_technician: previous.decidedByTechnician,
      decided_at: context.at,
      updated_at: context.at,
    };
    await trx
      .insertInto('match_decisions')
      .values({ kind: key.kind, tenant_id: key.tenantId, source_id: key.sourceId, ...values })
      .onConflict((oc) => oc.columns(['kind', 'tenant_id', 'source_id']).doUpdateSet(values))
      .execute();
  }
  await recordAudit(trx, {
    actor: context.actor,
    action: `${key.kind}_decision.undo`,
    subjectType: `${key.kind}_decision`,
    subjectId,
    before: current,
    after: previous,
    requestId: context.requestId,
    at: context.at,
  });
  return previous;
}
