// match_decisions: one row per (kind, tenant, Microsoft id) — tenant → organization, user →
// contact, device → configuration. The sync writes its decisions in bulk, comparing before
// writing; a technician's decision sets decided_by_technician, which no sync overwrites (also not
// when the technician saves it while a sync is running: the upsert's WHERE guards it). The audit
// row of a technician's decision holds the whole decision before and after, so "undo" can
// restore exactly what was there.
//
// Reads go through effective_match_decisions (migration 2026-12-05T0100): the stored rows plus
// the "created" decision of every contact or configuration the sync created, which is not stored
// (issue 18: rows per user). Writes go to match_decisions; a stored row outranks a shown one.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, MatchDecision } from '../db/schema.ts';
import { fromJsonColumn, jsonb, stableStringify } from '../db/json.ts';
import { Conflict } from '../errors.ts';
import { latestAuditOf, recordAudit, type AuditActor } from './audit.ts';

type Db = Kysely<Database>;

export type DecisionKind = 'organization' | 'contact' | 'configuration';

export interface DecisionKey {
  kind: DecisionKind;
  /** tenants.id (docsync's tenant id), not Microsoft's tenant id. */
  tenantId: string;
  /** Microsoft's tenant id, a Microsoft user id or an Intune device id. */
  sourceId: string;
}

/** One stored decision, or undefined. */
export async function readDecision(db: Db, key: DecisionKey): Promise<MatchDecision | undefined> {
  return db
    .selectFrom('effective_match_decisions')
    .selectAll()
    .where('kind', '=', key.kind)
    .where('tenant_id', '=', key.tenantId)
    .where('source_id', '=', key.sourceId)
    .executeTakeFirst();
}

// ---- the sync's decisions ----

export interface DecisionInput {
  kind: DecisionKind;
  sourceId: string;
  state: MatchDecision['state'];
  targetId: string | null;
  rule: string | null;
  suggestions?: Array<{ organizationId: string; score: number }>;
  candidates?: string[];
  reason?: string | null;
}

const keyOf = (kind: string, sourceId: string) => `${kind}:${sourceId}`;

/** Every decision of one tenant, keyed for decisionOf. */
export async function loadDecisions(db: Db, tenantId: string): Promise<Map<string, MatchDecision>> {
  const rows = await db.selectFrom('effective_match_decisions').selectAll().where('tenant_id', '=', tenantId).execute();
  return new Map(rows.map((r) => [keyOf(r.kind, r.source_id), r]));
}

export function decisionOf(decisions: Map<string, MatchDecision>, kind: DecisionKind, sourceId: string): MatchDecision | undefined {
  return decisions.get(keyOf(kind, sourceId));
}

/** Candidates are a set (the order says nothing); suggestions are ranked (the order is the answer). */
const candidateSet = (v: unknown) => stableStringify([...((fromJsonColumn(v) ?? []) as string[])].sort());

function unchanged(before: MatchDecision, next: DecisionInput): boolean {
  if (before.state !== next.state || (before.target_id ?? null) !== next.targetId) return false;
  // "linked" only says an earlier sync (or a technician) made this link: the stored rule and
  // reason say how it was made, and stay.
  if (next.rule === 'linked' && before.target_id !== null) return true;
  return (
    before.rule === next.rule &&
    (before.reason ?? null) === (next.reason ?? null) &&
    stableStringify(fromJsonColumn(before.suggestions) ?? []) === stableStringify(next.suggestions ?? []) &&
    candidateSet(before.candidates) === candidateSet(next.candidates ?? [])
  );
}

/**
 * A contact or configuration the sync has just created: effective_match_decisions shows this
 * decision from the created row (created_by_sync), so nothing needs storing where nothing was.
 */
const shownWithoutRow = (d: DecisionInput) =>
  d.kind !== 'organization' && d.state === 'match' && d.rule === 'created' && (d.candidates ?? []).length === 0;

/**
 * Writes the sync's decisions that differ from what is stored (or shown: `existing` comes from
 * loadDecisions); returns how many rows were written.
 */
export async function saveDecisions(
  db: Db,
  input: { tenantId: string; existing: Map<string, MatchDecision>; decisions: DecisionInput[]; now: Date },
): Promise<number> {
  const writes = input.decisions.filter((d) => {
    const before = input.existing.get(keyOf(d.kind, d.sourceId));
    if (!before) return !shownWithoutRow(d);
    return !before.decided_by_technician && !unchanged(before, d);
  });
  for (let i = 0; i < writes.length; i += 500) {
    await db
      .insertInto('match_decisions')
      .values(
        writes.slice(i, i + 500).map((d) => ({
          kind: d.kind,
          tenant_id: input.tenantId,
          source_id: d.sourceId,
          state: d.state,
          target_id: d.targetId,
          rule: d.rule,
          suggestions: jsonb(d.suggestions ?? []),
          candidates: jsonb(d.candidates ?? []),
          reason: d.reason ?? null,
          decided_by: 'sync',
          decided_at: input.now,
          updated_at: input.now,
        })),
      )
      .onConflict((oc) =>
        oc
          .constraint('match_decisions_unique')
          .doUpdateSet((eb) => ({
            state: eb.ref('excluded.state'),
            target_id: eb.ref('excluded.target_id'),
            rule: eb.ref('excluded.rule'),
            suggestions: eb.ref('excluded.suggestions'),
            candidates: eb.ref('excluded.candidates'),
            reason: eb.ref('excluded.reason'),
            decided_at: eb.ref('excluded.decided_at'),
            updated_at: eb.ref('excluded.updated_at'),
          }))
          .where(sql<boolean>`match_decisions.decided_by_technician = false`),
      )
      .execute();
  }
  return writes.length;
}

// ---- technicians' decisions ----

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
  context: { actor: AuditActor; action: string; requestId?: string; at: Date },
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
    // A resolved review has nothing left to choose from: its candidates go (undo brings them back).
    ...(change.state === 'review' ? {} : { candidates: sql<never>`'[]'::jsonb` }),
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
  context: { actor: AuditActor; requestId?: string; at: Date },
): Promise<DecisionSnapshot | null> {
  const subjectId = `${key.tenantId}/${key.sourceId}`;
  const latest = await latestAuditOf(trx, `${key.kind}_decision`, subjectId);
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
      suggestions: jsonb(previous.suggestions ?? []),
      candidates: jsonb(previous.candidates ?? []),
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

/** The organization the tenant is matched to (its organization decision), or null. */
export async function matchedOrganizationOfTenant(db: Db, tenantId: string): Promise<string | null> {
  const organization = await db
    .selectFrom('match_decisions')
    .select('target_id')
    .where('kind', '=', 'organization')
    .where('tenant_id', '=', tenantId)
    .where('state', '=', 'matched')
    .executeTakeFirst();
  return organization?.target_id ?? null;
}
