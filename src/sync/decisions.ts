// match_decisions as the sync keeps them: one row per (kind, tenant, Microsoft id). Compare
// before writing; a row a technician decided (decided_by_technician) is never overwritten, also
// not when the technician saves it while a sync is running (the upsert's WHERE guards it).
import { sql, type Kysely } from 'kysely';
import type { Database, MatchDecision } from '../db/schema.ts';
import { stableStringify } from './staging.ts';

type Db = Kysely<Database>;

export interface DecisionInput {
  kind: 'organization' | 'contact' | 'configuration';
  sourceId: string;
  state: MatchDecision['state'];
  targetId: string | null;
  rule: string | null;
  suggestions?: Array<{ organizationId: string; score: number }>;
  candidates?: string[];
  reason?: string | null;
}

/** A jsonb parameter: pg would send a JS array as a Postgres array, so send JSON text, cast. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the jsonb column's row type differs per table
export const jsonb = (value: unknown) => sql<any>`cast(${JSON.stringify(value)} as jsonb)`;

const keyOf = (kind: string, sourceId: string) => `${kind}:${sourceId}`;

export async function loadDecisions(db: Db, tenantId: string): Promise<Map<string, MatchDecision>> {
  const rows = await db.selectFrom('match_decisions').selectAll().where('tenant_id', '=', tenantId).execute();
  return new Map(rows.map((r) => [keyOf(r.kind, r.source_id), r]));
}

/** One stored decision (the organization's, before anything else is read). */
export async function loadDecision(
  db: Db,
  tenantId: string,
  kind: DecisionInput['kind'],
  sourceId: string,
): Promise<MatchDecision | undefined> {
  return db
    .selectFrom('match_decisions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', kind)
    .where('source_id', '=', sourceId)
    .executeTakeFirst();
}

export function decisionOf(
  decisions: Map<string, MatchDecision>,
  kind: DecisionInput['kind'],
  sourceId: string,
): MatchDecision | undefined {
  return decisions.get(keyOf(kind, sourceId));
}

const parsed = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
/** Candidates are a set (the order says nothing); suggestions are ranked (the order is the answer). */
const candidateSet = (v: unknown) => stableStringify([...((parsed(v) ?? []) as string[])].sort());

function unchanged(before: MatchDecision, next: DecisionInput): boolean {
  if (before.state !== next.state || (before.target_id ?? null) !== next.targetId) return false;
  // "linked" only says an earlier sync (or a technician) made this link: the stored rule and
  // reason say how it was made, and stay.
  if (next.rule === 'linked' && before.target_id !== null) return true;
  return (
    before.rule === next.rule &&
    (before.reason ?? null) === (next.reason ?? null) &&
    stableStringify(parsed(before.suggestions) ?? []) === stableStringify(next.suggestions ?? []) &&
    candidateSet(before.candidates) === candidateSet(next.candidates ?? [])
  );
}

/** Writes the decisions that differ from what is stored; returns how many rows were written. */
export async function saveDecisions(
  db: Db,
  input: { tenantId: string; existing: Map<string, MatchDecision>; decisions: DecisionInput[]; now: Date },
): Promise<number> {
  const writes = input.decisions.filter((d) => {
    const before = input.existing.get(keyOf(d.kind, d.sourceId));
    return !before || (!before.decided_by_technician && !unchanged(before, d));
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
